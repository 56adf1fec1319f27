// npm run bench [-- --seconds 4 --runs 3 --warmup 1 --connections 1,10,50 --lines 1,10,100
//                   --invoices 30 --growth 0,100000,200000 | --no-growth --no-write --json FILE
//                   --runtimes wrangler-dev,miniflare --no-startup --startup-runs 5 --profile-requests 5000
//                   --profile-interval 1000 --profile-out FILE --mf-bundle DIR --mf-log-level L]
//
// What a payment webhook costs on this machine, and how that grows with load and with the
// size of the order. Everything runs locally on loopback:
//
// 1. bundles the Worker twice with `wrangler deploy --dry-run`: the real wrangler.toml (its
//    [build] splits the lazily imported modules out; sizes, and the production-shaped run)
//    and scripts/bench/wrangler.bench.toml (the real app behind benchWorker.ts, which counts
//    D1 calls). wrangler dev then runs that bundle as it is (no_bundle), so edits to src/
//    during the run cannot reload the Worker mid-measurement;
// 2. start-up CPU of the Worker by `wrangler check startup`, for the chosen design and the
//    ones not chosen (scripts/bench/startup.mjs);
// 3. migrates and seeds a fresh D1 in a temp dir (`d1 execute --file` of SQL that generates
//    the rows inside SQLite: thousands of AWAITING_PAYMENT orders of 1, 10 and 100 lines);
// 4. starts `wrangler dev` detached (its own process group, killed at the end, also on
//    failure) and drives it with autocannon: paid webhooks for distinct orders and duplicate
//    deliveries of one confirmed order, at several concurrencies, each run verified against
//    the database; CPU of the workerd processes from /proc; D1 calls from the wrapped binding;
//    then renders invoices (Latin and CJK names) inside workerd;
// 5. the production-shaped runtime: the real bundle in one workerd through Miniflare's API
//    (scripts/bench/miniflareRuntime.mjs), a second fresh D1, the rows of the Django peer
//    (../shared/peer-django.md), verified the same way; then a V8 CPU profile of the Worker's
//    isolate over --profile-requests paid webhooks;
// 6. prints a table and rewrites the generated part of BENCHMARKS.md (between the markers).
import "../lib/requireProjectNode.mjs"; // first: stops on the wrong Node before anything else runs
import autocannon from "autocannon";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { OFFLINE_ENV, ROOT } from "../lib/wrangler.mjs";
import { connectProfiler, ordersByStatus, startMiniflare } from "./miniflareRuntime.mjs";
import { loadMaps, measureStartup, summariseProfile } from "./startup.mjs";
import { startupInputs } from "../build/buildWorker.mjs";

const WRANGLER_BIN = path.join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
const BENCH_DIR = path.join(ROOT, "scripts", "bench");
const BENCH_CONFIG = path.join(BENCH_DIR, "wrangler.bench.toml");
const REPORT = path.join(ROOT, "BENCHMARKS.md");
/** Accepted by the bench Worker only; passed with --var, never stored. */
const WEBHOOK_KEY = "bench-only-fake-webhook-key-not-a-secret"; // at least 32 characters (src/config.ts)
const WEBHOOK_PATH = "/api/webhooks/payment/";
const PRODUCTS = 100;
const DUPLICATE_POOL = 999;
const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout?.trim()) || 100;
const MS_PER_TICK = 1000 / CLK_TCK;

// ---------------------------------------------------------------------------------------
// Options

function parseArgs(argv) {
  const opts = {
    seconds: 4,
    runs: 3,
    warmup: 1,
    connections: [1, 10, 50],
    lines: [1, 10, 100],
    invoices: 30,
    invoiceLines: 3,
    // "how it grows": invoices added to this year's series before each growth step
    growth: [0, 100000, 200000],
    growthSeconds: 2,
    write: true,
    json: null,
    // orders seeded per line count: enough for runs × seconds × the fastest rate seen here
    pool: { 1: 40000, 10: 30000, 100: 15000 },
    // the production-shaped runtime (Miniflare): its own fresh D1, the peer's rows only
    runtimes: ["wrangler-dev", "miniflare"],
    mfPool: { 1: 70000, 10: 12000, 100: 8000 },
    profileRequests: 5000,
    // V8's default sampling interval; finer sampling costs the isolate more CPU per request
    profileIntervalUs: 1000,
    profileOut: null,
    // another build to run in the production-shaped runtime (a `wrangler deploy --dry-run --outdir`)
    mfBundle: null,
    // wrangler.toml's LOG_LEVEL unless set (e.g. silent, to see what the request log line costs)
    mfLogLevel: null,
    startup: true,
    // one start-up profile samples about every ms: a single sample can carry a 10 ms pause
    startupRuns: 5,
  };
  const list = (v) => v.split(",").map(Number).filter((n) => Number.isInteger(n) && n > 0);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === "--seconds") opts.seconds = Number(next());
    else if (a === "--runs") opts.runs = Number(next());
    else if (a === "--warmup") opts.warmup = Number(next());
    else if (a === "--connections") opts.connections = list(next());
    else if (a === "--lines") opts.lines = list(next());
    else if (a === "--invoices") opts.invoices = Number(next());
    else if (a === "--growth") opts.growth = next().split(",").map(Number).filter((n) => Number.isInteger(n) && n >= 0);
    else if (a === "--no-growth") opts.growth = [];
    else if (a === "--runtimes") opts.runtimes = next().split(",").filter(Boolean);
    else if (a === "--no-startup") opts.startup = false;
    else if (a === "--startup-runs") opts.startupRuns = Number(next());
    else if (a === "--profile-requests") opts.profileRequests = Number(next());
    else if (a === "--profile-interval") opts.profileIntervalUs = Number(next());
    else if (a === "--profile-out") opts.profileOut = path.resolve(next());
    else if (a === "--mf-bundle") opts.mfBundle = path.resolve(next());
    else if (a === "--mf-log-level") opts.mfLogLevel = next();
    else if (a === "--no-write") opts.write = false;
    else if (a === "--json") opts.json = path.resolve(next());
    else if (a === "--help" || a === "-h") {
      console.log(fs.readFileSync(new URL(import.meta.url), "utf8").split("\n").slice(0, 3).join("\n"));
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  for (const l of opts.lines) if (l > PRODUCTS) throw new Error(`--lines ${l}: at most ${PRODUCTS} (one product per line)`);
  for (const l of opts.lines) opts.pool[l] ??= 20000;
  return opts;
}

// ---------------------------------------------------------------------------------------
// Processes: everything started here is killed at the end, also on failure or Ctrl-C.

let dev = null; // { child, pid, port, logFile }
let tmpDir = null;
/** pid → command line of every process wrangler dev started, for a last individual kill */
const startedPids = new Map();

