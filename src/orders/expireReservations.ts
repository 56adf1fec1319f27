// Transition "expire reservations": orders AWAITING_PAYMENT whose reserved_until has
// passed become CANCELLED and give their reserved stock back.
//
// One batch, two statements that select the same orders (same WHERE, same ORDER BY, same
// LIMIT, inside one transaction, so both see the same set): the first releases the stock
// of those orders, the second cancels them. A run that overlaps another sees them
// CANCELLED already and changes nothing, so stock is released exactly once. A payment that
// lands first wins the same way: the order is no longer AWAITING_PAYMENT. Orders with no
// reserved_until never expire.
//
// A delayed payment under way holds the order (issue "Money after the first moment"): while
// the ledger has a `pending` payment of the order that started less than
// PENDING_PAYMENT_HOLD_DAYS ago, the order is not expired. Its success confirms the order;
// its failure (or the hold running out) lets the next run expire it as usual. The pending row of
// a Checkout Session this service created (src/orders/checkoutSession.ts) holds its order at most
// CHECKOUT_SETTLE_MS past the session's end, until Stripe says the session expired or was paid
// (the reservation itself already lasts as long as the session is open).
import { sql } from "drizzle-orm";
import { rowsOf, runBatch } from "../db/client";

/** Orders expired per run; the cron runs every minute, so a backlog drains quickly. */
export const EXPIRY_BATCH_LIMIT = 200;

export const DEFAULT_PENDING_HOLD_DAYS = 14;

/** How long past its end a Checkout Session not yet known to be over still holds its order. */
export const CHECKOUT_SETTLE_MS = 15 * 60_000;

const expiredOrders = (now: number, limit: number, holdDays: number) => sql`
  SELECT o.id FROM orders o
  WHERE o.status = 'AWAITING_PAYMENT' AND o.reserved_until IS NOT NULL AND o.reserved_until <= ${now}
    AND NOT EXISTS (
      SELECT 1 FROM payments pay
      WHERE pay.order_id = o.id AND pay.status = 'pending' AND pay.created_at > ${now - holdDays * 86_400_000}
        -- A Checkout Session not known to be over holds its order only until its end plus
        -- CHECKOUT_SETTLE_MS: long enough for reconciliation to ask Stripe once more after it
        -- closed (a customer who paid in its last minute, whose webhook is lost, is then still
        -- confirmed instead of refunded); Stripe's expired (webhook or reconciliation) ends it sooner.
        AND (pay.checkout_expires_at IS NULL OR pay.checkout_expires_at > ${now - CHECKOUT_SETTLE_MS}))
  ORDER BY o.reserved_until, o.id LIMIT ${limit}`;

export async function expireReservations(
  d1: D1Database,
  now = Date.now(),
  limit = EXPIRY_BATCH_LIMIT,
  holdDays = DEFAULT_PENDING_HOLD_DAYS,
) {
  const results = await runBatch(d1, [
    sql`
      UPDATE products
      -- MAX(..., 0): a reservation count that is already wrong must not block every later
      -- expiry behind a CHECK failure; it is clamped at zero instead.
      SET stock_reserved = MAX(products.stock_reserved - line.qty, 0), updated_at = ${now}
      FROM (
        SELECT product_id, SUM(quantity) AS qty FROM order_items
        WHERE order_id IN (${expiredOrders(now, limit, holdDays)})
        GROUP BY product_id
      ) AS line
      WHERE products.id = line.product_id`,
    sql`
      UPDATE orders SET status = 'CANCELLED', cancelled_at = ${now}, updated_at = ${now}
      WHERE id IN (${expiredOrders(now, limit, holdDays)})
      RETURNING id, order_number`,
  ]);
  return rowsOf<{ id: string; order_number: number }>(results[1]);
}
