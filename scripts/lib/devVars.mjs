// Reads .dev.vars (KEY=value lines), the local secrets of `wrangler dev`.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./wrangler.mjs";

export function readDevVars() {
  const file = path.join(ROOT, ".dev.vars");
  if (!existsSync(file)) return {};
  const vars = {};
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const match = /^\s*([A-Z0-9_]+)\s*=\s*(.*)\s*$/.exec(line);
    if (match) vars[match[1]] = match[2].replace(/^"(.*)"$/, "$1");
  }
  return vars;
}