function killGroup(signal) {
  if (!dev) return;
  try {
    process.kill(-dev.pid, signal);
  } catch {
    /* already gone */
  }
  for (const [pid, cmd] of startedPids) {
    // Only if the pid still is that process (pids get reused).
    if (readProc(pid, "cmdline") !== cmd) continue;
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stopDev() {
  if (!dev) return;
  killGroup("SIGTERM");
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && [...startedPids].some(([pid, cmd]) => alive(pid) && readProc(pid, "cmdline") === cmd)) await sleep(100);
  killGroup("SIGKILL");
  dev = null;
}

process.on("exit", () => {
  killGroup("SIGKILL");
  if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
});
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    console.error(`\n${signal}: stopping wrangler dev`);
    process.exit(130);
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function wranglerSync(args, what) {
  const result = spawnSync(process.execPath, [WRANGLER_BIN, ...args], {
    cwd: ROOT,
    env: OFFLINE_ENV,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}`;
  if (result.status !== 0) throw new Error(`${what} failed (wrangler ${args[0]} exit ${result.status}):\n${output.slice(-4000)}`);
  return output;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------
// /proc: CPU time of wrangler dev's processes and of the whole machine

function procStat(pid) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(rest[1]), ticks: Number(rest[11]) + Number(rest[12]) };
  } catch {
    return null;
  }
}

const readProc = (pid, file) => {
  try {
    return fs.readFileSync(`/proc/${pid}/${file}`, "utf8");
  } catch {
    return "";
  }
};

function descendants(root) {
  const children = new Map();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (!stat) continue;
    if (!children.has(stat.ppid)) children.set(stat.ppid, []);
    children.get(stat.ppid).push(Number(entry));
  }
  const found = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.shift();
    found.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}

/**
 * wrangler dev runs two workerd processes: a proxy that owns the public port, and the
 * runtime that runs the Worker and local D1 (SQLite) and Queues. Both are measured.
 */
function devProcesses(port) {
  const groups = { runtime: [], proxy: [], wrangler: [] };
  for (const pid of descendants(dev.pid)) {
    startedPids.set(pid, readProc(pid, "cmdline"));
    const comm = readProc(pid, "comm").trim();
    const cmd = readProc(pid, "cmdline").split("\0").join(" ");
    if (comm === "workerd") (cmd.includes(`entry=127.0.0.1:${port} `) ? groups.proxy : groups.runtime).push(pid);
    else groups.wrangler.push(pid);
  }
  if (groups.runtime.length === 0 && groups.proxy.length > 0) {
    groups.runtime = groups.proxy;
    groups.proxy = [];
  }
  return groups;
}

function machineTicks() {
  const [, ...fields] = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields;
  return { busy: user + nice + system + irq + softirq + steal, total: user + nice + system + idle + iowait + irq + softirq + steal };
}

function cpuSnapshot() {
  const ticks = {};
  for (const [group, pids] of Object.entries(dev.processes)) ticks[group] = pids.reduce((sum, pid) => sum + (procStat(pid)?.ticks ?? 0), 0);
  const self = process.cpuUsage();
  return { ticks, machine: machineTicks(), selfMs: (self.user + self.system) / 1000, at: performance.now() };
}

function cpuDelta(before, after) {
  const ms = {};
  for (const group of Object.keys(before.ticks)) ms[group] = (after.ticks[group] - before.ticks[group]) * MS_PER_TICK;
  const wallMs = after.at - before.at;
  const machineBusyMs = (after.machine.busy - before.machine.busy) * MS_PER_TICK;
  const client = after.selfMs - before.selfMs;
  const ours = Object.values(ms).reduce((a, b) => a + b, 0) + client;
  return { ...ms, client, wallMs, machineBusyMs, othersMs: Math.max(0, machineBusyMs - ours) };
}

// ---------------------------------------------------------------------------------------
// Bundles and sizes

function gzipSize(buffer) {
  return zlib.gzipSync(buffer).byteLength;
}

function bundle(configArgs, outdir, what) {
  const out = wranglerSync(["deploy", "--dry-run", "--outdir", outdir, "--metafile", path.join(outdir, "..", `${path.basename(outdir)}.meta.json`), ...configArgs], what);
  return out.replace(/\x1b\[[0-9;]*m/g, "");
}

function bundleSizes(outdir, wranglerOutput, metafile) {
  const files = fs.readdirSync(outdir).filter((f) => !f.endsWith(".map") && !f.endsWith(".md"));
  const sizes = files.map((name) => {
    const bytes = fs.readFileSync(path.join(outdir, name));
    return { name: name.replace(/^[0-9a-f]{40}-/, ""), kind: name.endsWith(".js") ? "js" : path.extname(name).slice(1), bytes: bytes.byteLength, gzip: gzipSize(bytes) };
  });
  const all = Buffer.concat(files.map((name) => fs.readFileSync(path.join(outdir, name))));
  const reported = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(wranglerOutput);
  // Which packages the JS is made of (bytes in the output, before compression).
  const meta = JSON.parse(fs.readFileSync(metafile, "utf8"));
  const atStartup = new Set(startupInputs(meta).outputs.map((file) => path.basename(file)));
  for (const size of sizes) size.startup = atStartup.has(size.name);
  const byPackage = new Map();
  for (const output of Object.values(meta.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs ?? {})) {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      const key = m ? m[1] : input.startsWith("src/") || input.includes("/src/") ? "src/ (this project)" : "other";
      byPackage.set(key, (byPackage.get(key) ?? 0) + bytesInOutput);
    }
  }
  const packages = [...byPackage.entries()].sort((a, b) => b[1] - a[1]).map(([name, bytes]) => ({ name, bytes }));
  return {
    files: sizes,
    total: { bytes: all.byteLength, gzip: gzipSize(all) },
    wranglerReported: reported ? { kib: Number(reported[1]), gzipKib: Number(reported[2]) } : null,
    packages,
  };
}

/** The bench config with absolute paths, running the prebuilt bundle as it is. */
function runtimeConfig(bundleDir) {
  const main = fs.readdirSync(bundleDir).find((f) => f.endsWith(".js"));
  let toml = fs.readFileSync(BENCH_CONFIG, "utf8");
  const abs = (rel) => JSON.stringify(path.resolve(BENCH_DIR, rel));
  toml = toml.replace(/^main = .*$/m, `main = ${JSON.stringify(path.join(bundleDir, main))}\nno_bundle = true`);
  toml = toml.replace(/^migrations_dir = "(.*)"$/m, (_, rel) => `migrations_dir = ${abs(rel)}`);
  toml = toml.replace(/^directory = "(.*)"$/m, (_, rel) => `directory = ${abs(rel)}`);
  return toml;
}

// ---------------------------------------------------------------------------------------
// Seed: rows generated inside SQLite, so the SQL file stays a few KB.

const orderNumber = (code, n) => code * 1_000_000 + n;
const orderId = (code, n) => `b${code.toString(16).padStart(7, "0")}-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;

function seedSql(pools) {
  const sql = [
    `INSERT INTO products (id, name, price_cents, stock, stock_reserved)
     WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < ${PRODUCTS})
     SELECT n, 'Bench product ' || n, 1000 + n, 1000000000, 500000000 FROM k;`,
  ];
  for (const { code, lines, size } of pools) {
    const lo = orderNumber(code, 0);
    sql.push(
      `INSERT INTO orders (id, order_number, status, customer_email, customer_name, currency)
       WITH RECURSIVE k(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM k WHERE n < ${size - 1})
       SELECT printf('b%07x-0000-4000-8000-%012x', ${code}, n), ${lo} + n, 'AWAITING_PAYMENT',
              'customer' || n || '@bench.invalid', 'Bench Customer ' || n, 'EUR' FROM k;`,
      // `lines` distinct products per order, quantity 1 each, spread over all products.
      `INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents)
       WITH RECURSIVE line(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM line WHERE j < ${lines - 1})
       SELECT o.id, 1 + ((o.order_number * ${lines} + line.j) % ${PRODUCTS}), 1, 1000
       FROM orders o, line WHERE o.order_number BETWEEN ${lo} AND ${lo + size - 1};`,
    );
  }
  return sql.join("\n");
}

// ---------------------------------------------------------------------------------------
// HTTP

async function benchGet(pathname, init) {
  if (dev.kind === "miniflare") return dev.benchGet(pathname, init);
  const response = await fetch(`http://127.0.0.1:${dev.port}${pathname}`, init);
  const text = await response.text();
  if (!response.ok) throw new Error(`${init?.method ?? "GET"} ${pathname}: ${response.status} ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

async function waitUntilReady(timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (dev.child.exitCode !== null) break;
    try {
      return await benchGet("/__bench/d1");
    } catch {
      await sleep(250);
    }
  }
  const log = fs.existsSync(dev.logFile) ? fs.readFileSync(dev.logFile, "utf8").slice(-4000) : "";
  throw new Error(`wrangler dev did not answer on 127.0.0.1:${dev.port} within ${timeoutMs / 1000} s:\n${log}`);
}

const ordersIn = (code, from, to) => benchGet(`/__bench/orders?from=${orderNumber(code, from)}&to=${orderNumber(code, to)}`);
const countOf = (rows, key, value) => rows.filter((r) => r[key] === value).reduce((sum, r) => sum + r.n, 0);

/**
 * One autocannon run; every response's `outcome` is tallied. Times are taken here, not from
 * autocannon's result: it notices the end of an `amount` run only at its next 1 s tick, so
 * its `duration` is rounded up, and its latency histogram keeps whole milliseconds.
 * `onLast` runs synchronously when the `amount`-th response arrives.
 */
async function load({ connections, amount, duration, body, nextBody, onLast }) {
  const outcomes = {};
  const samples = {};
  const request = {
    method: "POST",
    path: WEBHOOK_PATH,
    headers: { "content-type": "application/json", "x-webhook-key": WEBHOOK_KEY },
    onResponse(status, responseBody, _context, headers) {
      const match = /"outcome":"([a-z_]+)"/.exec(responseBody ?? "");
      // wrangler dev's proxy answers this when its fetch to the runtime workerd fails (BENCHMARKS.md)
      const proxy503 = status === 503 && /restarted mid-request/.test(responseBody ?? "");
      const key = status >= 200 && status < 300 && match ? match[1] : proxy503 ? "proxy_503" : `http_${status}`;
      outcomes[key] = (outcomes[key] ?? 0) + 1;
      // Keep one example of every unexpected answer, for the report.
      if (key.startsWith("http_") && !samples[key]) samples[key] = `${String(responseBody ?? "").slice(0, 300)} ${JSON.stringify(headers ?? {}).slice(0, 300)}`;
    },
  };
  if (nextBody) request.setupRequest = (req) => ({ ...req, body: nextBody() });
  else request.body = body;
  const startedAt = performance.now();
  let lastAt = startedAt;
  const instance = autocannon({
    url: `http://127.0.0.1:${dev.port}`,
    connections,
    ...(amount ? { amount } : { duration }),
    requests: [request],
    timeout: 30,
  });
  const latencies = [];
  instance.on("response", (_client, _status, _bytes, ms) => {
    lastAt = performance.now();
    latencies.push(ms);
    if (latencies.length === amount) onLast?.();
  });
  const result = await instance;
  const seconds = (lastAt - startedAt) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] : NaN);
  const latency = { p50: pct(50), p90: pct(90), p99: pct(99), max: latencies.at(-1) ?? NaN, mean: latencies.reduce((a, b) => a + b, 0) / (latencies.length || 1) };
  return { result, outcomes, samples, latency, seconds, rps: latencies.length / seconds };
}

