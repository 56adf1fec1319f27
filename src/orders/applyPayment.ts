// Transition "apply a payment webhook": decide, confirm, allocate the invoice, record.
//
// D1 has no interactive transactions: the batch is the only atomic unit, so nothing is
// read first and decided in JavaScript. The first statement decides in SQL, from the
// order's current state, and writes that decision as the webhook event; every later
// statement is guarded on that event's outcome being 'confirmed'. A concurrent or repeated
// delivery of the same payment therefore decides 'duplicate' and changes nothing (D1 runs
// one writer at a time, so the second batch sees the first one's CONFIRMED).
//
// Invariants kept here:
// - stock >= 0 and stock_reserved >= 0 (CHECK constraints): a confirmation that would
//   take any product below zero fails, and D1 rolls the whole batch back.
// - one invoice per order (UNIQUE invoices.order_id), numbered gapless per series: the
//   number is MAX(seq) + 1 inside the same transaction, and a rolled-back batch takes none.
// - the number of statements and bound parameters does not depend on the number of order
//   lines (D1 allows 100 parameters per statement; an order of 120 lines must work).
import { sql } from "drizzle-orm";
import { rowsOf, runBatch } from "../db/client";
import type { OrderStatus, WebhookOutcome } from "../db/schema";

export interface PaymentDelivery {
  orderId: string;
  status: "paid" | "failed";
  requestId: string;
  /** The provider's id of this delivery, when it sends one. */
  deliveryId: string | null;
  receivedAt: number;
  invoicePrefix: string;
}

export interface StockShortage {
  product_id: number;
  product_name: string;
  requested: number;
  stock: number;
  stock_reserved: number;
  short_of: "stock" | "reservation";
}

export type PaymentResult =
  | { outcome: "confirmed"; orderNumber: number; invoice: { id: number; number: string } }
  | { outcome: "duplicate" | "ignored_state" | "payment_failed" | "refund_required"; orderNumber: number; orderStatus: OrderStatus }
  | { outcome: "not_found" }
  | { outcome: "insufficient_stock"; orderNumber: number; shortages: StockShortage[] };

interface DecisionRow {
  outcome: WebhookOutcome;
  order_status: OrderStatus | null;
  order_number: number | null;
  invoice_id: number | null;
  invoice_number: string | null;
}

/** Whole order lines per product: an order may list the same product twice. */
const linesByProduct = (orderId: string) => sql`
  SELECT product_id, SUM(quantity) AS qty FROM order_items WHERE order_id = ${orderId} GROUP BY product_id`;

const decidedToConfirm = (requestId: string) => sql`
  EXISTS (SELECT 1 FROM webhook_events WHERE request_id = ${requestId} AND outcome = 'confirmed')`;

export function invoiceSeries(prefix: string, at: number): string {
  return `${prefix}-${new Date(at).getUTCFullYear()}`;
}

