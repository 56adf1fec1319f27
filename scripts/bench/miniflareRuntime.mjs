// The production-shaped runtime of `npm run bench`: the Worker exactly as `wrangler deploy`
// uploads it (the modules of `wrangler deploy --dry-run --outdir` with the real wrangler.toml)
// in ONE workerd through Miniflare's API (the miniflare that wrangler ships), with the
// bindings, vars and compatibility settings wrangler.toml gives it. No wrangler dev proxy, no
// wrangler Node process in the path. Like the peer's measurement (../shared/peer-django.md):
// no queue consumer and no cron in the measured process (invoice jobs wait in the local queue).
//
// Also: the V8 inspector of the Worker's isolate, for a CPU profile under load.
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { ROOT } from "../lib/wrangler.mjs";

const requireFromWrangler = createRequire(createRequire(import.meta.url).resolve("wrangler"));
const { Miniflare, convertV4MiniflareOptions } = requireFromWrangler("miniflare");
const WebSocket = createRequire(requireFromWrangler.resolve("miniflare"))("ws");

export const WORKER_NAME = "order-payment-webhook";

/**
 * Starts the built Worker in bundleDir (`wrangler deploy --dry-run --outdir`). d1Persist is
 * the `v3/d1` folder of a `wrangler ... --persist-to` state, so wrangler can migrate and seed it.
 */
export async function startMiniflare({ bundleDir, d1Persist, bindings, port, inspectorPort }) {
  const wrangler = await import("wrangler");
  const { workerOptions } = wrangler.unstable_getMiniflareWorkerOptions(path.join(ROOT, "wrangler.toml"));
  // The measured process answers webhooks only (see above); ASSETS only serves the consumer's font.
  const { queueConsumers: _consumers, assets: _assets, modulesRules: _rules, ...options } = workerOptions;
  const files = fs.readdirSync(bundleDir).filter((f) => f.endsWith(".js") || f.endsWith(".ttf"));
  const modules = ["index.js", ...files.filter((f) => f !== "index.js")].map((f) => ({
    type: f.endsWith(".ttf") ? "Data" : "ESModule",
    path: path.join(bundleDir, f),
  }));
  // Miniflare 5 takes { workers: [...] }; unstable_getMiniflareWorkerOptions still returns the
  // v4 shape, which convertV4MiniflareOptions turns into it.
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      ...options,
      name: WORKER_NAME,
      modulesRoot: bundleDir,
      modules,
      bindings: { ...options.bindings, ...bindings },
      // One root for every resource's state (D1 in <root>/d1), where Miniflare 4 took d1Persist.
      resourcePersistencePath: path.dirname(d1Persist),
      host: "127.0.0.1",
      port,
      inspectorPort,
      // The Worker's log lines are its own CPU (they stay in), but not worth printing here.
      handleStructuredLogs() {},
    }),
  );
  const url = await mf.ready;
  return { mf, url, db: await mf.getD1Database("DB") };
}

/** The same counts as the bench Worker's /__bench/orders, read through Miniflare's D1 binding. */
export async function ordersByStatus(db, from, to) {
  const { results: orders } = await db
    .prepare(
      `SELECT o.status, COUNT(*) AS n, COUNT(i.id) AS invoices
         FROM orders o LEFT JOIN invoices i ON i.order_id = o.id
        WHERE o.order_number BETWEEN ?1 AND ?2 GROUP BY o.status`,
    )
    .bind(from, to)
    .all();
  const { results: events } = await db
    .prepare(
      `SELECT outcome, COUNT(*) AS n FROM webhook_events e JOIN orders o ON o.id = e.order_id
        WHERE o.order_number BETWEEN ?1 AND ?2 GROUP BY outcome`,
    )
    .bind(from, to)
    .all();
  const products = await db
    .prepare(
      `SELECT COUNT(*) AS n, SUM(stock) AS stock, SUM(stock_reserved) AS stock_reserved,
              (SELECT COUNT(*) FROM invoices) AS invoices FROM products`,
    )
    .first();
  return { orders, events, products };
}

/**
 * A CPU profiler on the Worker's isolate (not Miniflare's entry worker, not D1's): start(),
 * then stop() → the V8 CPU profile. Only the Profiler domain is enabled, so the Worker's
 * console lines are not sent to this client (which would cost the isolate extra CPU).
 */
export async function connectProfiler(inspectorPort, intervalUs = 100) {
  const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json();
  const target = targets.find((t) => t.title?.includes(WORKER_NAME) || t.webSocketDebuggerUrl?.includes(WORKER_NAME)) ?? targets[0];
  if (!target) throw new Error(`no inspector target on port ${inspectorPort}: ${JSON.stringify(targets)}`);
  const ws = new WebSocket(target.webSocketDebuggerUrl ?? `ws://127.0.0.1:${inspectorPort}/core:user:${WORKER_NAME}`);
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  let nextId = 1;
  const pending = new Map();
  ws.on("message", (data) => {
    const message = JSON.parse(String(data));
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.error) waiter.reject(new Error(`${message.error.message}`));
    else waiter.resolve(message.result);
  });
  const send = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: intervalUs });
  return {
    target: target.title ?? target.url,
    start: () => send("Profiler.start"),
    async stop() {
      const { profile } = await send("Profiler.stop");
      return profile;
    },
    close: () => ws.close(),
  };
}
