// The real `wrangler dev` for the end-to-end test: started in its own process group on a
// free loopback port, with its own local state directory and its own variables, so it
// never touches the developer's .wrangler/state or .dev.vars, and stopped with its
// workerd children however the test ends.
import { spawn, type ChildProcess } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { buildWorker } from "../../../scripts/build/buildWorker.mjs";
import { runProcess } from "./runProcess";

export const ROOT = fileURLToPath(new URL("../../..", import.meta.url).href);
const WRANGLER = path.join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

/** The offline settings of PLATFORM.md, plus: variables come only from the files we pass. */
export const WRANGLER_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_HIDE_BANNER: "true",
  CLOUDFLARE_API_TOKEN: process.env.CLOUDFLARE_API_TOKEN ?? "",
  // --env-file is read (and .dev.vars ignored) only while this is on; never copy this
  // process's own environment into the Worker.
  CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV: "true",
  CLOUDFLARE_INCLUDE_PROCESS_ENV: "false",
  FORCE_COLOR: "0",
  NO_COLOR: "1",
};

interface SeedModule {
  migrateLocal(opts?: { persistTo?: string }): void;
  seedLocal(opts?: { reset?: boolean; persistTo?: string }): void;
}

/** scripts/seed.mjs, the same migrations and demo data `npm run dev` uses. */
export async function loadSeedScript(): Promise<SeedModule> {
  // A computed specifier: the .mjs has no type declarations.
  return (await import(pathToFileURL(path.join(ROOT, "scripts", "seed.mjs")).href)) as SeedModule;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Writes KEY=VALUE lines for `--env-file` (values must not contain newlines). */
export function writeEnvFile(file: string, vars: Record<string, string>): void {
  for (const [key, value] of Object.entries(vars)) {
    if (/[\r\n]/.test(value)) throw new Error(`${key}: newlines are not supported in an env file`);
  }
  writeFileSync(file, Object.entries(vars).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join("\n") + "\n", { mode: 0o600 });
}

/** Runs wrangler to completion without blocking the event loop (the fake server must answer meanwhile). */
export async function runWrangler(args: string[], timeoutMs = HANG_MS): Promise<string> {
  const { code, signal, stdout, stderr } = await runProcess(process.execPath, [WRANGLER, ...args], { cwd: ROOT, env: WRANGLER_ENV, timeoutMs });
  if (code === 0) return stdout;
  throw new Error(`wrangler ${args.slice(0, 3).join(" ")} failed (${signal ?? `exit ${code}`}):\n${stdout}${stderr}`);
}

/** Rows of the last statement of `sql`, from the local D1 in `persistTo`. */
export async function queryD1<T = Record<string, unknown>>(persistTo: string, sql: string): Promise<T[]> {
  const out = await runWrangler(["d1", "execute", "DB", "--local", "--persist-to", persistTo, "--json", "--command", sql]);
  const parsed = JSON.parse(out) as { results?: T[] }[];
  return parsed[parsed.length - 1]?.results ?? [];
}

/**
 * The bound of a wait that only a hang reaches. A wrangler command takes 1-5 s here, a start of
 * wrangler dev 3-15 s, several times that when the two cores carry other work; a bound near
 * those numbers fails by chance on a busy machine, and a real hang still fails at this one.
 */
export const HANG_MS = 180_000;

export interface WranglerDev {
  url: string;
  /** Everything wrangler (and the Worker's console) printed so far. */
  output(): string;
  stop(): Promise<void>;
}

const MAX_OUTPUT = 256 * 1024;

/**
 * The local D1 of `persistTo` migrated and seeded with the demo data `npm run dev` uses, then
 * `wrangler dev` on free ports: how every end-to-end file that drives the Worker starts.
 */
export async function startSeededWranglerDev(
  opts: Omit<Parameters<typeof startWranglerDev>[0], "port" | "inspectorPort">,
): Promise<WranglerDev> {
  const seed = await loadSeedScript();
  seed.migrateLocal({ persistTo: opts.persistTo });
  seed.seedLocal({ persistTo: opts.persistTo });
  return startWranglerDev({ ...opts, port: await freePort(), inspectorPort: await freePort() });
}

export async function startWranglerDev(opts: {
  port: number;
  inspectorPort: number;
  persistTo: string;
  envFile: string;
  /** POSTed without credentials until the Worker answers `readyStatus` (403 unless told). */
  readinessPath: string;
  /** What the Worker answers that POST once it runs: 500 when no secret is usable. */
  readyStatus?: number;
  readyTimeoutMs?: number;
  /** Several Workers in one `wrangler dev` (`-c a.toml -c b.toml`): the first one is served on the port. */
  configs?: string[];
  /**
   * `--test-scheduled`: GET /__scheduled runs the cron handler, as `npm run dev` does every minute.
   * (/cdn-cgi/handler/scheduled failed in wrangler 4.86 for this Worker: "DataCloneError: Could not
   * serialize object of type ScheduledController"; it works in 4.164, and /__scheduled is what
   * `npm run dev` and the README use.)
   */
  testScheduled?: boolean;
}): Promise<WranglerDev> {
  // The deployed Worker's build, once, then wrangler.toml without [build]: wrangler 4.86 ran
  // a [build] command a second time when its watcher of src/ got ready ("The file src
  // changed, restarting build..."), and restarted the Worker under the first test's requests
  // (and its queue messages) when that build ended. 4.164 built once in a 60 s check; the tests
  // keep building once themselves, which no wrangler version can undo.
  await buildWorker();
  const wranglerLib = (await import(pathToFileURL(path.join(ROOT, "scripts", "lib", "wrangler.mjs")).href)) as {
    writeConfigWithoutBuild(name: string, opts: { main: string }): string;
  };
  const config = wranglerLib.writeConfigWithoutBuild(`.wrangler.e2e-${process.pid}-${opts.port}.toml`, { main: "dist/worker/index.js" });
  const args = [
    WRANGLER,
    "dev",
    // Several Workers (the storefront test) bring their own configs; otherwise this one without [build].
    ...(opts.configs ? opts.configs.flatMap((c) => ["-c", c]) : ["--config", config]),
    "--local",
    "--ip", "127.0.0.1",
    "--port", String(opts.port),
    "--inspector-port", String(opts.inspectorPort),
    "--persist-to", opts.persistTo,
    "--env-file", opts.envFile,
    "--show-interactive-dev-session=false",
    ...(opts.testScheduled ? ["--test-scheduled"] : []),
  ];
  // detached: wrangler leads its own process group, which its workerd children join, so
  // one process.kill(-pid) ends them all.
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: ROOT,
    env: WRANGLER_ENV,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const append = (d: Buffer) => {
    output += d.toString("utf8");
    if (output.length > MAX_OUTPUT) output = output.slice(-MAX_OUTPUT);
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  let exited = false;
  child.on("exit", () => (exited = true));

  // If vitest's worker exits without running afterAll, still take the group down.
  const killGroupSync = () => killGroup(child.pid, "SIGKILL");
  process.once("exit", killGroupSync);

  const url = `http://127.0.0.1:${opts.port}`;
  const dev: WranglerDev = {
    url,
    output: () => output,
    async stop() {
      process.off("exit", killGroupSync);
      rmSync(config, { force: true });
      if (child.pid === undefined) return;
      killGroup(child.pid, "SIGTERM");
      const gone = await waitUntil(() => !groupAlive(child.pid!), 15_000);
      if (!gone) {
        killGroup(child.pid, "SIGKILL");
        await waitUntil(() => !groupAlive(child.pid!), 15_000);
      }
    },
  };

  const deadline = Date.now() + (opts.readyTimeoutMs ?? HANG_MS);
  while (true) {
    if (exited) {
      await dev.stop();
      throw new Error(`wrangler dev exited before it answered:\n${output}`);
    }
    try {
      // A delivery without a key: the Worker itself answers 403 (with its X-Request-Id)
      // before reading the body, and changes nothing.
      const res = await fetch(`${url}${opts.readinessPath}`, { method: "POST", signal: AbortSignal.timeout(30_000) });
      await res.arrayBuffer();
      if (res.status === (opts.readyStatus ?? 403) && res.headers.has("x-request-id")) return dev;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await dev.stop();
      throw new Error(`wrangler dev did not answer on ${url} within ${opts.readyTimeoutMs ?? HANG_MS} ms:\n${output}`);
    }
    await sleep(250);
  }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` every 100 ms until it is true or `timeoutMs` passes; returns whether it became true. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(everyMs);
  }
}
