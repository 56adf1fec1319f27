// Test fixtures: rows written straight into the local D1 with the contract's column names,
// the way other tools seed this database, and readers of the resulting state.
import { env, exports } from "cloudflare:workers";

export const KEY = "test-webhook-key-current-not-a-secret";
export const NEXT_KEY = "test-webhook-key-next-also-not-a-secret";
export const WEBHOOK_URL = "https://shop.test/api/webhooks/payment/";

let nextOrderNumber = 1000 + Math.floor(Math.random() * 1000) * 1000;

export async function createProduct(opts: { stock: number; reserved?: number; priceCents?: number; name?: string }) {
  const row = await env.DB.prepare(
    "INSERT INTO products (name, price_cents, stock, stock_reserved) VALUES (?, ?, ?, ?) RETURNING id",
  )
    .bind(opts.name ?? "Test product", opts.priceCents ?? 1999, opts.stock, opts.reserved ?? 0)
    .first<{ id: number }>();
  return row!.id;
}

export interface Line {
  productId: number;
  quantity: number;
  unitPriceCents?: number;
}

export async function createOrder(opts: {
  lines?: Line[];
  status?: string;
  reservedUntil?: number | null;
  customerName?: string;
  customerEmail?: string;
}) {
  const id = crypto.randomUUID();
  // Past any number the order API allocated (MAX + 1) in the same file, as a tool that
  // writes orders beside the API must do.
  const orderNumber = nextOrderNumber++;
  const [inserted] = await env.DB.batch([
    env.DB.prepare(
      "INSERT INTO orders (id, order_number, status, customer_email, customer_name, reserved_until) " +
        "SELECT ?, MAX(?, (SELECT COALESCE(MAX(order_number), 0) + 1 FROM orders)), ?, ?, ?, ? RETURNING order_number",
    ).bind(
      id,
      orderNumber,
      opts.status ?? "AWAITING_PAYMENT",
      opts.customerEmail ?? "customer@example.test",
      opts.customerName ?? "Test Customer",
      opts.reservedUntil ?? null,
    ),
    ...(opts.lines ?? []).map((line) =>
      env.DB.prepare("INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents) VALUES (?, ?, ?, ?)").bind(
        id,
        line.productId,
        line.quantity,
        line.unitPriceCents ?? 1999,
      ),
    ),
  ]);
  return { id, orderNumber: (inserted!.results[0] as { order_number: number }).order_number };
}

export function deliver(
  body: unknown,
  opts: { key?: string | null; contentType?: string; headers?: Record<string, string>; url?: string; method?: string } = {},
) {
  const headers = new Headers(opts.headers);
  if (opts.key !== null) headers.set("X-Webhook-Key", opts.key ?? KEY);
  let payload: BodyInit | undefined;
  if (body instanceof FormData || body instanceof URLSearchParams) payload = body;
  else if (typeof body === "string") payload = body;
  else if (body !== undefined) payload = JSON.stringify(body);
  if (opts.contentType !== undefined) headers.set("Content-Type", opts.contentType);
  else if (typeof body === "object" && !(body instanceof FormData) && !(body instanceof URLSearchParams))
    headers.set("Content-Type", "application/json");
  return exports.default.fetch(
    new Request(opts.url ?? WEBHOOK_URL, { method: opts.method ?? "POST", headers, body: payload }),
  );
}

export function pay(orderId: string, status: "paid" | "failed" = "paid", headers?: Record<string, string>) {
  return deliver({ order_id: orderId, status }, { headers });
}

export async function product(id: number) {
  return (await env.DB.prepare("SELECT stock, stock_reserved FROM products WHERE id = ?").bind(id).first<{
    stock: number;
    stock_reserved: number;
  }>())!;
}

export async function order(id: string) {
  return env.DB.prepare("SELECT status, confirmed_at FROM orders WHERE id = ?").bind(id).first<{
    status: string;
    confirmed_at: number | null;
  }>();
}

