// Runs the project's own wrangler with the offline settings from PLATFORM.md: no telemetry,
// no cf.json fetch, no update check, so everything works without a network.
import { spawn, spawnSync } from "node:child_process";
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
