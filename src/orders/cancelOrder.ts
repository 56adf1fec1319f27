// Transition "cancel an order": a shop gives up an unpaid order (POST /api/orders/{id}/cancel,
// the binding's cancelOrder). PENDING or AWAITING_PAYMENT becomes CANCELLED; an order that
// awaited payment gives its reserved units back.
//
// Invariants kept here:
// - what was reserved is released exactly once: the releasing UPDATE selects the order's
//   lines only while it is AWAITING_PAYMENT, and the status UPDATE after it, in the same batch,
//   moves it to CANCELLED. A second cancel, the expiry job (src/orders/expireReservations.ts)
//   or a payment that came first all find another status and release nothing.
// - a paid order is never cancelled here (CONFIRMED or later is a refund, not a cancel): the
//   status guard leaves it alone and the caller answers 409. A payment that arrives after the
//   cancel finds CANCELLED and is recorded as refund_required (src/orders/applyPayment.ts).
// - stock_reserved >= 0 (CHECK): a count already wrong is clamped at zero, as the expiry job
//   does, so one bad row never blocks a cancel.
import { sql } from "drizzle-orm";
import { compileBatch, rowsOf } from "../db/client";
import { selectOrderView, type OrderRow } from "./orderView";

export type CancelResult =
  | { outcome: "cancelled" | "already_cancelled" | "not_cancellable"; order: OrderRow }
  | { outcome: "not_found" };

const p = {
  now: sql.placeholder("now"),
  orderId: sql.placeholder("orderId"),
  orderIdUpper: sql.placeholder("orderIdUpper"),
};

const storedOrder = sql`(SELECT id FROM orders WHERE id IN (${p.orderId}, ${p.orderIdUpper}))`;
const reservedOrder = sql`(SELECT id FROM orders WHERE id IN (${p.orderId}, ${p.orderIdUpper}) AND status = 'AWAITING_PAYMENT')`;

const cancelBatch = compileBatch<keyof typeof p>([
  // 1. Release the reservation, while there is one (before statement 2 moves the order on).
  sql`
    UPDATE products
    SET stock_reserved = MAX(products.stock_reserved - line.qty, 0), updated_at = ${p.now}
    FROM (SELECT product_id, SUM(quantity) AS qty FROM order_items WHERE order_id = ${reservedOrder} GROUP BY product_id) AS line
    WHERE products.id = line.product_id`,
  // 2. The order is cancelled.
  sql`
    UPDATE orders SET status = 'CANCELLED', cancelled_at = ${p.now}, updated_at = ${p.now}
    WHERE id IN (${p.orderId}, ${p.orderIdUpper}) AND status IN ('PENDING', 'AWAITING_PAYMENT')
    RETURNING id`,
  // 3. The answer.
  selectOrderView(storedOrder),
]);

export async function cancelOrder(d1: D1Database, orderId: string, now: number): Promise<CancelResult> {
  const results = await cancelBatch(d1, { now, orderId, orderIdUpper: orderId.toUpperCase() });
  const order = rowsOf<OrderRow>(results[2])[0];
  if (!order) return { outcome: "not_found" };
  if (rowsOf(results[1]).length > 0) return { outcome: "cancelled", order };
  if (order.status === "CANCELLED") return { outcome: "already_cancelled", order };
  return { outcome: "not_cancellable", order };
}
