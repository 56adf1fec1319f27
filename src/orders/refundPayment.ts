// Transition "refund a payment": record what a provider says was refunded (Stripe's
// charge.refunded with the charge's cumulative total, or refund.* with one refund by its re_
// id), and what that means for the order, in ONE batch.
//
// Invariants kept here:
// - refunded_cents never goes down and never counts one refund twice: it becomes the MAX of
//   what it was, the cumulative total this event reports, and the sum of the succeeded refunds
//   the ledger knows by id. Repeated and out-of-order events (a stale charge.refunded, a
//   refund.created arriving after its refund.updated) therefore change nothing, and two events
//   racing are applied one after the other by D1's single writer, each from the other's result.
// - a refund's status only moves forward (pending < succeeded < failed/canceled).
// - the order moves only when the payment that CONFIRMED it is refunded in full while the
//   order is CONFIRMED: then it becomes CANCELLED and its goods go back to stock (stock +
//   quantity: confirmation took them out and they never left), decided once in SQL by the
//   event row and guarded again on status = 'CONFIRMED', so exactly once. A SHIPPED or
//   DELIVERED order, a partial refund and the refund of any other payment change no order.
// - every increase of a confirming payment's refunded_cents, for an order with an invoice,
//   allocates one credit note for that increase (gapless series, MAX(seq) + 1 in the same
//   transaction; UNIQUE refund_key). The notes of a payment add up to its refunded_cents.
// - an attention item asking for a refund of this payment settles when it is refunded in full.
// - a failed refund raises an item once per refund.
import { sql } from "drizzle-orm";
import { compileBatch, rowsOf } from "../db/client";
import type { OrderStatus } from "../db/schema";

export interface RefundDelivery {
  requestId: string;
  deliveryId: string;
  receivedAt: number;
  provider: "stripe";
  eventType: string;
  /** The payment's provider_ref in the ledger (Stripe's payment intent). */
  paymentRef: string;
  /** One refund's id (re_...); null for a charge's cumulative total. */
  refundRef: string | null;
  refundStatus: "pending" | "requires_action" | "succeeded" | "failed" | "canceled";
  /** One refund's amount, or (cumulative) the payment's total refunded so far. */
  amount: { cents: number; currency: string };
  cumulative: boolean;
  reason: string | null;
  failureReason: string | null;
  /** The credit note series of this moment (CN-2026). */
  creditNoteSeries: string;
}

export type RefundOutcome = "refund_recorded" | "order_refunded" | "refund_failed";

export interface RefundResult {
  outcome: RefundOutcome;
  orderId: string | null;
  orderNumber: number | null;
  orderStatus: OrderStatus | null;
  refundedCents: number | null;
  creditNote: { id: number; number: string } | null;
}

const p = {
  now: sql.placeholder("now"),
  requestId: sql.placeholder("requestId"),
  deliveryId: sql.placeholder("deliveryId"),
  provider: sql.placeholder("provider"),
  eventType: sql.placeholder("eventType"),
  paymentRef: sql.placeholder("paymentRef"),
  refundRef: sql.placeholder("refundRef"),
  refundStatus: sql.placeholder("refundStatus"),
  refundCents: sql.placeholder("refundCents"),
  cumulativeCents: sql.placeholder("cumulativeCents"),
  currency: sql.placeholder("currency"),
  reason: sql.placeholder("reason"),
  failureReason: sql.placeholder("failureReason"),
  series: sql.placeholder("series"),
};

const refundRank = (status: string) =>
  sql.raw(`(CASE ${status} WHEN 'succeeded' THEN 2 WHEN 'failed' THEN 3 WHEN 'canceled' THEN 3 ELSE 1 END)`);


/** The refunded total this event leads to, recorded in its detail by statement 2. */
const refundedAfter = sql`json_extract(e.detail, '$.refunded_cents')`;
const refundedBefore = sql`json_extract(e.detail, '$.refunded_before')`;
const thePayment = sql`p.provider = ${p.provider} AND p.provider_ref = ${p.paymentRef}`;
const refundedOrder = sql`(SELECT order_id FROM webhook_events WHERE request_id = ${p.requestId} AND outcome = 'order_refunded')`;
export const REFUND_ASKING_KINDS = ["refund_required", "paid_twice", "amount_mismatch", "unmatched_payment"] as const;

