// Transition "reserve an order": an order's lines take their units out of what is available
// (stock_reserved goes up by each line) and the order becomes AWAITING_PAYMENT until
// reserved_until. Two ways in, one rule:
// - createOrder: a new order from a shop (POST /api/orders, the binding), written and
//   reserved in the same batch, with its prices read from `products`;
// - reservePendingOrder: a PENDING order that another tool wrote (POST /api/orders/{id}/checkout).
//
// Invariants kept here:
// - all lines or none: the reservation is one set-based UPDATE inside one D1 batch (one
//   transaction), and the order row, its lines and its Idempotency-Key are in the same batch.
// - never more reserved than is in stock, decided by a constraint and not by a read: the
//   trigger of migration 0008 (products_reservation_within_stock) aborts the statement that
//   would take any product's stock_reserved above its stock, and D1 rolls the batch back.
//   D1 runs one writer at a time, so twenty shoppers for the last five units are serialised
//   and exactly the batches that fit succeed. Only after a rollback is a second, read-only
//   round trip made, to say which lines were short.
// - a PENDING order is reserved once: the reserving UPDATE selects its lines only while the
//   order is PENDING, and the status UPDATE after it moves the order on in the same batch.
// - prices and tax rates come from `products` inside the batch; nothing the caller sends is a
//   price or a rate. The rate is copied onto the line so a later change never rewrites its invoice.
// - order numbers are allocated in the batch (MAX + 1 under the single writer; UNIQUE).
// - one Idempotency-Key, one order: the order is only written while its key is unused, and
//   the key is written with it, so a retry (even a concurrent one) finds the first order.
// - the number of statements and bound parameters does not depend on the number of lines:
//   the lines travel as one JSON parameter read with json_each.
import { sql } from "drizzle-orm";
import { compileBatch, describeError, rowsOf } from "../db/client";
import { selectOrderView, type OrderRow } from "./orderView";

export interface NewOrder {
  orderId: string;
  customerEmail: string;
  customerName: string;
  currency: string;
  lines: { product_id: number; quantity: number }[];
  /** printed on the invoice; every part optional */
  billingAddress?: {
    name?: string;
    company?: string;
    line1?: string;
    line2?: string;
    postal_code?: string;
    city?: string;
    country?: string;
    vat_id?: string;
  };
  /** YYYY-MM-DD, when not the confirmation date */
  supplyDate?: string;
  now: number;
  reservedUntil: number;
  idempotencyKey: string | null;
  requestHash: string;
}

export interface Shortage {
  product_id: number;
  product_name: string;
  requested: number;
  /** Units neither sold nor reserved when the batch failed. */
  available: number;
}

export type CreateResult =
  | { outcome: "created" | "replayed"; order: OrderRow }
  | { outcome: "idempotency_key_reused"; orderId: string }
  | { outcome: "unknown_products"; productIds: number[] }
  | { outcome: "insufficient_stock"; shortages: Shortage[] };

export type ReserveResult =
  | { outcome: "reserved" | "already_reserved" | "not_reservable" | "no_lines"; order: OrderRow }
  | { outcome: "not_found" }
  | { outcome: "insufficient_stock"; order: OrderRow; shortages: Shortage[] };

const p = {
  now: sql.placeholder("now"),
  orderId: sql.placeholder("orderId"),
  orderIdUpper: sql.placeholder("orderIdUpper"),
  email: sql.placeholder("email"),
  name: sql.placeholder("name"),
  currency: sql.placeholder("currency"),
  reservedUntil: sql.placeholder("reservedUntil"),
  lines: sql.placeholder("lines"),
  key: sql.placeholder("key"),
  requestHash: sql.placeholder("requestHash"),
  billingName: sql.placeholder("billingName"),
  billingCompany: sql.placeholder("billingCompany"),
  billingLine1: sql.placeholder("billingLine1"),
  billingLine2: sql.placeholder("billingLine2"),
  billingPostalCode: sql.placeholder("billingPostalCode"),
  billingCity: sql.placeholder("billingCity"),
  billingCountry: sql.placeholder("billingCountry"),
  billingVatId: sql.placeholder("billingVatId"),
  supplyDate: sql.placeholder("supplyDate"),
};

/** The lines sent, one row each, in the order sent. */
const sentLines = sql`
  SELECT CAST(j.key AS INTEGER) AS position, json_extract(j.value, '$.product_id') AS product_id,
    json_extract(j.value, '$.quantity') AS quantity
  FROM json_each(${p.lines}) AS j`;

