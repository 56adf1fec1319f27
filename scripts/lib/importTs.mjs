// Imports one of the Worker's TypeScript modules from a Node script, bundled on the fly by
// esbuild, so the CLI signs webhooks with the very code the Worker verifies them with.
import { build } from "esbuild";
import path from "node:path";
import { ROOT } from "./wrangler.mjs";

export async function importTs(relativePath) {
  const result = await build({
    entryPoints: [path.join(ROOT, relativePath)],
    bundle: true,
    format: "esm",
    platform: "neutral",
    write: false,
    logLevel: "error",
  });
  const code = result.outputFiles[0].text;
  return import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`);
}