// ---------------------------------------------------------------------------------------
// Scenarios

const problems = [];
const warnings = [];
const check = (ok, message) => {
  if (!ok) {
    problems.push(message);
    console.error(`  ✘ ${message}`);
  }
  return ok;
};

function paidScenario(lines, connections, pool) {
  return {
    id: `paid-${lines}-c${connections}`,
    kind: "paid",
    pool,
    lines,
    connections,
    runs: [],
    async warm(seconds) {
      const { rps } = await load({ connections, duration: seconds, nextBody: () => paidBody(pool) });
      await sleep(300); // requests cut off at the end of a duration run still finish in the Worker
      return rps;
    },
    async measure(amount) {
      const from = pool.next;
      const before = await ordersIn(pool.code, 0, 0);
      const sample = await measured(connections, amount, () => paidBody(pool));
      const to = pool.next - 1;
      const after = await ordersIn(pool.code, from, to);
      const confirmed = countOf(after.orders, "status", "CONFIRMED");
      const invoices = after.orders.reduce((sum, r) => sum + r.invoices, 0);
      const stockMoved = before.products.stock - after.products.stock;
      const reservedMoved = before.products.stock_reserved - after.products.stock_reserved;
      const where = `${this.id} run ${this.runs.length + 1}`;
      const ok = checkAnswers(where, sample, amount, "confirmed");
      check(confirmed === ok && invoices === ok, `${where}: ${confirmed} orders CONFIRMED and ${invoices} invoices in the ids sent to, expected ${ok} (one per 2xx)`);
      check(stockMoved === ok * lines && reservedMoved === ok * lines, `${where}: stock moved by ${stockMoved}/${reservedMoved}, expected ${ok * lines}`);
      this.runs.push({ ...sample, confirmed, stockMoved, invoicesAtStart: before.products.invoices });
    },
  };
}

/**
 * Every request must be answered 2xx with the expected outcome, except the 503s that
 * wrangler dev's proxy makes up when its fetch to the runtime fails: those are counted and
 * reported (a dev-server artefact; the Worker never saw them, which the database checks
 * confirm), not failed. Returns the number of 2xx answers, which the database must match.
 */
function checkAnswers(where, sample, amount, outcome) {
  const proxy503 = sample.outcomes.proxy_503 ?? 0;
  const expected = sample.outcomes[outcome] ?? 0;
  const others = Object.entries(sample.outcomes).filter(([k]) => k !== outcome && k !== "proxy_503");
  check(
    sample.ok2xx === expected && others.length === 0 && sample.ok2xx + proxy503 === amount && !sample.errors && !sample.timeouts,
    `${where}: of ${amount} requests ${sample.ok2xx} answered 2xx (${expected} ${outcome}), ${proxy503} proxy 503, errors ${sample.errors}, timeouts ${sample.timeouts}; outcomes ${JSON.stringify(sample.outcomes)}${describeSamples(sample)}`,
  );
  if (proxy503) {
    const note = `${where}: ${proxy503} of ${amount} requests answered 503 "Your worker restarted mid-request" by wrangler dev's proxy; none reached the Worker`;
    warnings.push(note);
    console.warn(`  ! ${note}`);
  }
  return sample.ok2xx;
}

const describeSamples = (sample) =>
  Object.keys(sample.samples).length ? `; e.g. ${Object.entries(sample.samples).map(([k, v]) => `${k}: ${v}`).join("; ")}` : "";

function paidBody(pool) {
  if (pool.next >= pool.size) throw new Error(`order pool of ${pool.lines}-line orders exhausted (${pool.size}); raise opts.pool`);
  return JSON.stringify({ order_id: orderId(pool.code, pool.next++), status: "paid" });
}

function duplicateScenario(connections) {
  const body = JSON.stringify({ order_id: orderId(DUPLICATE_POOL, 0), status: "paid" });
  return {
    id: `duplicate-c${connections}`,
    kind: "duplicate",
    lines: 3,
    connections,
    runs: [],
    async warm(seconds) {
      const { rps } = await load({ connections, duration: seconds, body });
      await sleep(300);
      return rps;
    },
    async measure(amount) {
      const before = await ordersIn(DUPLICATE_POOL, 0, 0);
      const sample = await measured(connections, amount, null, body);
      const after = await ordersIn(DUPLICATE_POOL, 0, 0);
      const where = `${this.id} run ${this.runs.length + 1}`;
      const dupes = countOf(after.events, "outcome", "duplicate") - countOf(before.events, "outcome", "duplicate");
      const ok = checkAnswers(where, sample, amount, "duplicate");
      check(dupes === ok, `${where}: ${dupes} duplicate events recorded, expected ${ok} (one per 2xx)`);
      check(countOf(after.orders, "status", "CONFIRMED") === 1 && after.orders[0]?.invoices === 1, `${where}: the order is not CONFIRMED with one invoice: ${JSON.stringify(after.orders)}`);
      check(after.products.stock === before.products.stock && after.products.stock_reserved === before.products.stock_reserved, `${where}: stock changed on duplicate deliveries`);
      this.runs.push({ ...sample, invoicesAtStart: before.products.invoices });
    },
  };
}

/** A measured run: D1 counters and CPU around one autocannon run of `amount` requests. */
async function measured(connections, amount, nextBody, body) {
  const reset = await benchGet("/__bench/d1/reset", { method: "POST" });
  const cpuBefore = cpuSnapshot();
  let cpuAfter = null;
  const { result, outcomes, samples, latency, seconds, rps } = await load({ connections, amount, nextBody, body, onLast: () => (cpuAfter = cpuSnapshot()) });
  cpuAfter ??= cpuSnapshot();
  const d1 = await benchGet("/__bench/d1");
  check(d1.isolate === reset.isolate, `the Worker was reloaded during a run (isolate ${reset.isolate} → ${d1.isolate})`);
  const served = result.requests.total;
  // D1 work happens only for the requests that reached the Worker
  const reached = Math.max(1, served - (outcomes.proxy_503 ?? 0));
  const cpu = cpuDelta(cpuBefore, cpuAfter);
  return {
    amount,
    served,
    seconds,
    rps,
    p50: latency.p50,
    p90: latency.p90,
    p99: latency.p99,
    max: latency.max,
    mean: latency.mean,
    ok2xx: result["2xx"],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    outcomes,
    samples,
    cpu,
    cpuMsPerReq: {
      runtime: cpu.runtime / served,
      proxy: cpu.proxy / served,
      wrangler: cpu.wrangler / served,
      client: cpu.client / served,
    },
    machineBusyPct: (cpu.machineBusyMs / cpu.wallMs / os.cpus().length) * 100,
    othersPct: (cpu.othersMs / cpu.wallMs / os.cpus().length) * 100,
    d1: {
      statements: d1.statements / reached,
      roundTrips: d1.roundTrips / reached,
      batches: d1.batch / reached,
      prepare: d1.prepare / reached,
      bind: d1.bind / reached,
      single: (d1.run + d1.first + d1.all + d1.raw + d1.exec) / reached,
      maxBatch: d1.maxBatch,
      rowsRead: d1.rowsRead / reached,
      rowsWritten: d1.rowsWritten / reached,
      sqlMs: d1.sqlMs / reached,
      sqlMsByStatement: d1.sqlMsByPosition.map((ms) => ms / reached),
    },
  };
}