const refundBatch = compileBatch<keyof typeof p>([
  // 1. The refund by its own id: a repeat updates it, never adds one.
  sql`
    INSERT INTO refunds (provider, refund_ref, payment_ref, amount_cents, currency, status, failure_reason, created_at, updated_at)
    SELECT ${p.provider}, ${p.refundRef}, ${p.paymentRef}, ${p.refundCents}, ${p.currency}, ${p.refundStatus},
      ${p.failureReason}, ${p.now}, ${p.now}
    WHERE ${p.refundRef} IS NOT NULL
    ON CONFLICT (provider, refund_ref) DO UPDATE SET
      status = CASE WHEN ${refundRank("excluded.status")} >= ${refundRank("refunds.status")} THEN excluded.status ELSE refunds.status END,
      failure_reason = COALESCE(excluded.failure_reason, refunds.failure_reason),
      updated_at = excluded.updated_at`,
  // 2. Decide, from the ledger, and record the decision (with the totals before and after).
  sql`
    INSERT INTO webhook_events
      (received_at, request_id, delivery_id, order_id, payment_status, order_status, outcome, http_status, detail,
       provider, provider_ref)
    SELECT ${p.now}, ${p.requestId}, ${p.deliveryId}, x.order_id, 'refunded', x.order_status,
      CASE
        WHEN ${p.refundStatus} = 'failed' THEN 'refund_failed'
        WHEN x.confirmed_order = 1 AND x.order_status = 'CONFIRMED' AND x.amount_cents IS NOT NULL
          AND x.refunded_after >= x.amount_cents THEN 'order_refunded'
        ELSE 'refund_recorded'
      END,
      200,
      json_object('event_type', ${p.eventType}, 'refund_id', ${p.refundRef}, 'refund_status', ${p.refundStatus},
        'refund_cents', CASE WHEN ${p.cumulativeCents} IS NULL THEN CAST(${p.refundCents} AS INTEGER) END,
        'payment_known', x.id IS NOT NULL, 'payment_cents', x.amount_cents,
        'refunded_before', x.refunded_before, 'refunded_cents', x.refunded_after,
        'currency', COALESCE(x.currency, upper(${p.currency})), 'failure_reason', ${p.failureReason}),
      ${p.provider}, ${p.paymentRef}
    FROM (
      SELECT p.id, p.order_id, o.status AS order_status, p.confirmed_order, p.amount_cents, p.currency,
        p.refunded_cents AS refunded_before,
        -- CAST: D1 may bind a JavaScript number as REAL, and the total names a credit note.
        CAST(MAX(p.refunded_cents, COALESCE(${p.cumulativeCents}, 0),
          (SELECT COALESCE(SUM(amount_cents), 0) FROM refunds
           WHERE provider = ${p.provider} AND payment_ref = ${p.paymentRef} AND status = 'succeeded')) AS INTEGER) AS refunded_after
      FROM (SELECT 1) LEFT JOIN payments p ON ${thePayment}
      LEFT JOIN orders o ON o.id = p.order_id
    ) x`,
  // 3. The payment's refunded total, only ever up.
  sql`
    UPDATE payments SET refunded_cents = e.refunded, updated_at = ${p.now}
    FROM (SELECT json_extract(detail, '$.refunded_cents') AS refunded FROM webhook_events WHERE request_id = ${p.requestId}) e
    WHERE payments.provider = ${p.provider} AND payments.provider_ref = ${p.paymentRef} AND e.refunded > payments.refunded_cents`,
  // 4. The credit note of the increase, when this payment confirmed an order that has an
  // invoice. Due for the outbox sweeper in two minutes, should the queue message never arrive.
  // A charge's cumulative total names no refund: its note is keyed by the total it reached.
  sql`
    INSERT INTO credit_notes (order_id, invoice_id, refund_key, series, seq, number, amount_cents, currency, reason,
      next_attempt_at, created_at, updated_at)
    SELECT i.order_id, i.id,
      ${p.provider} || ':' || COALESCE(${p.refundRef}, ${p.paymentRef} || ':refunded:' || ${refundedAfter}),
      ${p.series},
      (SELECT COALESCE(MAX(seq), 0) + 1 FROM credit_notes WHERE series = ${p.series}),
      printf('%s-%06d', ${p.series}, (SELECT COALESCE(MAX(seq), 0) + 1 FROM credit_notes WHERE series = ${p.series})),
      ${refundedAfter} - ${refundedBefore}, COALESCE(p.currency, o.currency), ${p.reason},
      ${p.now} + 120000, ${p.now}, ${p.now}
    FROM webhook_events e
    JOIN payments p ON ${thePayment} AND p.confirmed_order = 1
    JOIN orders o ON o.id = p.order_id
    JOIN invoices i ON i.order_id = p.order_id
    WHERE e.request_id = ${p.requestId} AND ${refundedAfter} > ${refundedBefore}
    ON CONFLICT (refund_key) DO NOTHING
    RETURNING id, number`,
  // 5. A full refund of a CONFIRMED order: its goods go back to stock, one UPDATE for all lines.
  sql`
    UPDATE products SET stock = products.stock + line.qty, updated_at = ${p.now}
    FROM (SELECT product_id, SUM(quantity) AS qty FROM order_items WHERE order_id = ${refundedOrder} GROUP BY product_id) AS line
    WHERE products.id = line.product_id`,
  // 6. ... and the order is cancelled (guarded on its state as well, for readers of this line).
  sql`
    UPDATE orders SET status = 'CANCELLED', cancelled_at = ${p.now}, updated_at = ${p.now}
    WHERE id = ${refundedOrder} AND status = 'CONFIRMED'`,
  // 7. Items that ask for this payment's refund settle once it is refunded in full.
  sql`
    UPDATE attention_items
    SET resolved_at = ${p.now}, resolved_by = 'system',
        resolution_note = 'settled: payment ' || ${p.paymentRef} || ' was refunded in full (' || ${p.eventType} || ')'
    WHERE resolved_at IS NULL AND kind IN (${sql.raw(REFUND_ASKING_KINDS.map((k) => `'${k}'`).join(", "))})
      AND event_id IN (SELECT id FROM webhook_events WHERE provider_ref = ${p.paymentRef} AND provider = ${p.provider})
      AND EXISTS (SELECT 1 FROM payments p WHERE ${thePayment}
        AND p.amount_cents > 0 AND p.refunded_cents >= p.amount_cents)`,
  // 8. A failed refund: the customer was told money is coming. One item per refund, ever.
  sql`
    INSERT INTO attention_items (kind, key, order_id, event_id, detail, created_at)
    SELECT 'refund_failed', 'refund_failed:' || e.provider || ':' || ${p.refundRef}, e.order_id, e.id, e.detail, ${p.now}
    FROM webhook_events e
    WHERE e.request_id = ${p.requestId} AND e.outcome = 'refund_failed'
      AND NOT EXISTS (SELECT 1 FROM attention_items WHERE key = 'refund_failed:' || e.provider || ':' || ${p.refundRef})
    ON CONFLICT (key) WHERE resolved_at IS NULL DO NOTHING`,
  // 9. What was decided, read back in the same round trip.
  sql`
    SELECT e.outcome, e.order_id, o.order_number, o.status AS order_status, ${refundedAfter} AS refunded_cents
    FROM webhook_events e LEFT JOIN orders o ON o.id = e.order_id
    WHERE e.request_id = ${p.requestId}`,
]);