/** Adds an order's lines to stock_reserved: the statement the trigger of migration 0008 guards. */
const reserveLinesOf = (orderId: unknown) => sql`
  UPDATE products
  SET stock_reserved = products.stock_reserved + line.qty, updated_at = ${p.now}
  FROM (SELECT product_id, SUM(quantity) AS qty FROM order_items WHERE order_id = ${orderId} GROUP BY product_id) AS line
  WHERE products.id = line.product_id`;

const createBatch = compileBatch<keyof typeof p>([
  // 1. The order, only while its Idempotency-Key is unused and every product exists.
  sql`
    INSERT INTO orders (id, order_number, status, customer_email, customer_name, currency, reserved_until, created_at, updated_at,
      billing_name, billing_company, billing_line1, billing_line2, billing_postal_code, billing_city, billing_country,
      billing_vat_id, supply_date)
    SELECT ${p.orderId}, (SELECT COALESCE(MAX(order_number), 0) + 1 FROM orders), 'AWAITING_PAYMENT',
      ${p.email}, ${p.name}, ${p.currency}, ${p.reservedUntil}, ${p.now}, ${p.now},
      ${p.billingName}, ${p.billingCompany}, ${p.billingLine1}, ${p.billingLine2}, ${p.billingPostalCode}, ${p.billingCity},
      ${p.billingCountry}, ${p.billingVatId}, ${p.supplyDate}
    WHERE NOT EXISTS (SELECT 1 FROM order_idempotency_keys WHERE key = ${p.key})
      AND NOT EXISTS (SELECT 1 FROM (${sentLines}) AS l LEFT JOIN products pr ON pr.id = l.product_id WHERE pr.id IS NULL)`,
  // 2. Its lines at today's prices and tax rates (nothing happens when the order was not written).
  sql`
    INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents, tax_rate_bp)
    SELECT o.id, pr.id, l.quantity, pr.price_cents, pr.tax_rate_bp
    FROM orders o, (${sentLines}) AS l JOIN products pr ON pr.id = l.product_id
    WHERE o.id = ${p.orderId}
    ORDER BY l.position`,
  // 3. The reservation.
  reserveLinesOf(p.orderId),
  // 4. The key, with the order it created.
  sql`
    INSERT INTO order_idempotency_keys (key, order_id, request_hash, created_at)
    SELECT ${p.key}, id, ${p.requestHash}, ${p.now} FROM orders WHERE id = ${p.orderId} AND ${p.key} IS NOT NULL`,
  // 5. The answer: this order, or the one an earlier request with the same key created.
  selectOrderView(
    sql`COALESCE((SELECT order_id FROM order_idempotency_keys WHERE key = ${p.key}), ${p.orderId})`,
    sql`, (SELECT request_hash FROM order_idempotency_keys WHERE key = ${p.key}) AS key_hash`,
  ),
  // 6. Products that do not exist, only when the order was not written.
  sql`
    SELECT DISTINCT l.product_id FROM (${sentLines}) AS l LEFT JOIN products pr ON pr.id = l.product_id
    WHERE pr.id IS NULL AND NOT EXISTS (SELECT 1 FROM orders WHERE id = ${p.orderId})`,
]);

/** After a rolled-back reservation: the sent lines (summed per product) that did not fit. */
const sentShortages = compileBatch<"lines">([
  sql`
    SELECT pr.id AS product_id, pr.name AS product_name, SUM(l.quantity) AS requested,
      MAX(pr.stock - pr.stock_reserved, 0) AS available
    FROM (${sentLines}) AS l JOIN products pr ON pr.id = l.product_id
    GROUP BY pr.id HAVING SUM(l.quantity) > MAX(pr.stock - pr.stock_reserved, 0)
    ORDER BY MIN(l.position)`,
]);

/** A failed reservation is retried this often when, read afterwards, nothing is short any more. */
const ATTEMPTS = 3;

export function isReservationShortage(error: unknown): boolean {
  return /products_reservation_within_stock/.test(describeError(error));
}

