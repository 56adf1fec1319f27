// Benchmark-only entry (scripts/bench/wrangler.bench.toml): the real Worker, unchanged,
// with env.DB wrapped so every D1 call is counted, plus routes under /__bench/:
//
//   GET  /__bench/d1               counters since the last reset, and this isolate's id
//   POST /__bench/d1/reset         zero the counters
//   GET  /__bench/orders?from&to   orders and events by status for order_number in
//                                  [from, to], and the products' stock totals (uncounted)
//   POST /__bench/invoices/fill?n  add n CONFIRMED orders with an invoice each to this
//                                  year's invoice series (uncounted), to measure a webhook
//                                  against a series that already holds many invoices
//   GET  /__bench/invoice?kind=latin|cjk&n&lines
//                                  render an invoice PDF + compose its email n times;
//                                  the first one apart, then median ms per invoice
//
// A "statement" is one SQL statement executed (each statement of a batch counts); a
// "round trip" is one call that goes to D1: one batch(), or one run()/first()/all()/raw()
// of a single statement, or one exec(). Rows read/written and SQL time are D1's own meta
// of each result. The /__bench/ routes use the unwrapped binding, so they count nothing.
// Never deployed.
import worker from "../../src/index";
import { readWebhookConfig } from "../../src/config";
import { invoiceSeries } from "../../src/orders/applyPayment";
import { composeInvoiceEmail } from "../../src/documents/composeInvoiceEmail";
import { assetFontLoader, renderInvoicePdf, type InvoiceDocument } from "../../src/documents/pdf/renderInvoicePdf";

interface Counters {
  prepare: number;
  bind: number;
  run: number;
  first: number;
  all: number;
  raw: number;
  exec: number;
  batch: number;
  /** statements executed, inside batches or alone */
  statements: number;
  roundTrips: number;
  /** largest batch seen */
  maxBatch: number;
  /** D1's own meta of every result: rows read and written (what D1 bills), SQL time in ms */
  rowsRead: number;
  rowsWritten: number;
  sqlMs: number;
  /** SQL ms by position in a batch, to see which statement of the confirming batch costs */
  sqlMsByPosition: number[];
}

const zero = (): Counters => ({
  prepare: 0,
  bind: 0,
  run: 0,
  first: 0,
  all: 0,
  raw: 0,
  exec: 0,
  batch: 0,
  statements: 0,
  roundTrips: 0,
  maxBatch: 0,
  rowsRead: 0,
  rowsWritten: 0,
  sqlMs: 0,
  sqlMsByPosition: [],
});

function recordMeta(result: unknown, position: number): void {
  const meta = (result as { meta?: { rows_read?: number; rows_written?: number; duration?: number } } | null)?.meta;
  if (!meta) return;
  counters.rowsRead += meta.rows_read ?? 0;
  counters.rowsWritten += meta.rows_written ?? 0;
  counters.sqlMs += meta.duration ?? 0;
  counters.sqlMsByPosition[position] = (counters.sqlMsByPosition[position] ?? 0) + (meta.duration ?? 0);
}
let counters = zero();
/** Changes when wrangler reloads the Worker: the runner checks it around every run. */
let isolateId: string | undefined;
const isolate = () => (isolateId ??= crypto.randomUUID());

// The wrapped objects are Proxies over the real ones; the real ones are what D1 gets back
// (batch() reads internal state of its statements) and what methods run on.
const realOf = new WeakMap<object, object>();
const EXECUTORS = ["run", "first", "all", "raw"] as const;
type Executor = (typeof EXECUTORS)[number];