export async function refundPayment(d1: D1Database, refund: RefundDelivery): Promise<RefundResult> {
  const results = await refundBatch(d1, {
    now: refund.receivedAt,
    requestId: refund.requestId,
    deliveryId: refund.deliveryId,
    provider: refund.provider,
    eventType: refund.eventType,
    paymentRef: refund.paymentRef,
    refundRef: refund.refundRef,
    refundStatus: refund.refundStatus,
    refundCents: refund.cumulative ? null : refund.amount.cents,
    cumulativeCents: refund.cumulative ? refund.amount.cents : null,
    currency: refund.amount.currency,
    reason: refund.reason,
    failureReason: refund.failureReason,
    series: refund.creditNoteSeries,
  });
  const row = rowsOf<{ outcome: RefundOutcome; order_id: string | null; order_number: number | null; order_status: OrderStatus | null; refunded_cents: number | null }>(
    results[8],
  )[0];
  if (!row) throw new Error("refund decision row missing after batch");
  const note = rowsOf<{ id: number; number: string }>(results[3])[0];
  return {
    outcome: row.outcome,
    orderId: row.order_id,
    orderNumber: row.order_number,
    orderStatus: row.order_status,
    refundedCents: row.refunded_cents,
    creditNote: note ? { id: note.id, number: note.number } : null,
  };
}
