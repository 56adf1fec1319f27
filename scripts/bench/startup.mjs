// Start-up CPU of the Worker by `wrangler check startup` (workerd's own start-up profile of a
// bundle, offline): the sum of the profile's samples that are not `(idle)`, per design.
//
//   node scripts/bench/startup.mjs [--runs 3]      (also part of `npm run bench`)
//
// Designs, each bundled with `wrangler deploy --dry-run --outfile` and profiled `runs` times,
// interleaved so that a busy neighbour spreads over all of them:
// - chosen: the real wrangler.toml (its [build] runs scripts/build/buildWorker.mjs: the
//   invoice pipeline and the cron jobs are modules of their own, loaded on first use);
// - eager: every handler imported statically into one script (the Worker before the change);
// - two Workers: the webhook + cron Worker, and the invoice consumer as a second Worker;
// - the webhook route alone (the HTTP app, no other handler): the floor of any design;
// - the route with the `stripe` package imported statically: what the Stripe route would cost
//   every isolate if it did not load the package on first use.
import "../lib/requireProjectNode.mjs"; // first: stops on the wrong Node before anything else runs
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { OFFLINE_ENV, ROOT } from "../lib/wrangler.mjs";

const WRANGLER_BIN = path.join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
const BENCH_CONFIG = path.join(ROOT, "scripts", "bench", "wrangler.bench.toml");
const entry = (file) => path.join("scripts", "bench", "startup", file);

export const DESIGNS = [
  { id: "chosen", label: "chosen: one Worker, pipeline and cron jobs loaded on first use (wrangler.toml)", args: [] },
  { id: "eager", label: "before: one Worker, everything imported at start-up", args: ["-c", BENCH_CONFIG, entry("eagerWorker.ts")] },
  { id: "two-webhook", label: "two Workers: webhook + cron Worker", args: ["-c", BENCH_CONFIG, entry("twoWorkersWebhook.ts")] },
  { id: "two-consumer", label: "two Workers: invoice consumer Worker", args: ["-c", BENCH_CONFIG, entry("twoWorkersConsumer.ts")] },
  { id: "route-only", label: "the webhook route alone (HTTP app only)", args: ["-c", BENCH_CONFIG, entry("webhookRouteOnly.ts")] },
  { id: "stripe-static", label: "the webhook route with the stripe package evaluated at start-up", args: ["-c", BENCH_CONFIG, entry("stripeAtStartUp.ts")] },
];

function wrangler(args, what) {
  const result = spawnSync(process.execPath, [WRANGLER_BIN, ...args], { cwd: ROOT, env: OFFLINE_ENV, encoding: "utf8", maxBuffer: 64 << 20 });
  if (result.status !== 0) throw new Error(`${what} failed (exit ${result.status}):\n${(result.stdout ?? "") + (result.stderr ?? "")}`.slice(-4000));
  return result.stdout ?? "";
}

// ---------------------------------------------------------------------------------------
// Source maps (VLQ), to say which package or source file each sample's line belongs to.