export async function createOrder(d1: D1Database, order: NewOrder): Promise<CreateResult> {
  const values = {
    now: order.now,
    orderId: order.orderId,
    orderIdUpper: order.orderId.toUpperCase(),
    email: order.customerEmail,
    name: order.customerName,
    currency: order.currency,
    reservedUntil: order.reservedUntil,
    lines: JSON.stringify(order.lines.map(({ product_id, quantity }) => ({ product_id, quantity }))),
    key: order.idempotencyKey,
    requestHash: order.requestHash,
    billingName: order.billingAddress?.name ?? null,
    billingCompany: order.billingAddress?.company ?? null,
    billingLine1: order.billingAddress?.line1 ?? null,
    billingLine2: order.billingAddress?.line2 ?? null,
    billingPostalCode: order.billingAddress?.postal_code ?? null,
    billingCity: order.billingAddress?.city ?? null,
    billingCountry: order.billingAddress?.country ?? null,
    billingVatId: order.billingAddress?.vat_id ?? null,
    supplyDate: order.supplyDate ?? null,
  };
  for (let attempt = 1; ; attempt++) {
    try {
      const results = await createBatch(d1, values);
      const row = rowsOf<OrderRow & { key_hash: string | null }>(results[4])[0];
      if (!row) return { outcome: "unknown_products", productIds: rowsOf<{ product_id: number }>(results[5]).map((r) => r.product_id) };
      if (row.id === order.orderId) return { outcome: "created", order: row };
      if (row.key_hash !== order.requestHash) return { outcome: "idempotency_key_reused", orderId: row.id };
      return { outcome: "replayed", order: row };
    } catch (error) {
      if (!isReservationShortage(error)) throw error;
      const shortages = rowsOf<Shortage>((await sentShortages(d1, { lines: values.lines }))[0]);
      // Another order released its units between the two round trips: try again, the
      // trigger decides again. After a few tries the answer is what was short last time.
      if (shortages.length > 0 || attempt >= ATTEMPTS) return { outcome: "insufficient_stock", shortages };
    }
  }
}

const q = {
  now: sql.placeholder("now"),
  orderId: sql.placeholder("orderId"),
  orderIdUpper: sql.placeholder("orderIdUpper"),
  reservedUntil: sql.placeholder("reservedUntil"),
};

/** The stored id of the order (an id stored upper-case by another tool is found too). */
const storedOrder = sql`(SELECT id FROM orders WHERE id IN (${q.orderId}, ${q.orderIdUpper}))`;
const pendingOrder = sql`(SELECT id FROM orders WHERE id IN (${q.orderId}, ${q.orderIdUpper}) AND status = 'PENDING')`;

const reservePendingBatch = compileBatch<keyof typeof q>([
  // 1. The reservation, while the order is PENDING (before statement 2 moves it on).
  sql`
    UPDATE products
    SET stock_reserved = products.stock_reserved + line.qty, updated_at = ${q.now}
    FROM (SELECT product_id, SUM(quantity) AS qty FROM order_items WHERE order_id = ${pendingOrder} GROUP BY product_id) AS line
    WHERE products.id = line.product_id`,
  // 2. The order awaits payment: an order without lines stays PENDING (nothing to pay for).
  sql`
    UPDATE orders SET status = 'AWAITING_PAYMENT', reserved_until = ${q.reservedUntil}, updated_at = ${q.now}
    WHERE id IN (${q.orderId}, ${q.orderIdUpper}) AND status = 'PENDING'
      AND EXISTS (SELECT 1 FROM order_items WHERE order_id = orders.id)
    RETURNING id`,
  // 3. The answer.
  selectOrderView(storedOrder),
]);

const orderShortages = compileBatch<keyof typeof q>([
  sql`
    SELECT pr.id AS product_id, pr.name AS product_name, SUM(i.quantity) AS requested,
      MAX(pr.stock - pr.stock_reserved, 0) AS available
    FROM order_items i JOIN products pr ON pr.id = i.product_id
    WHERE i.order_id = ${storedOrder}
    GROUP BY pr.id HAVING SUM(i.quantity) > MAX(pr.stock - pr.stock_reserved, 0)
    ORDER BY MIN(i.id)`,
  selectOrderView(storedOrder),
]);

export async function reservePendingOrder(d1: D1Database, orderId: string, now: number, reservedUntil: number): Promise<ReserveResult> {
  const values = { now, orderId, orderIdUpper: orderId.toUpperCase(), reservedUntil };
  for (let attempt = 1; ; attempt++) {
    try {
      const results = await reservePendingBatch(d1, values);
      const order = rowsOf<OrderRow>(results[2])[0];
      if (!order) return { outcome: "not_found" };
      if (rowsOf(results[1]).length > 0) return { outcome: "reserved", order };
      if (order.status === "AWAITING_PAYMENT") return { outcome: "already_reserved", order };
      if (order.status === "PENDING") return { outcome: "no_lines", order };
      return { outcome: "not_reservable", order };
    } catch (error) {
      if (!isReservationShortage(error)) throw error;
      const results = await orderShortages(d1, values);
      const shortages = rowsOf<Shortage>(results[0]);
      const order = rowsOf<OrderRow>(results[1])[0];
      if (!order) return { outcome: "not_found" };
      if (shortages.length > 0 || attempt >= ATTEMPTS) return { outcome: "insufficient_stock", order, shortages };
    }
  }
}