export async function applyPayment(d1: D1Database, delivery: PaymentDelivery): Promise<PaymentResult> {
  const { orderId, status, requestId, deliveryId, receivedAt: now } = delivery;
  const series = invoiceSeries(delivery.invoicePrefix, now);
  try {
    const results = await runBatch(d1, [
      // 1. Decide from the order's state, and record the decision as the event.
      sql`
        INSERT INTO webhook_events
          (received_at, request_id, delivery_id, order_id, payment_status, order_status, outcome, http_status)
        SELECT ${now}, ${requestId}, ${deliveryId}, ${orderId}, ${status}, o.status,
          CASE
            WHEN o.id IS NULL THEN 'not_found'
            -- The same delivery (provider's id, order and status) answered 200 before: a replay.
            -- Matched on all three, so a provider that reuses an id for a later 'paid' still
            -- gets that payment applied.
            WHEN ${deliveryId} IS NOT NULL AND EXISTS (
              SELECT 1 FROM webhook_events
              WHERE delivery_id = ${deliveryId} AND order_id = ${orderId} AND payment_status = ${status}
                AND http_status = 200) THEN 'duplicate'
            WHEN ${status} = 'failed' THEN 'payment_failed'
            WHEN o.status = 'AWAITING_PAYMENT' THEN 'confirmed'
            WHEN o.status IN ('CONFIRMED', 'SHIPPED', 'DELIVERED') THEN 'duplicate'
            WHEN o.status = 'CANCELLED' THEN 'refund_required'
            ELSE 'ignored_state'
          END,
          CASE WHEN o.id IS NULL THEN 404 ELSE 200 END
        FROM (SELECT 1) LEFT JOIN orders o ON o.id = ${orderId}`,
      // 2. Reserved stock becomes sold stock, one UPDATE for all lines.
      sql`
        UPDATE products
        SET stock = products.stock - line.qty,
            stock_reserved = products.stock_reserved - line.qty,
            updated_at = ${now}
        FROM (${linesByProduct(orderId)}) AS line
        WHERE products.id = line.product_id AND ${decidedToConfirm(requestId)}`,
      // 3. The order is confirmed (guarded on its state as well, for readers of this line).
      sql`
        UPDATE orders SET status = 'CONFIRMED', confirmed_at = ${now}, updated_at = ${now}
        WHERE id = ${orderId} AND status = 'AWAITING_PAYMENT' AND ${decidedToConfirm(requestId)}`,
      // 4. Its invoice: the outbox row of the email, with the next number of the series.
      // Scalar subqueries on purpose: D1's SQLite answers MAX(seq) from the (series, seq)
      // index this way (2 rows read), while the same MAX in a derived table under the
      // WHERE EXISTS guard scanned the whole series on every delivery (found by the bench).
      sql`
        INSERT INTO invoices (order_id, series, seq, number, created_at, updated_at)
        SELECT ${orderId}, ${series},
          (SELECT COALESCE(MAX(seq), 0) + 1 FROM invoices WHERE series = ${series}),
          printf('%s-%06d', ${series}, (SELECT COALESCE(MAX(seq), 0) + 1 FROM invoices WHERE series = ${series})),
          ${now}, ${now}
        WHERE ${decidedToConfirm(requestId)}`,
      // 5. What was decided, read back in the same round trip.
      sql`
        SELECT e.outcome, e.order_status, o.order_number, i.id AS invoice_id, i.number AS invoice_number
        FROM webhook_events e
        LEFT JOIN orders o ON o.id = e.order_id
        LEFT JOIN invoices i ON i.order_id = e.order_id
        WHERE e.request_id = ${requestId}`,
    ]);
    return toResult(rowsOf<DecisionRow>(results[4])[0]);
  } catch (error) {
    if (!isStockCheckFailure(error)) throw error;
    return recordInsufficientStock(d1, delivery);
  }
}

function toResult(row: DecisionRow | undefined): PaymentResult {
  if (!row) throw new Error("payment decision row missing after batch");
  if (row.outcome === "not_found") return { outcome: "not_found" };
  const orderNumber = row.order_number ?? 0;
  if (row.outcome === "confirmed") {
    if (row.invoice_id === null || row.invoice_number === null) throw new Error("confirmed order has no invoice row");
    return { outcome: "confirmed", orderNumber, invoice: { id: row.invoice_id, number: row.invoice_number } };
  }
  if (row.outcome === "insufficient_stock") throw new Error("unexpected outcome in decision row");
  return { outcome: row.outcome, orderNumber, orderStatus: row.order_status as OrderStatus };
}

function isStockCheckFailure(error: unknown): boolean {
  const message = error instanceof Error ? `${error.message} ${String(error.cause ?? "")}` : String(error);
  return /CHECK constraint failed: products_stock/.test(message);
}

/**
 * The confirming batch rolled back because a product would go below zero. The payment was
 * taken, so the event is recorded for a human, with what was short. Nothing else changes.
 */
async function recordInsufficientStock(d1: D1Database, delivery: PaymentDelivery): Promise<PaymentResult> {
  const { orderId, status, requestId, deliveryId, receivedAt: now } = delivery;
  const results = await runBatch(d1, [
    sql`
      INSERT INTO webhook_events
        (received_at, request_id, delivery_id, order_id, payment_status, order_status, outcome, http_status, detail)
      SELECT ${now}, ${requestId}, ${deliveryId}, ${orderId}, ${status}, o.status, 'insufficient_stock', 400,
        (SELECT json_group_array(json_object(
            'product_id', p.id, 'product_name', p.name, 'requested', line.qty,
            'stock', p.stock, 'stock_reserved', p.stock_reserved,
            -- 'reservation': the goods may be there but the reserved count is short (data drift).
            'short_of', CASE WHEN p.stock < line.qty THEN 'stock' ELSE 'reservation' END))
         FROM (${linesByProduct(orderId)}) AS line JOIN products p ON p.id = line.product_id
         WHERE p.stock < line.qty OR p.stock_reserved < line.qty)
      FROM orders o WHERE o.id = ${orderId}`,
    sql`
      SELECT e.detail, o.order_number FROM webhook_events e JOIN orders o ON o.id = e.order_id
      WHERE e.request_id = ${requestId}`,
  ]);
  const row = rowsOf<{ detail: string | null; order_number: number }>(results[1])[0];
  if (!row) throw new Error("insufficient-stock event missing after batch");
  return {
    outcome: "insufficient_stock",
    orderNumber: row.order_number,
    shortages: JSON.parse(row.detail ?? "[]") as StockShortage[],
  };
}