const B64 = Object.fromEntries([..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"].map((c, i) => [c, i]));

/** For each generated line, the source index of its first mapped segment. */
function sourceOfLines(map) {
  const lines = [];
  let source = 0;
  for (const line of map.mappings.split(";")) {
    let first = null;
    for (const segment of line.split(",")) {
      if (!segment) continue;
      const values = [];
      let value = 0;
      let shift = 0;
      for (const c of segment) {
        const digit = B64[c];
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          values.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      if (values.length >= 4) {
        source += values[1];
        first ??= source;
      }
    }
    lines.push(first);
  }
  return lines;
}

export function packageOf(file) {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (m) return m[1];
  const s = /(?:^|\/)(src\/.*)$/.exec(file);
  return s ? s[1] : file;
}

export function loadMaps(dirs) {
  const maps = new Map();
  for (const dir of dirs) {
    if (!fs.existsSync(dir)) continue;
    for (const name of fs.readdirSync(dir)) {
      if (!name.endsWith(".js.map") || maps.has(name.replace(/\.map$/, ""))) continue;
      const map = JSON.parse(fs.readFileSync(path.join(dir, name), "utf8"));
      maps.set(name.replace(/\.map$/, ""), { sources: map.sources, lines: sourceOfLines(map) });
    }
  }
  return maps;
}

/**
 * Non-idle CPU of a profile, its top functions, and ms by package.
 *
 * `timing: "deltas"` (start-up, where the isolate has the thread to itself): the sum of the
 * time deltas of the samples that are not (idle), as `wrangler check startup` is read.
 *
 * `timing: "samples"` (an isolate under load in a workerd shared with D1, the queue broker
 * and Miniflare's entry worker): V8 records a sample only while this isolate holds the
 * thread, so the delta of the first sample after another isolate ran spans that other
 * work too, and summing deltas charged this isolate 1.5-1.9 ms per webhook when the whole
 * process spent 1.5. Instead each non-idle sample counts one sampling period: the median
 * spacing of back-to-back samples (deltas up to 3 intervals) in this profile.
 */
/**
 * `wrangler check startup` loads the bundle with `await import(main)` from a module of its own,
 * named by a random UUID. Since workerd's new module registry (compatibility date 2026-11-17,
 * `new_module_registry`) compiling and linking the Worker's modules happens inside that import()
 * and is sampled in that module's `startup` frame; with the old registry it happened before the
 * profile started and was not in the number. `profilerImportMs` is that frame, so the two can
 * be compared (docs/toolchain.md, "Start-up").
 */
const PROFILER_MODULE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function summariseProfile(profile, maps = new Map(), count = 12, { timing = "deltas", intervalUs = 1000 } = {}) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const deltas = profile.timeDeltas;
  const backToBack = deltas.slice(1).filter((d) => d > 0 && d <= 3 * intervalUs).sort((a, b) => a - b);
  const periodMs = (backToBack.length ? backToBack[Math.floor(backToBack.length / 2)] : intervalUs) / 1000;
  let cpuMs = 0;
  let deltaMs = 0;
  let samples = 0;
  let profilerImportMs = 0;
  const byFunction = new Map();
  const byPackage = new Map();
  profile.samples.forEach((id, i) => {
    const frame = nodes.get(id).callFrame;
    if (frame.functionName === "(idle)") return;
    const delta = (deltas[i + 1] ?? deltas[i] ?? 0) / 1000;
    const ms = timing === "samples" ? periodMs : delta;
    samples++;
    deltaMs += delta;
    cpuMs += ms;
    const module = frame.url.split("/").pop();
    if (PROFILER_MODULE.test(module)) profilerImportMs += ms;
    const map = maps.get(module);
    const sourceIndex = map?.lines[frame.lineNumber];
    const where = map && sourceIndex != null ? packageOf(map.sources[sourceIndex]) : frame.url ? module : frame.functionName;
    const fn = `${frame.functionName || "(anonymous)"} (${where})`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms);
    byPackage.set(where, (byPackage.get(where) ?? 0) + ms);
  });
  const top = (m, n) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, ms]) => ({ name, ms }));
  return { cpuMs, samples, periodMs, deltaMs, profilerImportMs, topFunctions: top(byFunction, count), byPackage: top(byPackage, count) };
}

export function measureStartup({ runs = 3, log = console.log } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "order-startup-"));
  try {
    for (const design of DESIGNS) {
      design.bundle = path.join(dir, `${design.id}.bundle`);
      design.outdir = path.join(dir, design.id);
      wrangler(["deploy", "--dry-run", "--outdir", design.outdir, ...design.args], `bundling ${design.id}`);
      wrangler(["deploy", "--dry-run", "--outfile", design.bundle, ...design.args], `bundling ${design.id}`);
      design.bytes = fs.statSync(design.bundle).size;
      design.runs = [];
    }
    const chosenMaps = loadMaps([DESIGNS[0].outdir, path.join(ROOT, "dist", "worker")]);
    for (let run = 1; run <= runs; run++) {
      for (const design of run % 2 ? DESIGNS : [...DESIGNS].reverse()) {
        const outfile = path.join(dir, `${design.id}-${run}.cpuprofile`);
        wrangler(["check", "startup", "--worker", design.bundle, "--outfile", outfile], `wrangler check startup (${design.id})`);
        const maps = design.id === "chosen" ? chosenMaps : loadMaps([design.outdir]);
        design.runs.push(summariseProfile(JSON.parse(fs.readFileSync(outfile, "utf8")), maps));
      }
      log(`        start-up run ${run} of ${runs}: ${DESIGNS.map((d) => `${d.id} ${d.runs.at(-1).cpuMs.toFixed(1)} ms`).join(", ")}`);
    }
    return DESIGNS.map(({ id, label, bytes, runs: r }) => ({ id, label, bundleBytes: bytes, runs: r }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const runs = Number(process.argv[process.argv.indexOf("--runs") + 1]) || 3;
  const results = measureStartup({ runs });
  for (const d of results) {
    const ms = d.runs.map((r) => r.cpuMs).sort((a, b) => a - b);
    const own = d.runs.map((r) => r.cpuMs - r.profilerImportMs).sort((a, b) => a - b);
    console.log(`${d.label}: median ${ms[Math.floor(ms.length / 2)].toFixed(1)} ms (${ms.map((x) => x.toFixed(1)).join(", ")}); without the profiler's import() ${own[Math.floor(own.length / 2)].toFixed(1)} ms`);
  }
  const chosen = results[0].runs.at(-1);
  console.log("chosen, by package:", chosen.byPackage.map((p) => `${p.name} ${p.ms.toFixed(1)}`).join(", "));
  console.log("chosen, top functions:", chosen.topFunctions.map((p) => `${p.name} ${p.ms.toFixed(1)}`).join("; "));
}
