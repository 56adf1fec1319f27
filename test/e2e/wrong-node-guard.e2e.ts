// The tools run on the Node that the "node" devDependency installs (scripts/lib/requireProjectNode.mjs).
// What happens when something runs them on the machine's own Node instead: a script typed as
// `node scripts/x.mjs`, an install without install scripts (no node_modules/.bin/node), or a
// node_modules from before package.json moved to another Node. Each must stop at once with a
// message that says what to run, before wrangler or vitest start and fail with something cryptic.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "./support/wranglerDev";

const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { devDependencies: Record<string, string>; scripts: Record<string, string> };
const PINNED = pkg.devDependencies.node!;

/** Without node_modules/.bin: what a shell's `node` is. */
const PATH_WITHOUT_PROJECT_BINS = (process.env.PATH ?? "")
  .split(path.delimiter)
  .filter((dir) => !dir.split(path.sep).includes("node_modules"))
  .join(path.delimiter);

/**
 * The machine's Node: the first `node` on PATH outside node_modules. (Not npm_node_execpath:
 * `npm test` runs `npm run test:e2e` with node_modules/.bin first on PATH, so the inner npm
 * runs on the project's Node.)
 */
function machineNode(): string {
  for (const dir of PATH_WITHOUT_PROJECT_BINS.split(path.delimiter)) {
    const candidate = path.join(dir, "node");
    if (dir && existsSync(candidate)) return candidate;
  }
  throw new Error("no Node outside node_modules on PATH");
}

const MACHINE_NODE = machineNode();
const MACHINE_VERSION = execFileSync(MACHINE_NODE, ["--version"], { encoding: "utf8" }).trim();

/** Every file the project's commands run with `node`: package.json's scripts and wrangler.toml's [build]. */
function entryPoints(): string[] {
  const commands = [...Object.values(pkg.scripts), ...readFileSync(path.join(ROOT, "wrangler.toml"), "utf8").split("\n").filter((l) => /^command\s*=/.test(l))];
  const files = commands.flatMap((c) => [...c.matchAll(/\bnode (scripts\/\S+\.mjs)/g)].map((m) => m[1]!));
  // The bench's parts, also run on their own (BENCHMARKS.md: `node scripts/bench/startup.mjs`).
  files.push("scripts/bench/run.mjs", "scripts/bench/orders.mjs", "scripts/bench/startup.mjs");
  return [...new Set(files)];
}

describe("the tools on the wrong Node", () => {
  it("this machine has a Node other than the pinned one (else the cases below would prove nothing)", () => {
    // CI and the development machines have Node 20; the project brings its own.
    expect(MACHINE_VERSION, `the machine's Node (${MACHINE_NODE}) is the pinned v${PINNED}: run this test where it is not`).not.toBe(`v${PINNED}`);
    expect(process.version).toBe(`v${PINNED}`);
  });

  it.each(entryPoints())("`node %s` on the machine's Node stops before doing anything and names the npm command", (file) => {
    const r = spawnSync(MACHINE_NODE, [file, "--help"], { cwd: ROOT, encoding: "utf8", env: { ...process.env, PATH: PATH_WITHOUT_PROJECT_BINS }, timeout: 60_000 });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`This project's tools run on Node ${PINNED}`);
    expect(r.stderr).toContain(`this is Node ${MACHINE_VERSION}`);
    const script = Object.entries(pkg.scripts).find(([, command]) => command === `node ${file}`)?.[0];
    expect(r.stderr).toContain(script ? `npm run ${script} -- --help` : `npx node ${file} --help`);
  });

  it("vitest started on the machine's Node (both configs) stops and says `npx vitest`", () => {
    for (const config of ["vitest.config.ts", "vitest.e2e.config.ts"]) {
      const r = spawnSync(MACHINE_NODE, [path.join(ROOT, "node_modules", "vitest", "vitest.mjs"), "run", "--config", config, "test/none"], {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, PATH: PATH_WITHOUT_PROJECT_BINS },
        timeout: 120_000,
      });
      expect(r.status, r.stdout + r.stderr).toBe(1);
      expect(r.stderr).toContain(`This project's tools run on Node ${PINNED}`);
      expect(r.stderr).toContain(`npx vitest run --config ${config} test/none`);
    }
  });

  describe("`npm run` in a project whose node_modules has no Node of its own", () => {
    let dir: string;
    beforeAll(() => {
      // The project's package.json and scripts; node_modules as an install left it.
      dir = mkdtempSync(path.join(os.tmpdir(), "wrong-node-"));
      cpSync(path.join(ROOT, "package.json"), path.join(dir, "package.json"));
      cpSync(path.join(ROOT, "scripts"), path.join(dir, "scripts"), { recursive: true });
      mkdirSync(path.join(dir, "node_modules", ".bin"), { recursive: true });
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const npmRun = (script: string) =>
      spawnSync("npm", ["run", "--silent", script], { cwd: dir, encoding: "utf8", env: { ...process.env, PATH: PATH_WITHOUT_PROJECT_BINS }, timeout: 120_000 });

    it("without node_modules/.bin/node (npm ci --ignore-scripts): says to run npm ci", () => {
      rmSync(path.join(dir, "node_modules", ".bin", "node"), { force: true });
      const r = npmRun("types");
      expect(r.status, r.stderr).not.toBe(0);
      expect(r.stderr).toContain(`this is Node ${MACHINE_VERSION}`);
      expect(r.stderr).toContain("node_modules/.bin/node is missing");
      expect(r.stderr).toMatch(/^ {2}npm ci$/m);
    });

    it("with another Node in node_modules/.bin (an install from before package.json changed): says to run npm ci", () => {
      symlinkSync(MACHINE_NODE, path.join(dir, "node_modules", ".bin", "node"));
      const r = npmRun("types");
      expect(r.status, r.stderr).not.toBe(0);
      expect(r.stderr).toContain(`node_modules/.bin/node is ${MACHINE_VERSION}, not the ${PINNED} package.json pins`);
      expect(r.stderr).toContain("run `npm ci`");
    });
  });
});
