// Calls of the shop's order API (/api/orders) against the real Worker, with the test keys of
// vitest.config.ts, and readers of what it stored.
import { env, exports } from "cloudflare:workers";

export const SHOP_KEY = "test-shop-api-key-current-not-a-secret";
export const NEXT_SHOP_KEY = "test-shop-api-key-next-also-not-a-secret";
export const ORDERS_URL = "https://shop.test/api/orders";

export function orderRequest(
  method: string,
  path: string,
  body?: unknown,
  opts: { key?: string | null; headers?: Record<string, string>; raw?: string; contentType?: string } = {},
) {
  const headers = new Headers(opts.headers);
  if (opts.key !== null) headers.set("Authorization", `Bearer ${opts.key ?? SHOP_KEY}`);
  const payload = opts.raw ?? (body === undefined ? undefined : JSON.stringify(body));
  if (payload !== undefined) headers.set("Content-Type", opts.contentType ?? "application/json");
  return new Request(`${ORDERS_URL}${path}`, { method, headers, body: payload });
}

export function callOrders(...args: Parameters<typeof orderRequest>) {
  return exports.default.fetch(orderRequest(...args));
}

export interface OrderAnswerBody {
  order_id: string;
  order_number: number;
  status: string;
  customer_email: string;
  customer_name: string;
  total_cents: number;
  currency: string;
  reserved_until: string | null;
  invoice_number: string | null;
  created_at: string;
  lines: { product_id: number; product_name: string | null; quantity: number; unit_price_cents: number; line_total_cents: number; tax_rate_bp: number | null }[];
  billing_address: Record<string, string | null> | null;
  supply_date: string | null;
  payment_status: string;
  refunded_cents: number;
  disputed: boolean;
  payments: Record<string, unknown>[];
  error?: string;
  details?: any;
  order_status?: string;
}

export async function postOrder(body: unknown, headers?: Record<string, string>) {
  const res = await callOrders("POST", "", body, { headers });
  return { status: res.status, body: (await res.json()) as OrderAnswerBody, headers: res.headers };
}

export const newOrder = (lines: { product_id: number; quantity: number }[], extra: Record<string, unknown> = {}) => ({
  customer_email: "shopper@example.test",
  customer_name: "Test Shopper",
  lines,
  ...extra,
});

export async function countRows() {
  const row = await env.DB.prepare(
    "SELECT (SELECT count(*) FROM orders) AS orders, (SELECT count(*) FROM order_items) AS items, (SELECT count(*) FROM order_idempotency_keys) AS keys",
  ).first<{ orders: number; items: number; keys: number }>();
  return row!;
}
