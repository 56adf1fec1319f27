// The tools run on the Node that the "node" devDependency installs (scripts/lib/requireProjectNode.mjs).
// What happens when something runs them on the machine's own Node instead: a script typed as
// `node scripts/x.mjs`, an install without install scripts (no node_modules/.bin/node), or a
// node_modules from before package.json moved to another Node. Each must stop at once with a
// message that says what to run, before wrangler or vitest start and fail with something cryptic.
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "./support/wranglerDev";

const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { devDependencies: Record<string, string>; scripts: Record<string, string> };

/**
 * The cases run in copies of the project whose package.json pins a Node no machine has, so the
 * Node that runs them is always the wrong one, whatever this machine's Node is: a developer
 * whose Node is exactly the real pin (24.21.0) runs them too, and no entry point ever gets past
 * the guard to do its real work.
 */
const PIN = "0.0.1-test";
const WRONG_NODE = process.execPath;
const WRONG_VERSION = process.version;

/** Without node_modules/.bin: what a shell's `node` is. */
const PATH_WITHOUT_PROJECT_BINS = (process.env.PATH ?? "")
  .split(path.delimiter)
  .filter((dir) => !dir.split(path.sep).includes("node_modules"))
  .join(path.delimiter);

/** Every file the project's commands run with `node`: package.json's scripts and wrangler.toml's [build]. */
function entryPoints(): string[] {
  const commands = [...Object.values(pkg.scripts), ...readFileSync(path.join(ROOT, "wrangler.toml"), "utf8").split("\n").filter((l) => /^command\s*=/.test(l))];
  const files = commands.flatMap((c) => [...c.matchAll(/\bnode (scripts\/\S+\.mjs)/g)].map((m) => m[1]!));
  // The bench's parts, also run on their own (BENCHMARKS.md: `npx node scripts/bench/startup.mjs`).
  files.push("scripts/bench/run.mjs", "scripts/bench/orders.mjs", "scripts/bench/startup.mjs");
  return [...new Set(files)];
}

/** A copy of the project (package.json pinning PIN, scripts/, the vitest configs) in a temp folder. */
function projectCopy(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ ...pkg, devDependencies: { ...pkg.devDependencies, node: PIN } }, null, 2));
  cpSync(path.join(ROOT, "scripts"), path.join(dir, "scripts"), { recursive: true });
  for (const config of ["vitest.config.ts", "vitest.e2e.config.ts"]) cpSync(path.join(ROOT, config), path.join(dir, config));
  mkdirSync(path.join(dir, "node_modules", ".bin"), { recursive: true });
  return dir;
}

describe("the tools on the wrong Node", () => {
  let dir: string;
  beforeAll(() => {
    // The installed packages as they are (every import resolves), and a node_modules/.bin/node
    // that is the pinned version, as after `npm ci`: only the Node that runs the tool is wrong.
    dir = projectCopy("wrong-node-");
    for (const name of readdirSync(path.join(ROOT, "node_modules"))) {
      if (name !== ".bin") symlinkSync(path.join(ROOT, "node_modules", name), path.join(dir, "node_modules", name));
    }
    const pinnedNode = path.join(dir, "node_modules", ".bin", "node");
    writeFileSync(pinnedNode, `#!/bin/sh\necho v${PIN}\n`);
    chmodSync(pinnedNode, 0o755);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(entryPoints())("`node %s` on another Node stops before doing anything and names the npm command", (file) => {
    expect(existsSync(path.join(dir, file)), file).toBe(true);
    const r = spawnSync(WRONG_NODE, [file, "--help"], { cwd: dir, encoding: "utf8", env: { ...process.env, PATH: PATH_WITHOUT_PROJECT_BINS }, timeout: 60_000 });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`This project's tools run on Node ${PIN}`);
    expect(r.stderr).toContain(`this is Node ${WRONG_VERSION}`);
    const script = Object.entries(pkg.scripts).find(([, command]) => command === `node ${file}`)?.[0];
    expect(r.stderr).toContain(script ? `npm run ${script} -- --help` : `npx node ${file} --help`);
  });

  it("vitest started on another Node (both configs) stops and says `npx vitest`", () => {
    for (const config of ["vitest.config.ts", "vitest.e2e.config.ts"]) {
      const r = spawnSync(WRONG_NODE, [path.join(dir, "node_modules", "vitest", "vitest.mjs"), "run", "--config", config, "test/none"], {
        cwd: dir,
        encoding: "utf8",
        env: { ...process.env, PATH: PATH_WITHOUT_PROJECT_BINS },
        timeout: 120_000,
      });
      expect(r.status, r.stdout + r.stderr).toBe(1);
      expect(r.stderr).toContain(`This project's tools run on Node ${PIN}`);
      expect(r.stderr).toContain(`npx vitest run --config ${config} test/none`);
    }
  });

  describe("`npm run` in a project whose node_modules has no Node of its own", () => {
    let bare: string;
    beforeAll(() => {
      // node_modules as an install left it, without the Node package's binary.
      bare = projectCopy("wrong-node-bare-");
    });
    afterAll(() => rmSync(bare, { recursive: true, force: true }));

    const npmRun = (script: string) =>
      spawnSync("npm", ["run", "--silent", script], { cwd: bare, encoding: "utf8", env: { ...process.env, PATH: PATH_WITHOUT_PROJECT_BINS }, timeout: 120_000 });

    it("without node_modules/.bin/node (npm ci --ignore-scripts): says to run npm ci", () => {
      rmSync(path.join(bare, "node_modules", ".bin", "node"), { force: true });
      const r = npmRun("types");
      expect(r.status, r.stderr).not.toBe(0);
      expect(r.stderr).toContain("This project's tools run on Node");
      expect(r.stderr).toContain("node_modules/.bin/node is missing");
      expect(r.stderr).toMatch(/^ {2}npm ci$/m);
    });

    it("with another Node in node_modules/.bin (an install from before package.json changed): says to run npm ci", () => {
      symlinkSync(WRONG_NODE, path.join(bare, "node_modules", ".bin", "node"));
      const r = npmRun("types");
      expect(r.status, r.stderr).not.toBe(0);
      expect(r.stderr).toContain(`node_modules/.bin/node is ${WRONG_VERSION}, not the ${PIN} package.json pins`);
      expect(r.stderr).toContain("run `npm ci`");
    });
  });
});