export async function invoicesOf(orderId: string) {
  const { results } = await env.DB.prepare("SELECT * FROM invoices WHERE order_id = ?").bind(orderId).all<{
    id: number;
    number: string;
    status: string;
    series: string;
    seq: number;
  }>();
  return results;
}

export async function eventsOf(orderId: string) {
  const { results } = await env.DB.prepare("SELECT * FROM webhook_events WHERE order_id = ? ORDER BY id").bind(orderId).all<{
    outcome: string;
    http_status: number;
    request_id: string;
    delivery_id: string | null;
    payment_status: string;
    order_status: string | null;
    detail: string | null;
  }>();
  return results;
}

/**
 * The whole state the webhook may change, to assert that a rejected request changed nothing.
 * Invoices by id, order and number, not by email status: a request only ever inserts an
 * invoice (PENDING), and the status is the queue consumer's, which meanwhile sends the invoices
 * of earlier tests' deliveries in the background. With the cores busy it did so between two
 * snapshots, and "changed nothing" failed for a request that had changed nothing.
 */
export async function snapshot() {
  const queries = [
    "SELECT id, stock, stock_reserved FROM products ORDER BY id",
    "SELECT id, status, confirmed_at, cancelled_at FROM orders ORDER BY id",
    "SELECT count(*) AS n, total(id) AS ids FROM order_items",
    "SELECT id, order_id, number FROM invoices ORDER BY id",
    "SELECT count(*) AS n, max(id) AS last FROM webhook_events",
  ];
  const results = await env.DB.batch(queries.map((q) => env.DB.prepare(q)));
  return JSON.stringify(results.map((r) => r.results));
}

/** Calls the Worker's real fetch handler with some bindings replaced (secrets, faults). */
export async function deliverWithEnv(overrides: Partial<Env>, request: Request) {
  const { createExecutionContext, waitOnExecutionContext } = await import("cloudflare:test");
  const worker = (await import("../../src/index")).default;
  const ctx = createExecutionContext();
  const res = await worker.fetch!(request as Parameters<NonNullable<typeof worker.fetch>>[0], { ...env, ...overrides } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

export function webhookRequest(body: unknown, key: string | null = KEY, headers: Record<string, string> = {}) {
  const h = new Headers({ "Content-Type": "application/json", ...headers });
  if (key !== null) h.set("X-Webhook-Key", key);
  return new Request(WEBHOOK_URL, { method: "POST", headers: h, body: JSON.stringify(body) });
}

/** Runs the Worker's real scheduled() handler as the cron would at `scheduledTime`. */
export async function runCron(scheduledTime = Date.now(), overrides: Partial<Env> = {}) {
  const { createExecutionContext, createScheduledController, waitOnExecutionContext } = await import("cloudflare:test");
  const worker = (await import("../../src/index")).default;
  const ctx = createExecutionContext();
  await worker.scheduled!(createScheduledController({ scheduledTime, cron: "* * * * *" }), { ...env, ...overrides } as Env, ctx);
  await waitOnExecutionContext(ctx);
}

/**
 * Polls until `check` returns a truthy value (for work the real queue does in the background).
 * The default bound is one only a hang reaches: the queue delivers in about a second idle.
 */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 240_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The open attention items of an order (or every item when `orderId` is null). */
export async function attentionOf(orderId: string | null) {
  const { results } = await env.DB.prepare(
    orderId === null ? "SELECT * FROM attention_items ORDER BY id" : "SELECT * FROM attention_items WHERE order_id = ? ORDER BY id",
  )
    .bind(...(orderId === null ? [] : [orderId]))
    .all<{
      id: number;
      kind: string;
      key: string;
      order_id: string | null;
      event_id: number | null;
      invoice_id: number | null;
      detail: string | null;
      resolved_at: number | null;
      resolved_by: string | null;
      resolution_note: string | null;
      alert_sent_at: number | null;
      alert_attempts: number;
    }>();
  return results;
}
