// npm run types: writes worker-configuration.d.ts, the Env interface of wrangler.toml's
// bindings and vars only. The runtime's types come from @cloudflare/workers-types (pinned in
// package.json, listed in tsconfig's "types"), not from a 13,600-line generated file.
//
// npm run types -- --check (part of `npm run typecheck`): fails when the committed file is
// not what wrangler.toml generates now, e.g. a binding or var added without `npm run types`.
// Not `wrangler types --check`: it regenerates with the developer's .dev.vars, whose secrets
// would then appear in Env on one machine and not in CI. Secrets are read through zod in
// src/config.ts, so Env does not declare them (`--env-file /dev/null` keeps .dev.vars out).
import fs from "node:fs";
import path from "node:path";
import { ROOT, wrangler } from "./lib/wrangler.mjs";

const FILE = "worker-configuration.d.ts";
const ARGS = ["--include-runtime=false", "--strict-vars=false", "--env-file", "/dev/null"];

/**
 * wrangler.toml's main is the build's output (dist/worker/index.js, absent until a build);
 * `ctx.exports` and `exports` of cloudflare:workers are typed from the module named here,
 * so it names the entry's source instead.
 */
const MAIN_BUILT = 'typeof import("./dist/worker/index")';
const MAIN_SOURCE = 'typeof import("./src/index")';

function generate(file) {
  wrangler(["types", file, ...ARGS]);
  const full = path.join(ROOT, file);
  const text = fs.readFileSync(full, "utf8");
  if (!text.includes(MAIN_BUILT)) throw new Error(`${file}: expected ${MAIN_BUILT} (wrangler.toml's main) in the generated file`);
  const fixed = text.replace(MAIN_BUILT, MAIN_SOURCE);
  fs.writeFileSync(full, fixed);
  return fixed;
}

if (process.argv.includes("--check")) {
  // Generated next to the real file, so relative paths in it come out the same.
  const scratch = `.stale-check.${FILE}`;
  try {
    const fresh = generate(scratch).replaceAll(scratch, FILE);
    const committed = fs.readFileSync(path.join(ROOT, FILE), "utf8");
    if (fresh !== committed) {
      console.error(`${FILE} is stale: wrangler.toml's bindings or vars changed. Run \`npm run types\` and commit the result.`);
      process.exit(1);
    }
    console.log(`${FILE} matches wrangler.toml.`);
  } finally {
    fs.rmSync(path.join(ROOT, scratch), { force: true });
  }
} else {
  generate(FILE);
  console.log(`wrote ${FILE}`);
}