function countedStatement(statement: D1PreparedStatement): D1PreparedStatement {
  const proxy = new Proxy(statement, {
    get(target, key) {
      const value = Reflect.get(target, key, target) as unknown;
      if (typeof value !== "function") return value;
      if (key === "bind") {
        return (...args: unknown[]) => {
          counters.bind++;
          return countedStatement((value as (...a: unknown[]) => D1PreparedStatement).apply(target, args));
        };
      }
      if ((EXECUTORS as readonly PropertyKey[]).includes(key)) {
        return (...args: unknown[]) => {
          counters[key as Executor]++;
          counters.statements++;
          counters.roundTrips++;
          const result = (value as (...a: unknown[]) => unknown).apply(target, args);
          // run() and all() resolve to a result with meta; first() and raw() do not carry it.
          if (key === "run" || key === "all") void Promise.resolve(result).then((r) => recordMeta(r, 0), () => {});
          return result;
        };
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
  realOf.set(proxy, statement);
  return proxy;
}

function countedDatabase(db: D1Database): D1Database {
  return new Proxy(db, {
    get(target, key) {
      const value = Reflect.get(target, key, target) as unknown;
      if (typeof value !== "function") return value;
      if (key === "prepare") {
        return (query: string) => {
          counters.prepare++;
          return countedStatement(target.prepare(query));
        };
      }
      if (key === "batch") {
        return (statements: D1PreparedStatement[]) => {
          counters.batch++;
          counters.roundTrips++;
          counters.statements += statements.length;
          counters.maxBatch = Math.max(counters.maxBatch, statements.length);
          const results = target.batch(statements.map((s) => (realOf.get(s) as D1PreparedStatement | undefined) ?? s));
          void results.then((rs) => rs.forEach((r, i) => recordMeta(r, i)), () => {});
          return results;
        };
      }
      if (key === "exec") {
        return (query: string) => {
          counters.exec++;
          counters.roundTrips++;
          counters.statements++;
          return target.exec(query);
        };
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

/** Workers' clock only moves across I/O: a zero timer lets it catch up before reading it. */
async function now(): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  return performance.now();
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

function invoiceDocument(customerName: string, lines: number): InvoiceDocument {
  return {
    seller: { name: "Bench Coffee Roasters", addressLines: ["1 Bench Street", "00-001 Warsaw"], vatId: "PL0000000000", email: "invoices@bench.invalid" },
    number: "INV-2026-000042",
    issuedAt: Date.UTC(2026, 3, 20),
    orderNumber: 1042,
    customer: { name: customerName, email: "customer@bench.invalid" },
    currency: "EUR",
    locale: "en-GB",
    taxRatePercent: 23,
    lines: Array.from({ length: lines }, (_, i) => ({
      description: `Espresso beans ${i + 1} kg, single origin`,
      quantity: 1 + (i % 3),
      unitPriceCents: 2490 + i * 10,
    })),
  };
}

const CUSTOMERS = { latin: "Ada Lovelace", cjk: "山田太郎" } as const;

/**
 * Renders the PDF and composes the email n times for one customer name. The first one of a
 * call is reported apart: in a fresh isolate it pays for parsing the fonts (and, for a CJK
 * name, fetching the fallback font from ASSETS). Times are wall time inside workerd.
 */
async function benchInvoice(env: Env, kind: keyof typeof CUSTOMERS, n: number, lines: number) {
  const fonts = assetFontLoader(env.ASSETS);
  const name = CUSTOMERS[kind];
  const one = async () => {
    const doc = invoiceDocument(name, lines);
    const t0 = await now();
    const pdf = await renderInvoicePdf(doc, fonts);
    const t1 = await now();
    const email = composeInvoiceEmail(doc, pdf, { from: "invoices@bench.invalid", messageStream: "outbound" });
    const t2 = await now();
    const attachment = email.attachments?.[0]?.contentBase64.length ?? 0;
    return { render: t1 - t0, compose: t2 - t1, pdfBytes: pdf.byteLength, emailBytes: (email.htmlBody?.length ?? 0) + email.textBody.length + attachment };
  };
  const empty = [];
  for (let i = 0; i < 5; i++) {
    const t0 = await now();
    empty.push((await now()) - t0);
  }
  const first = await one();
  const runs = [];
  for (let i = 1; i < n; i++) runs.push(await one());
  const totals = runs.map((r) => r.render + r.compose);
  return {
    kind,
    customerName: name,
    n,
    lines,
    timerTickMs: median(empty),
    firstRenderMs: first.render,
    firstComposeMs: first.compose,
    medianRenderMs: runs.length ? median(runs.map((r) => r.render)) : null,
    medianComposeMs: runs.length ? median(runs.map((r) => r.compose)) : null,
    medianTotalMs: runs.length ? median(totals) : null,
    minTotalMs: runs.length ? Math.min(...totals) : null,
    maxTotalMs: runs.length ? Math.max(...totals) : null,
    pdfBytes: first.pdfBytes,
    emailBytes: first.emailBytes,
  };
}

async function ordersByStatus(env: Env, from: number, to: number) {
  const { results } = await env.DB.prepare(
    `SELECT o.status, COUNT(*) AS n, COUNT(i.id) AS invoices
       FROM orders o LEFT JOIN invoices i ON i.order_id = o.id
      WHERE o.order_number BETWEEN ?1 AND ?2 GROUP BY o.status`,
  )
    .bind(from, to)
    .all<{ status: string; n: number; invoices: number }>();
  const events = await env.DB.prepare(
    `SELECT outcome, COUNT(*) AS n FROM webhook_events e JOIN orders o ON o.id = e.order_id
      WHERE o.order_number BETWEEN ?1 AND ?2 GROUP BY outcome`,
  )
    .bind(from, to)
    .all<{ outcome: string; n: number }>();
  const products = await env.DB.prepare(
    `SELECT COUNT(*) AS n, SUM(stock) AS stock, SUM(stock_reserved) AS stock_reserved,
            (SELECT COUNT(*) FROM invoices) AS invoices FROM products`,
  ).first<{ n: number; stock: number; stock_reserved: number; invoices: number }>();
  return { orders: results, events: events.results, products };
}

/** Order numbers of the filler orders start here (the runner's pools use code × 1e6). */
const FILLER_BASE = 500_000_000;

async function fillInvoices(env: Env, n: number) {
  const series = invoiceSeries(readWebhookConfig(env).invoicePrefix, Date.now());
  const started = Date.now();
  const from = (await env.DB.prepare("SELECT COALESCE(MAX(order_number), ?1 - 1) + 1 AS next FROM orders WHERE order_number >= ?1").bind(FILLER_BASE).first<{ next: number }>())!.next;
  const to = from + n - 1;
  await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO orders (id, order_number, status, customer_email, customer_name, currency, confirmed_at)
       WITH RECURSIVE k(n) AS (SELECT ?1 UNION ALL SELECT n + 1 FROM k WHERE n < ?2)
       SELECT printf('f%07x-0000-4000-8000-%012x', 0, n), n, 'CONFIRMED', 'filler@bench.invalid', 'Filler', 'EUR', 0 FROM k`,
    ).bind(from, to),
    env.DB.prepare(
      `INSERT INTO invoices (order_id, series, seq, number, status, created_at, updated_at)
       SELECT o.id, ?3, base.m + o.order_number - ?1 + 1, printf('%s-%06d', ?3, base.m + o.order_number - ?1 + 1), 'SENT', 0, 0
       FROM orders o, (SELECT (SELECT COALESCE(MAX(seq), 0) FROM invoices WHERE series = ?3) AS m) AS base
       WHERE o.order_number BETWEEN ?1 AND ?2 ORDER BY o.order_number`,
    ).bind(from, to, series),
  ]);
  const count = await env.DB.prepare("SELECT COUNT(*) AS n FROM invoices WHERE series = ?").bind(series).first<{ n: number }>();
  return { series, added: n, invoicesInSeries: count?.n ?? 0, ms: Date.now() - started };
}

/**
 * One wrapped env per real env, as workerd passes the same env object to every request of
 * an isolate: src/config.ts memoises its parsing per env object, and a new wrapper per
 * request would make the bench Worker re-parse the configuration on every webhook.
 */
const wrappedEnvs = new WeakMap<Env, Env>();
function countedEnv(env: Env): Env {
  let wrapped = wrappedEnvs.get(env);
  if (!wrapped) {
    wrapped = { ...env, DB: countedDatabase(env.DB) };
    wrappedEnvs.set(env, wrapped);
  }
  return wrapped;
}

const bench: ExportedHandler<Env> = {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/__bench/")) {
      const number = (name: string, fallback: number) => Number(url.searchParams.get(name) ?? fallback);
      if (url.pathname === "/__bench/d1" && request.method === "GET") return json({ isolate: isolate(), ...counters });
      if (url.pathname === "/__bench/d1/reset" && request.method === "POST") {
        counters = zero();
        return json({ isolate: isolate(), ...counters });
      }
      if (url.pathname === "/__bench/orders") return json(await ordersByStatus(env, number("from", 0), number("to", 0)));
      if (url.pathname === "/__bench/invoices/fill" && request.method === "POST") return json(await fillInvoices(env, number("n", 0)));
      if (url.pathname === "/__bench/invoice") {
        const kind = url.searchParams.get("kind") === "cjk" ? "cjk" : "latin";
        return json(await benchInvoice(env, kind, number("n", 20), number("lines", 3)));
      }
      return json({ error: "no such bench route" }, 404);
    }
    return worker.fetch!(request as Parameters<NonNullable<typeof worker.fetch>>[0], countedEnv(env), ctx);
  },
};
export default bench;
