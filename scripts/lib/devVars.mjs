// Reads .dev.vars (KEY=value lines), the local secrets of `wrangler dev`. DEV_VARS_PATH
// names another file of the same form (the end-to-end tests point the CLIs at theirs).
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./wrangler.mjs";

export function readDevVars() {
  const file = process.env.DEV_VARS_PATH ?? path.join(ROOT, ".dev.vars");
  if (!existsSync(file)) return {};
  const vars = {};
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const match = /^\s*([A-Z0-9_]+)\s*=\s*(.*)\s*$/.exec(line);
    if (match) vars[match[1]] = match[2].replace(/^"(.*)"$/, "$1");
  }
  return vars;
}
