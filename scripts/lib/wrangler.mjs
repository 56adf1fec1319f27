// Runs the project's own wrangler with the offline settings from PLATFORM.md: no telemetry,
// no cf.json fetch, no update check, so everything works without a network.
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const WRANGLER = path.join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

export const OFFLINE_ENV = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_HIDE_BANNER: "true",
  // Local commands only; stops wrangler from ever asking for a login. Commands against the
  // deployed account use remoteEnv() instead.
  CLOUDFLARE_API_TOKEN: process.env.CLOUDFLARE_API_TOKEN ?? "",
};

/**
 * The environment of a command against the deployed account (`--remote`): still no
 * telemetry, cf.json fetch or update check, but the operator's own credentials. OFFLINE_ENV's
 * empty CLOUDFLARE_API_TOKEN is dropped so that wrangler falls back to the login that
 * `wrangler login` stored; a token the operator set themselves is kept.
 */
export function remoteEnv() {
  const env = { ...OFFLINE_ENV };
  if (!process.env.CLOUDFLARE_API_TOKEN) delete env.CLOUDFLARE_API_TOKEN;
  return env;
}

/**
 * Runs wrangler to completion and returns what it did ({ status, stdout, stderr, error }),
 * never throwing: for callers that explain wrangler's failures themselves.
 */
export function runWranglerSync(args, { remote = false } = {}) {
  return spawnSync(process.execPath, [WRANGLER, ...args], {
    cwd: ROOT,
    env: remote ? remoteEnv() : OFFLINE_ENV,
    encoding: "utf8",
    // stdin closed: wrangler never waits for an answer (or opens a login page) mid-command.
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** Runs wrangler to completion; throws with its output when it fails. */
export function wrangler(args, { quiet = true, persistTo } = {}) {
  const full = persistTo ? [...args, "--persist-to", persistTo] : args;
  const result = spawnSync(process.execPath, [WRANGLER, ...full], {
    cwd: ROOT,
    env: OFFLINE_ENV,
    encoding: "utf8",
    stdio: quiet ? "pipe" : "inherit",
  });
  if (result.status !== 0) {
    throw new Error(`wrangler ${args.join(" ")} failed (exit ${result.status}):\n${result.stdout ?? ""}${result.stderr ?? ""}`);
  }
  return result.stdout ?? "";
}

/** Runs SQL against the local D1 and returns the rows of the last statement. */
export function queryLocal(sql, opts = {}) {
  const out = wrangler(["d1", "execute", "DB", "--local", "--json", "--command", sql], opts);
  const parsed = JSON.parse(out);
  return parsed[parsed.length - 1]?.results ?? [];
}

/** Starts a long-running wrangler (dev) in the background. */
export function spawnWrangler(args, options = {}) {
  return spawn(process.execPath, [WRANGLER, ...args], { cwd: ROOT, env: { ...OFFLINE_ENV, ...options.env }, stdio: options.stdio ?? "inherit" });
}

/**
 * Writes wrangler.toml to `name` (in the project root, so every relative path, .dev.vars and
 * .wrangler/state stay the same) with `main` replaced and without its [build] section, and
 * returns the file's path.
 *
 * For `wrangler dev` of an entry that wrangler bundles itself (src/dev/devWorker.ts): the
 * [build] command only makes the deployed Worker's dist/worker, which that entry never uses,
 * and wrangler 4.86 ran a custom build twice on every start (once before starting, and again
 * when its watcher of watch_dir reported "ready": "The file src changed, restarting build..."
 * with nothing changed), restarting the Worker a second time (4.164 built once in a 60 s check). Without [build], wrangler's own
 * esbuild watches the entry's imports and rebuilds once per real change.
 */
export function writeConfigWithoutBuild(name, { main }) {
  const toml = readFileSync(path.join(ROOT, "wrangler.toml"), "utf8");
  const lines = toml.split("\n");
  const out = [`# Generated from wrangler.toml by scripts/lib/wrangler.mjs for \`wrangler dev\` of ${main}: edit wrangler.toml instead.`];
  let inBuild = false;
  for (const line of lines) {
    if (/^\s*\[/.test(line)) inBuild = /^\s*\[build\]\s*$/.test(line);
    if (inBuild) continue;
    out.push(/^main\s*=/.test(line) ? `main = ${JSON.stringify(main)}` : line);
  }
  if (!out.some((line) => line.startsWith("main = "))) throw new Error("wrangler.toml has no main line to replace");
  const file = path.join(ROOT, name);
  writeFileSync(file, out.join("\n"));
  return file;
}
