// Every tool of this project runs on the Node that package.json's "node" devDependency puts in
// node_modules/.bin (Node 24), whatever Node the machine has (20 or later): wrangler >= 4.87,
// miniflare 5 and vitest 5 need Node >= 22.12. `npm run` and `npx` put node_modules/.bin first
// on PATH, so they find it. Two ways end up on the machine's Node instead, and then wrangler
// fails deep inside with a message about something else:
// - `node scripts/x.mjs` typed in a shell (PATH's node is the machine's);
// - an install without install scripts (`npm ci --ignore-scripts`, or a future npm that skips
//   unapproved scripts): the node package's preinstall is what downloads the binary, so there is
//   no node_modules/.bin/node and `npm run` silently falls back to the machine's Node.
// Imported first by each entry point (scripts/*.mjs, the bench, the build, both vitest
// configs), this stops at once and says what to run. It must itself run on Node 20: plain
// syntax, no dependencies.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));
const PINNED = pkg.devDependencies.node;

if (process.version !== `v${PINNED}`) {
  const projectNode = path.join(ROOT, "node_modules", ".bin", "node");
  const here = `Node ${process.version} (${process.execPath})`;
  const lines = [`This project's tools run on Node ${PINNED}, the "node" devDependency in node_modules/.bin; this is ${here}.`];
  if (!existsSync(projectNode)) {
    lines.push(
      "node_modules/.bin/node is missing: the install skipped install scripts (--ignore-scripts, or npm's",
      'allowScripts policy), and the "node" package\'s preinstall is what downloads Node. Run:',
      "",
      "  npm ci",
      "",
      "(package.json's allowScripts approves that one script), then run the command again through npm.",
    );
  } else {
    const installed = spawnSync(projectNode, ["--version"], { encoding: "utf8" }).stdout?.trim();
    if (installed && installed !== `v${PINNED}`) {
      lines.push(`node_modules/.bin/node is ${installed}, not the ${PINNED} package.json pins (an install from before it changed): run \`npm ci\`, then the command again.`);
    } else {
      // Name what to type instead: the npm script that runs this file, or npx for a tool.
      const file = process.argv[1] ? path.relative(ROOT, process.argv[1]) : "";
      const scripts = Object.entries(pkg.scripts ?? {});
      const script = (scripts.find(([, command]) => command === `node ${file}`) ?? scripts.find(([, command]) => command.startsWith(`node ${file} `)))?.[0];
      const tool = file.split(path.sep)[0] === "node_modules" ? file.split(path.sep)[1] : null;
      const args = process.argv.slice(2).join(" ");
      const instead = script
        ? `npm run ${script}${args ? ` -- ${args}` : ""}`
        : `npx ${tool ?? `node ${file || "<script>"}`}${args ? ` ${args}` : ""}`;
      lines.push(
        "Run it through npm (`npm run` and `npx` put node_modules/.bin first on PATH):",
        "",
        `  ${instead}`,
      );
    }
  }
  console.error(lines.join("\n"));
  process.exit(1);
}