async function invoiceBench(opts) {
  const out = {};
  for (const kind of ["latin", "cjk"]) {
    const first = await benchGet(`/__bench/invoice?kind=${kind}&n=1&lines=${opts.invoiceLines}`);
    const runs = [];
    for (let r = 0; r < opts.runs; r++) {
      const before = cpuSnapshot();
      const res = await benchGet(`/__bench/invoice?kind=${kind}&n=${opts.invoices}&lines=${opts.invoiceLines}`);
      const cpu = cpuDelta(before, cpuSnapshot());
      runs.push({ ...res, cpuMsPerInvoice: cpu.runtime / opts.invoices, othersPct: (cpu.othersMs / cpu.wallMs / os.cpus().length) * 100 });
    }
    out[kind] = { first, runs };
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Statistics and report

const median = (values) => {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
};
const spreadPct = (values) => {
  const m = median(values);
  return m ? ((Math.max(...values) - Math.min(...values)) / m) * 100 : 0;
};
const fmt = (x, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : "–");
const stat = (values, digits = 1) => `${fmt(median(values), digits)} (${fmt(Math.min(...values), digits)}–${fmt(Math.max(...values), digits)})`;
const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;

function table(headers, rows) {
  const line = (cells) => `| ${cells.join(" | ")} |`;
  return [line(headers), line(headers.map((h, i) => (i === 0 ? "---" : "---:"))), ...rows.map(line)].join("\n");
}

function scenarioRows(scenarios) {
  return scenarios.map((s) => {
    const r = s.runs;
    const pick = (f) => r.map(f);
    return [
      s.kind === "paid" ? `paid, ${s.lines}-line orders` : "duplicate of 1 confirmed order",
      String(s.connections),
      stat(pick((x) => x.rps), 0),
      stat(pick((x) => x.p50), 1),
      stat(pick((x) => x.p99), 1),
      stat(pick((x) => x.cpuMsPerReq.runtime), 2),
      fmt(median(pick((x) => x.cpuMsPerReq.proxy + x.cpuMsPerReq.wrangler)), 2),
      `${fmt(median(pick((x) => x.d1.statements)), 2)} / ${fmt(median(pick((x) => x.d1.roundTrips)), 2)}`,
      `${stat(pick((x) => x.d1.rowsRead), 0)} / ${fmt(median(pick((x) => x.d1.rowsWritten)), 0)}`,
      `${Math.min(...pick((x) => x.invoicesAtStart))}–${Math.max(...pick((x) => x.invoicesAtStart))}`,
      `${pick((x) => x.served).reduce((a, b) => a + b, 0)}`,
      fmt(median(pick((x) => x.othersPct)), 0),
    ];
  });
}

/**
 * The original Django view (../shared/peer-django.md): req/s and CPU ms per request
 * (gunicorn + postgres) on this machine kind, autocannon on loopback, medians of 3 runs.
 */
const PEER = {
  "paid-1-c1": { rps: 111, cpu: 7.7 },
  "paid-1-c10": { rps: 201, cpu: 8.6 },
  "paid-1-c50": { rps: 208, cpu: 8.3 },
  "paid-10-c10": { rps: 7, cpu: 16.8, note: "1 in 3 answered 500 (deadlock)" },
  "paid-100-c10": { rps: 1.2, cpu: 32.5, note: "every request 500 (deadlock)" },
  "duplicate-c10": { rps: 385, cpu: 4.1 },
};

function productionRows(rows) {
  return rows.map((s) => {
    const pick = (f) => s.runs.map(f);
    const peer = PEER[s.id.replace(/^mf-/, "")];
    const rps = median(pick((x) => x.rps));
    return [
      s.kind === "paid" ? `paid, ${s.lines}-line orders` : "duplicate of 1 confirmed order",
      String(s.connections),
      stat(pick((x) => x.rps), 0),
      stat(pick((x) => x.p50), 1),
      stat(pick((x) => x.p99), 1),
      stat(pick((x) => x.cpuMsPerReq.runtime), 2),
      peer ? `${peer.rps}${peer.note ? ` (${peer.note})` : ""}` : "–",
      peer ? `${fmt(rps / peer.rps, rps / peer.rps >= 10 ? 0 : 1)}×` : "–",
      `${pick((x) => x.served).reduce((a, b) => a + b, 0)}`,
      fmt(median(pick((x) => x.othersPct)), 0),
    ];
  });
}

function growthRows(growth) {
  return growth.map((g) => {
    const pick = (f) => g.runs.map(f);
    const stmt4 = pick((x) => x.d1.sqlMsByStatement[3] ?? NaN);
    return [
      String(g.invoicesInSeries),
      stat(pick((x) => x.rps), 0),
      stat(pick((x) => x.p50), 1),
      stat(pick((x) => x.p99), 1),
      stat(pick((x) => x.cpuMsPerReq.runtime), 2),
      stat(pick((x) => x.d1.rowsRead), 0),
      `${fmt(median(pick((x) => x.d1.sqlMs)), 2)} / ${fmt(median(stmt4), 2)}`,
      `${pick((x) => x.served).reduce((a, b) => a + b, 0)}`,
      fmt(median(pick((x) => x.othersPct)), 0),
    ];
  });
}

const GROWTH_HEADERS = [
  "invoices already in the series",
  "req/s",
  "p50 ms",
  "p99 ms",
  "workerd CPU ms/req",
  "D1 rows read per req",
  "D1 SQL ms per req: all / invoice statement",
  "requests",
  "others' CPU %",
];

const SCENARIO_HEADERS = [
  "scenario",
  "conns",
  "req/s",
  "p50 ms",
  "p99 ms",
  "workerd CPU ms/req",
  "dev harness CPU ms/req",
  "D1 stmts / round trips per req",
  "D1 rows read / written per req",
  "invoices in series during runs",
  "requests (all runs)",
  "others' CPU %",
];

function startupSection(startup) {
  const rows = startup.map((d) => [
    d.label,
    stat(d.runs.map((r) => r.cpuMs), 1),
    stat(d.runs.map((r) => r.cpuMs - r.profilerImportMs), 1),
    stat(d.runs.map((r) => r.samples), 0),
    kib(d.bundleBytes),
  ]);
  const chosen = startup.find((d) => d.id === "chosen");
  const mid = [...chosen.runs].sort((a, b) => a.cpuMs - b.cpuMs)[Math.floor(chosen.runs.length / 2)];
  return `### Start-up CPU of the webhook's isolate (\`wrangler check startup\`)

${table(["design", "start-up CPU ms", "without the profiler's import() ms", "non-idle samples", "upload (all modules)"], rows)}

- *start-up CPU*: the sum of the time deltas of the non-idle samples of workerd's start-up profile of each bundle (\`wrangler deploy --dry-run --outfile\`, then \`wrangler check startup --worker\`), ${chosen.runs.length} runs per design, interleaved; median (min–max). The profile samples about every millisecond, so *non-idle samples* is nearly the same figure in ms, without the pauses: when another process takes the core (2 shared cores here), one sample's delta spans the pause, and a run reads 10–15 ms more with the same number of samples. Designs other than the chosen one are bundled from \`scripts/bench/startup/*.ts\`.
- *without the profiler's import()*: the same less the samples in the \`startup\` frame of wrangler's profiler module, which imports the bundle. Under workerd's new module registry (compatibility date 2026-11-17 on) compiling and linking the modules is sampled there; before, it happened before the profile started. This column is the one comparable with readings taken before compatibility date 2026-11-17 (docs/toolchain.md, "Start-up").
- What remains in the chosen design's start-up (its median run, ${fmt(mid.cpuMs, 1)} ms), by package or source file: ${mid.byPackage.map((p) => `${p.name} ${fmt(p.ms, 1)}`).join(", ")}.
- Its top functions: ${mid.topFunctions.slice(0, 8).map((f) => `${f.name} ${fmt(f.ms, 1)}`).join("; ")}.
`;
}

const PRODUCTION_HEADERS = ["scenario", "conns", "req/s", "p50 ms", "p99 ms", "workerd CPU ms/req", "peer req/s", "ratio to peer", "requests (all runs)", "others' CPU %"];

function productionSection(production, opts) {
  const p = production.profile;
  const perWebhook = (ms) => fmt((ms / p.requests) * 1000, 1);
  const profileRows = p.topFunctions.map((f) => [f.name, perWebhook(f.ms), `${fmt((f.ms / p.cpuMs) * 100, 0)} %`]);
  return `### Production-shaped runtime: the built Worker in one workerd (Miniflare)

${table(PRODUCTION_HEADERS, productionRows(production.rows))}

- The modules \`wrangler deploy --dry-run\` uploads, run by Miniflare's API (the miniflare inside wrangler's dependencies) in one workerd: the bindings, vars and compatibility settings of wrangler.toml (LOG_LEVEL \`info\`: the request log line is written), a fresh local D1, the queue producer; no queue consumer and no cron in the process, as in the peer's measurement. No proxy and no Node process in the path. ${opts.runs} runs of about ${opts.seconds} s per row, each checked against the database like the wrangler dev rows. *workerd CPU ms/req* is the whole process: the Worker, the local D1 (SQLite), the queue broker and Miniflare's entry worker.
- *peer req/s*: the original Django view (gunicorn, 5 sync workers, PostgreSQL, Celery/Redis) on this machine kind, from \`../shared/peer-django.md\`, measured at another time: absolute numbers vary between machines and runs (up to 30 % on this shared machine), so the ratios are indicative; they compare the same connections and the same order shapes.

### The Worker's own CPU per paid webhook: a V8 profile of its isolate

**${fmt(p.msPerRequest, 3)} ms per paid webhook** (${p.requests} paid 1-line webhooks at 10 connections in the runtime above, profiled through Miniflare's inspector; ${p.samples} non-idle samples × ${fmt(p.periodMs, 3)} ms sampling period).

${table(["function (package or source file)", "µs per webhook", "share"], profileRows)}

- By package or source file (µs per webhook): ${p.byPackage.map((x) => `${x.name} ${perWebhook(x.ms)}`).join(", ")}.
- The isolate shares workerd's thread with D1, the queue broker and Miniflare's entry worker, and V8 records a sample only while this isolate holds the thread: the time delta of the first sample after another isolate ran includes that isolate's work. Summed deltas here give ${fmt(p.deltaMs / p.requests, 2)} ms per webhook, more than the whole process spends (the table above), so each non-idle sample counts one sampling period instead (the median spacing of back-to-back samples). Native calls (console.log, crypto.subtle, the D1 binding's C++) are charged to the JS function that made them; \`(program)\` is V8 and workerd work inside this isolate outside JS.
`;
}

function capacitySection(scenarios) {
  const row = scenarios.find((s) => s.id === "paid-1-c1") ?? scenarios.find((s) => s.kind === "paid");
  if (!row) return "";
  const pick = (f) => median(row.runs.map(f));
  const sqlMs = pick((r) => r.d1.sqlMs);
  const rowsRead = pick((r) => r.d1.rowsRead);
  const rowsWritten = pick((r) => r.d1.rowsWritten);
  const perSecond = 1000 / sqlMs;
  const dup = scenarios.find((s) => s.id === "duplicate-c1");
  const dupMs = dup ? median(dup.runs.map((r) => r.d1.sqlMs)) : NaN;
  return `### Capacity on paper: one D1 database

D1's own \`meta.duration\` of the confirming batch (${row.lines}-line orders, ${row.connections} connection, local D1): **${fmt(sqlMs, 2)} ms** for its ${fmt(pick((r) => r.d1.statements), 0)} statements, ${fmt(rowsRead, 0)} rows read and ${fmt(rowsWritten, 0)} written; a duplicate delivery's batch ${fmt(dupMs, 2)} ms. A D1 database executes one statement at a time, so at this duration one database confirms at most **about ${fmt(perSecond, 0)} payments per second** (${fmt(perSecond * 60, 0)} per minute) if it did nothing else. See the reading above for what that means in production.
`;
}

function renderMarkdown(results) {
  const { env, opts, scenarios, invoices, sizes } = results;
  const inv = (kind) => invoices[kind];
  const invRow = (kind) => {
    const k = inv(kind);
    return [
      `${kind === "cjk" ? "CJK" : "Latin"} (“${k.first.customerName}”)`,
      fmt(k.first.firstRenderMs + k.first.firstComposeMs, 0),
      stat(k.runs.map((r) => r.medianRenderMs), 1),
      stat(k.runs.map((r) => r.medianComposeMs), 1),
      stat(k.runs.map((r) => r.medianTotalMs), 1),
      stat(k.runs.map((r) => r.cpuMsPerInvoice), 1),
      kib(k.first.pdfBytes),
    ];
  };
  const size = (s, kind) => s.files.filter((f) => f.kind === kind);
  const sizeRows = [
    ...size(sizes.real, "js").map((f) => [`Worker JS module ${f.name} (${f.startup ? "evaluated at start-up" : "loaded on first use"})`, kib(f.bytes), kib(f.gzip)]),
    ...size(sizes.real, "ttf").map((f) => [`bundled font module (${f.name})`, kib(f.bytes), kib(f.gzip)]),
    ["all modules together (what the 3 MB free-plan limit counts)", kib(sizes.real.total.bytes), kib(sizes.real.total.gzip)],
  ];
  const packages = sizes.real.packages.slice(0, 8).map((p) => `${p.name} ${kib(p.bytes)}`).join(", ");
  const detail = [...scenarios, ...results.growth].flatMap((s) =>
    s.runs.map((r, i) => [
      s.id,
      String(i + 1),
      String(r.invoicesAtStart),
      String(r.served),
      fmt(r.seconds, 2),
      fmt(r.rps, 0),
      fmt(r.p50, 1),
      fmt(r.p99, 1),
      fmt(r.cpuMsPerReq.runtime, 2),
      fmt(r.cpuMsPerReq.proxy, 2),
      fmt(r.cpuMsPerReq.wrangler, 2),
      fmt(r.cpuMsPerReq.client, 2),
      fmt(r.d1.rowsRead, 0),
      fmt(r.d1.sqlMs, 2),
      fmt(r.machineBusyPct, 0),
      fmt(r.othersPct, 0),
    ]),
  );
  const d1Summary = [...new Set(scenarios.flatMap((s) => s.runs.map((r) => `${fmt(r.d1.statements, 2)} statements in ${fmt(r.d1.roundTrips, 2)} round trips (${fmt(r.d1.batches, 2)} batch of up to ${r.d1.maxBatch}, ${fmt(r.d1.single, 2)} single statements)`)))];
  return `<!-- bench:begin — generated by \`npm run bench\` (scripts/bench/run.mjs); edit outside the markers -->
## Latest run

- **Date:** ${results.date}
- **Command:** \`${results.command}\`
- **Machine:** ${env.cpus} × ${env.cpuModel}, ${env.memGiB} GiB RAM, ${env.os}; Node ${env.node}, wrangler ${env.wrangler}, autocannon ${env.autocannon}; CLK_TCK ${CLK_TCK}
- **Code:** ${env.git}
- **Method:** ${opts.runs} measured runs per row (median, with min–max in brackets), each about ${opts.seconds} s of requests after a ${opts.warmup} s warm-up that also sets the run's request count; rows interleaved run by run (every other run in reverse order), so background load and the growing invoice series spread over all rows. autocannon (same machine, keep-alive connections, loopback) → \`wrangler dev\` (local, \`--persist-to\` a fresh temp dir, LOG_LEVEL=silent). Every run checked against the database: every answer 2xx with the expected \`outcome\` (the only tolerated exception, reported below when it happens: a 503 that wrangler dev's proxy makes up without reaching the Worker), exactly one CONFIRMED order with one invoice per 2xx among the ids sent, stock moved by exactly the ordered quantity (duplicates: one audit row each, nothing else moved). **Checks: ${results.problems.length === 0 ? "all passed" : `${results.problems.length} FAILED (see below)`}${results.warnings.length ? `; ${results.warnings.length} ${results.warnings.length === 1 ? "run" : "runs"} had 503s from wrangler dev's proxy (below)` : ""}.**

${startupSection(results.startup)}
${productionSection(results.production, opts)}
### Webhooks under \`wrangler dev\`

${table(SCENARIO_HEADERS, scenarioRows(scenarios))}

- *workerd CPU ms/req*: utime+stime of the workerd process that runs the Worker **and** the local D1 (SQLite) and Queues, divided by requests served. *dev harness CPU*: what \`wrangler dev\` itself spends per request and production does not have: its second workerd (a proxy in front of the Worker's) plus its Node process (wrangler logs every request at its default log level; \`--log-level error\` hides the line, yet the Node process still spends this CPU per request). *others' CPU %*: share of the machine's ${env.cpus} cores used by processes other than wrangler dev and the load generator during the run (other people's tests).
- D1 per webhook, counted by the wrapped binding: ${d1Summary.join("; ")}.

${results.growth.length ? `### How it grows: the invoice series

Paid webhooks for distinct 1-line orders at 10 connections, ${opts.runs} runs of about ${opts.growthSeconds} s per row, after filling this year's invoice series with CONFIRMED orders and their invoices (\`POST /__bench/invoices/fill\`, uncounted).

${table(GROWTH_HEADERS, growthRows(results.growth))}

- *D1 rows read* and *SQL ms* are D1's own \`meta.rows_read\` and \`meta.duration\` of every statement, summed by the wrapped binding; *invoice statement* is the 4th statement of the confirming batch (the one that allocates the invoice number).
` : ""}
${capacitySection(scenarios)}
### One invoice (queue consumer work), ${opts.invoiceLines} lines

${table(["customer name", "first in isolate ms", "PDF render ms", "email compose ms", "render + compose ms", "workerd CPU ms/invoice", "PDF size"], [invRow("latin"), invRow("cjk")])}

- Times are wall time inside workerd, in whole milliseconds (its clock moves only across I/O, so a zero timer is awaited before each reading, and it has 1 ms resolution here), median of ${opts.invoices - 1} invoices per run after the run's first; *workerd CPU ms/invoice* is the process's CPU time over the ${opts.invoices} invoices of a run. *First in isolate*: the first invoice of each kind after start-up, which parses the font(s) (and for CJK, fetches the fallback font from ASSETS).

### Bundle (\`wrangler deploy --dry-run\` with the real wrangler.toml)

${table(["module", "size", "gzip"], sizeRows)}

- wrangler's own report: ${sizes.real.wranglerReported ? `${sizes.real.wranglerReported.kib} KiB / gzip ${sizes.real.wranglerReported.gzipKib} KiB` : "not found"}. The CJK font (${kib(sizes.cjkFontBytes)}) is a static asset, not in the script.
- Largest inputs of the JS (bytes in the bundle, before gzip): ${packages}.

<details><summary>Every run</summary>

${table(["row", "run", "invoices at start", "requests", "s", "req/s", "p50 ms", "p99 ms", "workerd CPU ms/req", "proxy workerd ms/req", "wrangler node ms/req", "autocannon ms/req", "D1 rows read/req", "D1 SQL ms/req", "machine busy %", "others %"], detail)}

</details>
${results.warnings.length ? `\n### wrangler dev proxy 503s\n\n${results.warnings.map((p) => `- ${p}`).join("\n")}\n` : ""}${results.problems.length ? `\n### Failed checks\n\n${results.problems.map((p) => `- ${p}`).join("\n")}\n` : ""}<!-- bench:end -->`;
}

function writeReport(markdown) {
  const begin = "<!-- bench:begin";
  const end = "<!-- bench:end -->";
  let doc = fs.existsSync(REPORT) ? fs.readFileSync(REPORT, "utf8") : "";
  if (doc.includes(begin) && doc.includes(end)) {
    doc = doc.slice(0, doc.indexOf(begin)) + markdown + doc.slice(doc.indexOf(end) + end.length);
  } else {
    doc = `# Benchmarks\n\nRun with \`npm run bench\`.\n\n${markdown}\n`;
  }
  fs.writeFileSync(REPORT, doc);
}

function environment() {
  const version = (pkg) => {
    try {
      return JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", pkg, "package.json"), "utf8")).version;
    } catch {
      return "?";
    }
  };
  const git = (args) => spawnSync("git", args, { cwd: ROOT, encoding: "utf8" }).stdout?.trim() ?? "";
  // Not git(): its trim() would eat the leading status column of the first line.
  const dirty = (spawnSync("git", ["status", "--porcelain", "--", "src", "migrations", "wrangler.toml", "package.json"], { cwd: ROOT, encoding: "utf8" }).stdout ?? "").trimEnd();
  const cpuModel = /model name\s*:\s*(.*)/.exec(fs.readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? os.cpus()[0]?.model ?? "?";
  let osRelease = os.type();
  try {
    osRelease = /PRETTY_NAME="([^"]*)"/.exec(fs.readFileSync("/etc/os-release", "utf8"))?.[1] ?? osRelease;
  } catch {
    /* keep os.type() */
  }
  return {
    cpus: os.cpus().length,
    cpuModel,
    memGiB: (os.totalmem() / 2 ** 30).toFixed(1),
    os: osRelease,
    node: process.versions.node,
    wrangler: version("wrangler"),
    autocannon: version("autocannon"),
    git: `${git(["rev-parse", "--short", "HEAD"])}${dirty ? ` plus uncommitted changes in ${[...new Set(dirty.split("\n").map((l) => l.slice(3).split("/").slice(0, 2).join("/")))].join(", ")}` : ""}`,
  };
}

function printSummary(results) {
  const { scenarios, invoices, sizes } = results;
  if (results.startup) {
    console.log("\nStart-up CPU (wrangler check startup, median ms of runs; non-idle samples)");
    for (const d of results.startup)
      console.log(
        `  ${d.label.padEnd(80)} ${stat(d.runs.map((r) => r.cpuMs), 1)}; ${stat(d.runs.map((r) => r.samples), 0)}; without the profiler's import() ${stat(d.runs.map((r) => r.cpuMs - r.profilerImportMs), 1)}`,
      );
  }
  if (results.production) {
    console.log("\nProduction-shaped runtime: the built Worker in one workerd (Miniflare)");
    console.table(
      Object.fromEntries(
        productionRows(results.production.rows).map((row) => [`${row[0]} @${row[1]}`, { "req/s": row[2], "p50 ms": row[3], "p99 ms": row[4], "workerd CPU ms/req": row[5], peer: row[6], ratio: row[7] }]),
      ),
    );
    const p = results.production.profile;
    if (p) console.log(`  Worker isolate CPU per paid webhook: ${fmt(p.msPerRequest, 3)} ms (V8 profile of ${p.requests} webhooks)`);
  }
  if (!scenarios.length) return;
  console.log("\nWebhooks under wrangler dev (median of runs, min–max in brackets)");
  console.table(
    Object.fromEntries(
      scenarioRows(scenarios).map((row) => [
        `${row[0]} @${row[1]}`,
        { "req/s": row[2], "p50 ms": row[3], "p99 ms": row[4], "CPU ms/req": row[5], "D1 stmts/trips": row[7], "rows read": row[8], others: `${row[11]}%` },
      ]),
    ),
  );
  if (results.growth.length) {
    console.log("How it grows: paid 1-line webhooks at 10 connections vs invoices already in this year's series");
    console.table(
      Object.fromEntries(
        growthRows(results.growth).map((row) => [row[0], { "req/s": row[1], "p50 ms": row[2], "p99 ms": row[3], "CPU ms/req": row[4], "rows read/req": row[5], "SQL ms all/invoice": row[6] }]),
      ),
    );
  }
  console.log("Invoice (render + compose, median ms; CPU ms/invoice)");
  for (const kind of ["latin", "cjk"]) {
    const k = invoices[kind];
    console.log(
      `  ${kind.padEnd(5)} first ${fmt(k.first.firstRenderMs + k.first.firstComposeMs, 0)} ms, then ${stat(k.runs.map((r) => r.medianTotalMs))} ms, CPU ${stat(k.runs.map((r) => r.cpuMsPerInvoice))} ms`,
    );
  }
  console.log("Bundle (real wrangler.toml)");
  for (const f of sizes.real.files) console.log(`  ${f.name.padEnd(28)} ${kib(f.bytes).padStart(12)}  gzip ${kib(f.gzip)}`);
  console.log(`  ${"all modules".padEnd(28)} ${kib(sizes.real.total.bytes).padStart(12)}  gzip ${kib(sizes.real.total.gzip)}`);
}

// ---------------------------------------------------------------------------------------

/**
 * Requests of a row's next run: its rate so far (the warm-up's, then the median of its
 * runs) × the run length; for paid rows never more than a fair share of the orders left,
 * so that every run hits distinct orders and no pool runs out.
 */
function nextAmount(s, rows, opts) {
  const rate = s.runs.length ? median(s.runs.map((r) => r.rps)) : s.rate;
  let amount = Math.round(rate * opts.seconds);
  if (s.kind === "paid") {
    const runsLeft = rows.filter((o) => o.kind === "paid" && o.lines === s.lines).reduce((n, o) => n + opts.runs - o.runs.length, 0);
    const fair = Math.floor((s.pool.size - s.pool.next - (s.pool.reserved ?? 0)) / runsLeft) - s.connections;
    if (fair < amount) console.warn(`  ${s.id}: ${fair} orders for this run instead of ${amount} (pool of ${s.pool.size}); raise opts.pool`);
    amount = Math.min(amount, fair);
  }
  return Math.max(s.connections * 5, amount);
}

/** Measured runs of every row, interleaved: every other run in reverse order. */
async function runRows(rows, opts, step, label) {
  for (let run = 1; run <= opts.runs; run++) {
    // Every paid webhook adds an invoice, and a webhook's cost grows with the invoices in
    // the series (see "How it grows"): alternate the order of the rows, so that no row
    // always runs later than another.
    const order = run % 2 ? rows : [...rows].reverse();
    step(`${label}run ${run} of ${opts.runs}: ${rows.length} rows × ~${opts.seconds} s${run % 2 ? "" : ", in reverse order"}`);
    for (const s of order) {
      s.amount = nextAmount(s, rows, opts);
      await s.measure(s.amount);
      const r = s.runs.at(-1);
      console.log(
        `        ${s.id.padEnd(16)} ${String(r.served).padStart(6)} req ${fmt(r.rps, 0).padStart(5)}/s p50 ${fmt(r.p50, 1).padStart(6)} p99 ${fmt(r.p99, 1).padStart(6)} ms  CPU ${fmt(r.cpuMsPerReq.runtime, 2)} ms/req  D1 ${fmt(r.d1.statements, 2)}/${fmt(r.d1.roundTrips, 2)}  others ${fmt(r.othersPct, 0)}%`,
      );
    }
  }
}

function seedFresh(config, state, pools) {
  wranglerSync(["d1", "migrations", "apply", "DB", "--local", "--persist-to", state, "-c", config], "d1 migrations apply");
  const seedFile = path.join(tmpDir, `seed-${path.basename(state)}.sql`);
  fs.writeFileSync(seedFile, seedSql(pools));
  wranglerSync(["d1", "execute", "DB", "--local", "--persist-to", state, "-c", config, "--file", seedFile], "seeding");
}

async function confirmDuplicateOrder(port) {
  // The duplicate row's order: confirmed once, then delivered again and again.
  const dup = await fetch(`http://127.0.0.1:${port}${WEBHOOK_PATH}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-webhook-key": WEBHOOK_KEY },
    body: JSON.stringify({ order_id: orderId(DUPLICATE_POOL, 0), status: "paid" }),
  }).then((r) => r.json());
  if (dup.outcome !== "confirmed") throw new Error(`could not confirm the duplicate row's order: ${JSON.stringify(dup)}`);
}

async function wranglerDevPhase(opts, step, config) {
  const state = path.join(tmpDir, "state");
  const pools = opts.lines.map((lines) => ({ code: lines, lines, size: opts.pool[lines], next: 0 }));
  pools.push({ code: DUPLICATE_POOL, lines: 3, size: 1, next: 0 });
  step(`migrating and seeding a fresh local D1 (${pools.slice(0, -1).map((p) => `${p.size} × ${p.lines}-line`).join(", ")} orders)`);
  seedFresh(config, state, pools);

  const [port, inspectorPort] = [await freePort(), await freePort()];
  step(`starting wrangler dev on 127.0.0.1:${port}`);
  const logFile = path.join(tmpDir, "wrangler-dev.log");
  const logFd = fs.openSync(logFile, "a");
  const child = spawn(
    process.execPath,
    [
      WRANGLER_BIN,
      "dev",
      "-c",
      config,
      "--persist-to",
      state,
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--inspector-port",
      String(inspectorPort),
      "--var",
      `WEBHOOK_SECRET:${WEBHOOK_KEY}`,
      "--var",
      "LOG_LEVEL:silent",
      "--log-level",
      "error",
      "--show-interactive-dev-session=false",
    ],
    { cwd: ROOT, env: OFFLINE_ENV, detached: true, stdio: ["ignore", logFd, logFd] },
  );
  dev = { child, pid: child.pid, port, logFile };
  startedPids.set(child.pid, readProc(child.pid, "cmdline"));
  await waitUntilReady();
  dev.processes = devProcesses(port);
  step(`ready: workerd runtime pid ${dev.processes.runtime.join(",")}, proxy pid ${dev.processes.proxy.join(",") || "-"}`);
  await confirmDuplicateOrder(port);

  const poolOf = new Map(pools.map((p) => [p.lines, p]));
  const scenarios = [
    ...opts.lines.flatMap((lines) => opts.connections.map((c) => paidScenario(lines, c, poolOf.get(lines)))),
    ...opts.connections.map((c) => duplicateScenario(c)),
  ];

  step(`warm-up: ${opts.warmup} s per row (${scenarios.length} rows), also sets each run's request count`);
  await paidScenario(opts.lines[0], 10, poolOf.get(opts.lines[0])).warm(2); // JIT, SQLite cache
  for (const s of scenarios) s.rate = await s.warm(opts.warmup);
  // Orders the growth steps will take from their pool, at that pool's 10-connection rate.
  const growthPool = opts.lines.includes(1) ? 1 : opts.lines[0];
  for (const pool of pools) {
    const tenRate = scenarios.find((s) => s.kind === "paid" && s.lines === pool.lines && s.connections === 10)?.rate ?? 400;
    pool.reserved = pool.lines === growthPool && pool.code !== DUPLICATE_POOL ? opts.growth.length * ((opts.runs * opts.growthSeconds + opts.warmup) * tenRate + 100) : 0;
  }
  await runRows(scenarios, opts, step, "wrangler dev: ");

  const growth = [];
  for (const [i, add] of opts.growth.entries()) {
    let fill = null;
    if (add > 0) fill = await benchGet(`/__bench/invoices/fill?n=${add}`, { method: "POST" });
    const s = paidScenario(growthPool, 10, poolOf.get(growthPool));
    s.id = `growth-${i + 1}`;
    const invoicesInSeries = (await ordersIn(DUPLICATE_POOL, 0, 0)).products.invoices;
    step(`how it grows, step ${i + 1} of ${opts.growth.length}: ${invoicesInSeries} invoices in the series${fill ? ` (${fill.added} added in ${(fill.ms / 1000).toFixed(1)} s)` : ""}`);
    s.rate = await s.warm(opts.warmup);
    const left = s.pool.size - s.pool.next;
    const amount = Math.max(20, Math.min(Math.round(s.rate * opts.growthSeconds), Math.floor(left / opts.runs) - 10));
    for (let run = 1; run <= opts.runs; run++) {
      await s.measure(amount);
      const r = s.runs.at(-1);
      console.log(`        ${s.id.padEnd(16)} ${String(r.served).padStart(6)} req ${fmt(r.rps, 0).padStart(5)}/s p50 ${fmt(r.p50, 1).padStart(6)} p99 ${fmt(r.p99, 1).padStart(6)} ms  CPU ${fmt(r.cpuMsPerReq.runtime, 2)} ms/req  rows read ${fmt(r.d1.rowsRead, 0)}/req`);
    }
    growth.push({ id: s.id, invoicesInSeries, added: add, runs: s.runs });
  }

  step(`invoices: ${opts.runs} runs × ${opts.invoices} per name`);
  const invoices = await invoiceBench(opts);
  await stopDev();
  return { scenarios, growth, invoices };
}

const ZERO_D1 = { prepare: 0, bind: 0, run: 0, first: 0, all: 0, raw: 0, exec: 0, batch: 0, statements: 0, roundTrips: 0, maxBatch: 0, rowsRead: 0, rowsWritten: 0, sqlMs: 0, sqlMsByPosition: [] };

/** Rows of ../shared/peer-django.md that the production-shaped runtime is compared with. */
function peerRows(opts, poolOf) {
  const rows = [];
  if (poolOf.has(1)) rows.push(...opts.connections.map((c) => paidScenario(1, c, poolOf.get(1))));
  if (poolOf.has(10)) rows.push(paidScenario(10, 10, poolOf.get(10)));
  if (poolOf.has(100)) rows.push(paidScenario(100, 10, poolOf.get(100)));
  rows.push(duplicateScenario(10));
  for (const row of rows) row.id = `mf-${row.id}`;
  return rows;
}

async function miniflarePhase(opts, step, config, bundleDir) {
  const state = path.join(tmpDir, "state-mf");
  const lines = [1, 10, 100].filter((l) => opts.lines.includes(l));
  const pools = lines.map((l) => ({ code: l, lines: l, size: opts.mfPool[l], next: 0 }));
  pools.push({ code: DUPLICATE_POOL, lines: 3, size: 1, next: 0 });
  step(`production-shaped runtime: migrating and seeding another fresh D1 (${pools.slice(0, -1).map((p) => `${p.size} × ${p.lines}-line`).join(", ")} orders)`);
  seedFresh(config, state, pools);
  const [port, inspectorPort] = [await freePort(), await freePort()];
  const { mf, db } = await startMiniflare({
    bundleDir,
    d1Persist: path.join(state, "v3", "d1"),
    // LOG_LEVEL stays wrangler.toml's "info": the request log line is part of the Worker's cost.
    bindings: { WEBHOOK_SECRET: WEBHOOK_KEY, ...(opts.mfLogLevel ? { LOG_LEVEL: opts.mfLogLevel } : {}) },
    port,
    inspectorPort,
  });
  try {
    const workerd = descendants(process.pid).filter((pid) => readProc(pid, "comm").trim() === "workerd");
    for (const pid of workerd) startedPids.set(pid, readProc(pid, "cmdline"));
    dev = {
      kind: "miniflare",
      port,
      processes: { runtime: workerd, proxy: [], wrangler: [] },
      async benchGet(pathname) {
        const url = new URL(pathname, "http://bench");
        if (url.pathname === "/__bench/d1" || url.pathname === "/__bench/d1/reset") return { isolate: "miniflare", ...ZERO_D1 };
        if (url.pathname === "/__bench/orders") return ordersByStatus(db, Number(url.searchParams.get("from")), Number(url.searchParams.get("to")));
        throw new Error(`${pathname}: not available in the production-shaped runtime`);
      },
    };
    step(`ready: Miniflare on 127.0.0.1:${port}, one workerd (pid ${workerd.join(",")})`);
    await confirmDuplicateOrder(port);
    const poolOf = new Map(pools.map((p) => [p.lines, p]));
    const rows = peerRows(opts, poolOf);
    const warmPool = poolOf.get(lines[0]);
    warmPool.reserved = opts.profileRequests + 200;
    step(`warm-up: ${opts.warmup} s per row (${rows.length} rows)`);
    await paidScenario(lines[0], 10, warmPool).warm(2);
    for (const s of rows) s.rate = await s.warm(opts.warmup);
    await runRows(rows, opts, step, "Miniflare: ");

    step(`CPU profile of the Worker's isolate: ${opts.profileRequests} paid ${lines[0]}-line webhooks at 10 connections`);
    const profiler = await connectProfiler(inspectorPort, opts.profileIntervalUs);
    warmPool.reserved = 0;
    let profiled;
    try {
      await profiler.start();
      const sample = await load({ connections: 10, amount: opts.profileRequests, nextBody: () => paidBody(warmPool) });
      const profile = await profiler.stop();
      if (opts.profileOut) fs.writeFileSync(opts.profileOut, JSON.stringify(profile));
      checkAnswers("profiled run", { ...sample, ok2xx: sample.result["2xx"], errors: sample.result.errors, timeouts: sample.result.timeouts }, opts.profileRequests, "confirmed");
      const maps = loadMaps([bundleDir, path.join(ROOT, "dist", "worker")]);
      const summary = summariseProfile(profile, maps, 15, { timing: "samples", intervalUs: opts.profileIntervalUs });
      profiled = { target: profiler.target, requests: sample.result.requests.total, ...summary, msPerRequest: summary.cpuMs / sample.result.requests.total };
      console.log(`        the Worker's isolate: ${fmt(profiled.msPerRequest, 3)} ms CPU per webhook; top: ${summary.topFunctions.slice(0, 5).map((f) => `${f.name} ${fmt(f.ms / profiled.requests, 3)}`).join(", ")}`);
    } finally {
      profiler.close();
    }
    return { rows, profile: profiled };
  } finally {
    await mf.dispose();
    dev = null;
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const step = (message) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${message}`);
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "order-bench-"));

  step("bundling (wrangler deploy --dry-run: the real wrangler.toml, and the bench Worker)");
  const realOut = bundle([], path.join(tmpDir, "real"), "bundling the real Worker");
  const benchOut = path.join(tmpDir, "bench");
  bundle(["-c", BENCH_CONFIG], benchOut, "bundling the bench Worker");
  const sizes = {
    // The packages come from the build's own metafile (wrangler's only sees dist/worker/index.js).
    real: bundleSizes(path.join(tmpDir, "real"), realOut, path.join(ROOT, "dist", "worker.meta.json")),
    cjkFontBytes: fs.statSync(path.join(ROOT, "assets", "fonts", "WenQuanYiMicroHei-cjk.ttf")).size,
  };
  const config = path.join(tmpDir, "wrangler.toml");
  fs.writeFileSync(config, runtimeConfig(benchOut));

  let startup = null;
  if (opts.startup) {
    step(`start-up CPU: wrangler check startup, ${opts.startupRuns} runs per design`);
    startup = measureStartup({ runs: opts.startupRuns });
  }
  let devResults = { scenarios: [], growth: [], invoices: null };
  if (opts.runtimes.includes("wrangler-dev")) devResults = await wranglerDevPhase(opts, step, config);
  let production = null;
  if (opts.runtimes.includes("miniflare")) production = await miniflarePhase(opts, step, config, opts.mfBundle ?? path.join(tmpDir, "real"));

  const results = {
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`,
    env: environment(),
    opts,
    scenarios: devResults.scenarios.map(({ id, kind, lines, connections, rate, amount, runs }) => ({ id, kind, lines, connections, rate, amount, runs })),
    growth: devResults.growth,
    invoices: devResults.invoices,
    production: production && {
      rows: production.rows.map(({ id, kind, lines, connections, rate, amount, runs }) => ({ id, kind, lines, connections, rate, amount, runs })),
      profile: production.profile,
    },
    startup,
    sizes,
    problems,
    warnings,
    wallSeconds: (Date.now() - started) / 1000,
  };
  printSummary(results);
  if (opts.json) fs.writeFileSync(opts.json, JSON.stringify(results, null, 2));
  if (opts.write) {
    if (!results.invoices || !results.production || !results.startup) throw new Error("BENCHMARKS.md is written only by a full run (every runtime and the start-up); add --no-write");
    writeReport(renderMarkdown(results));
    step(`wrote ${path.relative(ROOT, REPORT)} (generated section)`);
  }
  step(`done in ${results.wallSeconds.toFixed(0)} s${problems.length ? `, ${problems.length} FAILED CHECKS` : ", all checks passed"}${warnings.length ? ` (${warnings.length} ${warnings.length === 1 ? "run" : "runs"} with wrangler dev proxy 503s)` : ""}`);
  if (problems.length) process.exitCode = 1;
}

main()
  .catch((error) => {
    console.error(`bench failed: ${error?.stack ?? error}`);
    if (dev?.logFile && fs.existsSync(dev.logFile)) console.error(`wrangler dev log (tail):\n${fs.readFileSync(dev.logFile, "utf8").slice(-3000)}`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await stopDev();
    if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
    tmpDir = null;
  });
