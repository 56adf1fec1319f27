// Transition "apply a payment": decide, confirm, allocate the invoice, record. Every source
// of payments (the generic webhook, the Stripe adapter) calls this one function.
//
// D1 has no interactive transactions: the batch is the only atomic unit, so nothing is
// read first and decided in JavaScript. The first statement decides in SQL, from the
// order's current state, and writes that decision as the webhook event; every later
// statement is guarded on that event's outcome being 'confirmed' (it selects the order id
// of a confirmed event of this request, which is NULL otherwise). A concurrent or repeated
// delivery of the same payment therefore decides 'duplicate' and changes nothing (D1 runs
// one writer at a time, so the second batch sees the first one's CONFIRMED).
//
// Invariants kept here:
// - stock >= 0 and stock_reserved >= 0 (CHECK constraints): a confirmation that would
//   take any product below zero fails, and D1 rolls the whole batch back.
// - one invoice per order (UNIQUE invoices.order_id), numbered gapless per series: the
//   number is MAX(seq) + 1 inside the same transaction, and a rolled-back batch takes none.
// - a `paid` delivery is never acknowledged and dropped: for a PENDING order it is answered
//   409 (`not_ready`) so the provider retries, and only a delivery id that confirmed an
//   order makes a later delivery a replay.
// - a delivery that a human must act on raises its attention item in the same batch.
// - the number of statements and bound parameters does not depend on the number of order
//   lines (D1 allows 100 parameters per statement; an order of 120 lines must work).
import { sql, type SQL } from "drizzle-orm";
import { raiseForEvent, settleOnConfirmation } from "../attention/attentionItems";
import { compileBatch, describeError, isDataError, rowsOf } from "../db/client";
import { errorMessage } from "../observability/log";
import { adoptCheckoutSession, anonymousRef, upsertPayment } from "../payments/ledger";
import type { OrderStatus, WebhookOutcome } from "../db/schema";

export interface PaymentDelivery {
  /** Lower-case hyphenated UUID (an id stored upper-case is found too). */
  orderId: string;
  status: "paid" | "failed";
  requestId: string;
  /** The provider's id of this delivery, when it sends one. */
  deliveryId: string | null;
  receivedAt: number;
  invoicePrefix: string;
  invoiceTimeZone: string;
  /** What was paid, when the provider says: checked against the order's total in the batch. */
  amount?: { cents: number; currency: string } | null;
  /**
   * The provider always says what was paid (Stripe): a payment whose amount cannot be read is
   * not confirmed unchecked, it is an amount_mismatch for a human.
   */
  amountRequired?: boolean;
  provider?: "generic" | "stripe";
  /** The provider's own id of the payment (e.g. Stripe's payment intent). */
  providerRef?: string | null;
  /** The Stripe Checkout Session the payment went through, when the event names one. */
  sessionRef?: string | null;
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
  | {
      outcome: "duplicate" | "ignored_state" | "payment_failed" | "refund_required" | "not_ready" | "paid_twice";
      orderNumber: number;
      orderStatus: OrderStatus;
    }
  | { outcome: "amount_mismatch"; orderNumber: number; orderStatus: OrderStatus; detail: AmountMismatch }
  | { outcome: "data_error"; orderNumber: number | null; reason: string }
  | { outcome: "not_found" }
  | { outcome: "insufficient_stock"; orderNumber: number; shortages: StockShortage[] };

export interface AmountMismatch {
  paid_cents: number;
  paid_currency: string;
  order_cents: number;
  order_currency: string;
}

interface DecisionRow {
  this_confirmed?: number;
  outcome: WebhookOutcome;
  order_status: OrderStatus | null;
  order_number: number | null;
  detail: string | null;
  invoice_id: number | null;
  invoice_number: string | null;
}

const p = {
  now: sql.placeholder("now"),
  requestId: sql.placeholder("requestId"),
  deliveryId: sql.placeholder("deliveryId"),
  orderId: sql.placeholder("orderId"),
  orderIdUpper: sql.placeholder("orderIdUpper"),
  status: sql.placeholder("status"),
  amountCents: sql.placeholder("amountCents"),
  amountRequired: sql.placeholder("amountRequired"),
  currency: sql.placeholder("currency"),
  provider: sql.placeholder("provider"),
  providerRef: sql.placeholder("providerRef"),
  sessionRef: sql.placeholder("sessionRef"),
  series: sql.placeholder("series"),
};
type Values = Record<keyof typeof p, unknown>;

/** The order's id as stored (the PK index serves the IN list; lower- or upper-case). */
const storedOrder = sql`(SELECT id FROM orders WHERE id IN (${p.orderId}, ${p.orderIdUpper}))`;

/** The payment's reference in the ledger: the provider's, or the anonymous one of the order. */
const ledgerRef = (orderId: SQL) => sql`COALESCE(${p.providerRef}, ${anonymousRef(orderId)})`;

/**
 * The ledger row of the payment this event decided about. Outcomes that moved money or
 * refused it write one; a replay (duplicate) and a delivery not decided yet (not_ready, a
 * data error) do not. A failed payment of an unknown order is no money: not written.
 */
const ledgerRow = (requestId: unknown, now: unknown, amountCents: unknown, currency: unknown) => sql`
  INSERT INTO payments (order_id, provider, provider_ref, ref_from_provider, status, amount_cents, currency,
    confirmed_order, created_at, updated_at)
  SELECT e.order_id, e.provider, COALESCE(e.provider_ref, ${anonymousRef(sql`e.order_id`)}), e.provider_ref IS NOT NULL,
    CASE e.payment_status WHEN 'paid' THEN 'succeeded' ELSE 'failed' END,
    COALESCE(${amountCents}, CASE WHEN e.outcome = 'confirmed' THEN
      (SELECT COALESCE(SUM(quantity * unit_price_cents), 0) FROM order_items WHERE order_id = e.order_id) END),
    COALESCE(upper(${currency}), CASE WHEN e.outcome = 'confirmed' THEN (SELECT currency FROM orders WHERE id = e.order_id) END),
    e.outcome = 'confirmed', ${now}, ${now}
  FROM webhook_events e
  WHERE e.request_id = ${requestId}
    AND e.outcome IN ('confirmed', 'payment_failed', 'paid_twice', 'refund_required', 'amount_mismatch', 'ignored_state',
      'insufficient_stock', 'not_found')
    AND (e.outcome != 'not_found' OR (e.payment_status = 'paid' AND e.provider_ref IS NOT NULL))
  ${upsertPayment}`;

/** The order id of this request's event if, and only if, it decided to confirm. */
const confirmedOrderId = sql`(SELECT order_id FROM webhook_events WHERE request_id = ${p.requestId} AND outcome = 'confirmed')`;

/** Whole order lines per product: an order may list the same product twice. */
const linesByProduct = (orderId: typeof confirmedOrderId) => sql`
  SELECT product_id, SUM(quantity) AS qty FROM order_items WHERE order_id = ${orderId} GROUP BY product_id`;

/** Lines that rows from other tools may have wrong (the triggers of migration 0002 stop new ones). */
const BAD_LINE = sql.raw(`
  typeof(quantity) != 'integer' OR quantity NOT BETWEEN 1 AND 1000000
  OR typeof(unit_price_cents) != 'integer' OR unit_price_cents NOT BETWEEN 0 AND 10000000000`);
const BAD_LINES_REASON = "an order line has a quantity or unit price that is not a whole number in range";

const confirmStatements = [
  // 1. Decide from the order's state, and record the decision as the event.
  sql`
    INSERT INTO webhook_events
      (received_at, request_id, delivery_id, order_id, payment_status, order_status, outcome, http_status, detail,
       provider, provider_ref)
    SELECT ${p.now}, ${p.requestId}, ${p.deliveryId}, COALESCE(d.id, ${p.orderId}), ${p.status}, d.status, d.outcome,
      CASE d.outcome WHEN 'not_found' THEN 404 WHEN 'not_ready' THEN 409 WHEN 'data_error' THEN 422 ELSE 200 END,
      CASE d.outcome
        WHEN 'data_error' THEN ${BAD_LINES_REASON}
        WHEN 'amount_mismatch' THEN json_object('paid_cents', ${p.amountCents}, 'paid_currency', upper(${p.currency}),
          'order_cents', d.total_cents, 'order_currency', d.currency)
        WHEN 'paid_twice' THEN d.confirmed_by
      END,
      ${p.provider}, ${p.providerRef}
    FROM (
      SELECT x.*,
        CASE
          WHEN x.id IS NULL THEN 'not_found'
          -- The ledger knows this payment confirmed the order: whatever the order became since
          -- (shipped, cancelled by a refund), another delivery of it changes nothing.
          -- (An order put back to AWAITING_PAYMENT by another tool is left to the rules below.)
          WHEN ${p.status} = 'paid' AND x.confirmed_by_this = 1 AND x.status != 'AWAITING_PAYMENT' THEN 'duplicate'
          -- Only a delivery that confirmed an order makes a later one with the same id (and
          -- order and status) a replay: a 409 or a failed payment must not poison its retries.
          WHEN ${p.deliveryId} IS NOT NULL AND EXISTS (
            SELECT 1 FROM webhook_events
            WHERE delivery_id = ${p.deliveryId} AND order_id = x.id AND payment_status = ${p.status}
              AND outcome = 'confirmed') THEN 'duplicate'
          WHEN ${p.status} = 'failed' THEN 'payment_failed'
          -- Checkout has not reserved stock yet: the provider must come back, not be told "done".
          WHEN x.status = 'PENDING' THEN 'not_ready'
          WHEN x.status = 'AWAITING_PAYMENT' AND EXISTS (
            SELECT 1 FROM order_items WHERE order_id = x.id AND (${BAD_LINE})) THEN 'data_error'
          WHEN x.status = 'AWAITING_PAYMENT' AND (${p.amountCents} IS NOT NULL OR ${p.amountRequired} = 1)
            AND (x.total_cents IS NOT ${p.amountCents} OR upper(x.currency) IS NOT upper(${p.currency})) THEN 'amount_mismatch'
          WHEN x.status = 'AWAITING_PAYMENT' THEN 'confirmed'
          -- A second, different payment of a paid order (two Checkout Sessions paid, or one
          -- through each endpoint): the ledger's confirming payment is another one. Money to refund.
          WHEN x.status IN ('CONFIRMED', 'SHIPPED', 'DELIVERED') AND x.confirmed_by IS NOT NULL THEN 'paid_twice'
          WHEN x.status IN ('CONFIRMED', 'SHIPPED', 'DELIVERED') THEN 'duplicate'
          WHEN x.status = 'CANCELLED' THEN 'refund_required'
          ELSE 'ignored_state'
        END AS outcome
      FROM (
        SELECT o.id, o.status, o.currency,
          -- The total only when there is an amount to check (the plain webhook reads no more rows).
          CASE WHEN ${p.amountCents} IS NOT NULL THEN
            (SELECT COALESCE(SUM(quantity * unit_price_cents), 0) FROM order_items WHERE order_id = o.id) END AS total_cents,
          -- This very payment confirmed the order (one lookup in the ledger's unique index).
          EXISTS (SELECT 1 FROM payments WHERE provider = ${p.provider} AND provider_ref = ${ledgerRef(sql`o.id`)}
            AND order_id = o.id AND confirmed_order = 1) AS confirmed_by_this,
          -- The payment that confirmed a paid order, when it is provably another one: a different
          -- reference, and not two generic deliveries of which one named no payment (nothing
          -- tells a retry without payment_id from a second payment).
          CASE WHEN o.status IN ('CONFIRMED', 'SHIPPED', 'DELIVERED') THEN (
            SELECT json_object('confirmed_by', CASE WHEN cp.ref_from_provider = 1 THEN cp.provider_ref END,
              'confirmed_via', cp.provider)
            FROM payments cp
            WHERE cp.order_id = o.id AND cp.confirmed_order = 1
              AND NOT (cp.provider = ${p.provider} AND cp.provider_ref = ${ledgerRef(sql`o.id`)})
              AND NOT (cp.provider = 'generic' AND ${p.provider} = 'generic'
                AND (cp.ref_from_provider = 0 OR ${p.providerRef} IS NULL))) END AS confirmed_by
        FROM (SELECT 1) LEFT JOIN orders o ON o.id IN (${p.orderId}, ${p.orderIdUpper})
      ) x
    ) d`,
  // 2. The payment in the ledger, for every decision about real money (a replay adds nothing).
  ledgerRow(p.requestId, p.now, p.amountCents, p.currency),
  // 3. Reserved stock becomes sold stock, one UPDATE for all lines.
  sql`
    UPDATE products
    SET stock = products.stock - line.qty,
        stock_reserved = products.stock_reserved - line.qty,
        updated_at = ${p.now}
    FROM (${linesByProduct(confirmedOrderId)}) AS line
    WHERE products.id = line.product_id`,
  // 4. The order is confirmed (guarded on its state as well, for readers of this line).
  sql`
    UPDATE orders SET status = 'CONFIRMED', confirmed_at = ${p.now}, updated_at = ${p.now}
    WHERE id = ${confirmedOrderId} AND status = 'AWAITING_PAYMENT'`,
  // 5. Its invoice: the outbox row of the email, with the next number of the series. Due for
  // the sweeper two minutes from now, should the queue message never arrive.
  // Scalar subqueries on purpose: D1's SQLite answers MAX(seq) from the (series, seq)
  // index this way (2 rows read), while the same MAX in a derived table under the
  // guard scanned the whole series on every delivery (found by the bench).
  sql`
    INSERT INTO invoices (order_id, series, seq, number, next_attempt_at, created_at, updated_at)
    SELECT e.order_id, ${p.series},
      (SELECT COALESCE(MAX(seq), 0) + 1 FROM invoices WHERE series = ${p.series}),
      printf('%s-%06d', ${p.series}, (SELECT COALESCE(MAX(seq), 0) + 1 FROM invoices WHERE series = ${p.series})),
      ${p.now} + 120000, ${p.now}, ${p.now}
    FROM webhook_events e WHERE e.request_id = ${p.requestId} AND e.outcome = 'confirmed'`,
  // 6. A human's item, when the decision needs one; 7. what a confirmation settles.
  raiseForEvent(p.requestId),
  settleOnConfirmation(p.requestId, p.now),
  // 8. What was decided, read back in the same round trip (and whether the ledger says this
  // very payment confirmed the order: a fact no later event undoes, see `confirmedHere`).
  sql`
    SELECT e.outcome, e.order_status, e.detail, o.order_number, i.id AS invoice_id, i.number AS invoice_number,
      EXISTS (SELECT 1 FROM payments WHERE provider = e.provider
        AND provider_ref = COALESCE(e.provider_ref, ${anonymousRef(sql`e.order_id`)})
        AND order_id = e.order_id AND confirmed_order = 1) AS this_confirmed
    FROM webhook_events e
    LEFT JOIN orders o ON o.id = e.order_id
    LEFT JOIN invoices i ON i.order_id = e.order_id AND e.outcome = 'confirmed'
    WHERE e.request_id = ${p.requestId}`,
];
const confirmBatch = compileBatch<keyof typeof p>(confirmStatements);
/**
 * An event that names a Checkout Session (checkout.session.*, reconciliation): first, a session
 * this service created becomes this payment's row (src/payments/ledger.ts), so the ledger statement
 * advances it instead of adding a second payment. A constant nine statements; other events eight.
 */
const confirmSessionBatch = compileBatch<keyof typeof p>([
  adoptCheckoutSession(p.provider, p.providerRef, p.sessionRef, p.now),
  ...confirmStatements,
]);

const yearFormats = new Map<string, Intl.DateTimeFormat>();

/** The invoice series of a moment: the prefix and the year in the invoice time zone. */
export function invoiceSeries(prefix: string, at: number, timeZone = "UTC"): string {
  let format = yearFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en", { timeZone, year: "numeric" });
    yearFormats.set(timeZone, format);
  }
  return `${prefix}-${format.format(at)}`;
}

/**
 * A repeat of a payment that confirmed its order is the commonest delivery after the first
 * (providers retry, resend, and send several events per payment), and its answer is fixed:
 * the ledger's confirmed_order never goes back to 0. An isolate that has seen a payment
 * confirm (or be recognised as the confirming one) records one statement for its repeats,
 * instead of the eight-statement confirming batch. The set is only a hint for choosing the
 * batch: that one statement still decides in SQL, from the ledger and the order's state, and
 * writes nothing when the hint is stale (another tool put the order back to
 * AWAITING_PAYMENT), in which case the full batch runs as for any delivery.
 */
const confirmedHere = new Set<string>();
const CONFIRMED_HERE_LIMIT = 10_000;
const paymentKey = (v: Values) => `${String(v.provider)}\u0000${String(v.providerRef ?? "")}\u0000${String(v.orderId)}`;

function rememberConfirmed(values: Values) {
  if (confirmedHere.size >= CONFIRMED_HERE_LIMIT) confirmedHere.delete(confirmedHere.values().next().value!);
  confirmedHere.add(paymentKey(values));
}

/** The repeat of a confirming payment: its audit row, decided from the ledger in one statement. */
const duplicateBatch = compileBatch<keyof typeof p>([
  sql`
    INSERT INTO webhook_events
      (received_at, request_id, delivery_id, order_id, payment_status, order_status, outcome, http_status, detail,
       provider, provider_ref)
    SELECT ${p.now}, ${p.requestId}, ${p.deliveryId}, o.id, ${p.status}, o.status, 'duplicate', 200, NULL,
      ${p.provider}, ${p.providerRef}
    FROM orders o
    WHERE o.id IN (${p.orderId}, ${p.orderIdUpper}) AND o.status != 'AWAITING_PAYMENT' AND ${p.status} = 'paid'
      AND EXISTS (SELECT 1 FROM payments WHERE provider = ${p.provider} AND provider_ref = ${ledgerRef(sql`o.id`)}
        AND order_id = o.id AND confirmed_order = 1)
    RETURNING outcome, order_status, (SELECT order_number FROM orders WHERE id = order_id) AS order_number`,
]);

export async function applyPayment(d1: D1Database, delivery: PaymentDelivery): Promise<PaymentResult> {
  const values: Values = {
    now: delivery.receivedAt,
    requestId: delivery.requestId,
    deliveryId: delivery.deliveryId,
    orderId: delivery.orderId,
    orderIdUpper: delivery.orderId.toUpperCase(),
    status: delivery.status,
    amountCents: delivery.amount?.cents ?? null,
    amountRequired: delivery.amountRequired ? 1 : 0,
    currency: delivery.amount?.currency ?? null,
    provider: delivery.provider ?? "generic",
    providerRef: delivery.providerRef ?? null,
    sessionRef: delivery.sessionRef ?? null,
    series: invoiceSeries(delivery.invoicePrefix, delivery.receivedAt, delivery.invoiceTimeZone),
  };
  if (delivery.status === "paid" && confirmedHere.has(paymentKey(values))) {
    const [recorded] = await duplicateBatch(d1, values);
    const row = rowsOf<{ outcome: "duplicate"; order_status: OrderStatus; order_number: number }>(recorded)[0];
    if (row) return { outcome: "duplicate", orderNumber: row.order_number, orderStatus: row.order_status };
    confirmedHere.delete(paymentKey(values));
  }
  try {
    const results = await (values.sessionRef === null ? confirmBatch : confirmSessionBatch)(d1, values);
    const row = rowsOf<DecisionRow>(results[results.length - 1])[0];
    if (row?.this_confirmed === 1 && (row.outcome === "confirmed" || row.outcome === "duplicate")) rememberConfirmed(values);
    return toResult(row);
  } catch (error) {
    if (isStockCheckFailure(error)) return recordInsufficientStock(d1, values);
    // Any other rule a row breaks (a trigger, UNIQUE invoices.order_id for an order put
    // back to AWAITING_PAYMENT, an overflow): no retry can fix it, so it is recorded for a
    // human and answered 422 instead of looping as an unrecorded 500.
    if (isDataError(error)) return recordDataError(d1, values, errorMessage(error));
    throw error;
  }
}

function toResult(row: DecisionRow | undefined): PaymentResult {
  if (!row) throw new Error("payment decision row missing after batch");
  if (row.outcome === "not_found") return { outcome: "not_found" };
  const orderNumber = row.order_number ?? 0;
  const orderStatus = row.order_status as OrderStatus;
  switch (row.outcome) {
    case "confirmed":
      if (row.invoice_id === null || row.invoice_number === null) throw new Error("confirmed order has no invoice row");
      return { outcome: "confirmed", orderNumber, invoice: { id: row.invoice_id, number: row.invoice_number } };
    case "amount_mismatch":
      return { outcome: "amount_mismatch", orderNumber, orderStatus, detail: JSON.parse(row.detail ?? "{}") as AmountMismatch };
    case "data_error":
      return { outcome: "data_error", orderNumber, reason: row.detail ?? "invalid order data" };
    case "duplicate":
    case "ignored_state":
    case "payment_failed":
    case "refund_required":
    case "not_ready":
    case "paid_twice":
      return { outcome: row.outcome, orderNumber, orderStatus };
    default:
      throw new Error(`unexpected outcome in decision row: ${row.outcome}`);
  }
}

function isStockCheckFailure(error: unknown): boolean {
  return /CHECK constraint failed: products_stock/.test(describeError(error));
}

/** The event of a delivery whose confirming batch rolled back, with its attention item. */
const recordProblemBatch = compileBatch<keyof typeof p | "outcome" | "httpStatus" | "detail">([
  adoptCheckoutSession(p.provider, p.providerRef, p.sessionRef, p.now),
  sql`
    INSERT INTO webhook_events
      (received_at, request_id, delivery_id, order_id, payment_status, order_status, outcome, http_status, detail,
       provider, provider_ref)
    SELECT ${p.now}, ${p.requestId}, ${p.deliveryId}, COALESCE(o.id, ${p.orderId}), ${p.status}, o.status,
      ${sql.placeholder("outcome")}, ${sql.placeholder("httpStatus")},
      CASE WHEN ${sql.placeholder("outcome")} = 'insufficient_stock' THEN
        (SELECT json_group_array(json_object(
            'product_id', pr.id, 'product_name', pr.name, 'requested', line.qty,
            'stock', pr.stock, 'stock_reserved', pr.stock_reserved,
            -- 'reservation': the goods may be there but the reserved count is short (data drift).
            'short_of', CASE WHEN pr.stock < line.qty THEN 'stock' ELSE 'reservation' END))
         FROM (${linesByProduct(storedOrder)}) AS line JOIN products pr ON pr.id = line.product_id
         WHERE pr.stock < line.qty OR pr.stock_reserved < line.qty)
      ELSE ${sql.placeholder("detail")} END,
      ${p.provider}, ${p.providerRef}
    FROM (SELECT 1) LEFT JOIN orders o ON o.id IN (${p.orderId}, ${p.orderIdUpper})`,
  ledgerRow(p.requestId, p.now, p.amountCents, p.currency),
  raiseForEvent(p.requestId),
  sql`
    SELECT e.detail, o.order_number FROM webhook_events e LEFT JOIN orders o ON o.id = e.order_id
    WHERE e.request_id = ${p.requestId}`,
]);

/**
 * The confirming batch rolled back because a product would go below zero. The payment was
 * taken, so the event is recorded for a human, with what was short. Nothing else changes.
 */
async function recordInsufficientStock(d1: D1Database, values: Values): Promise<PaymentResult> {
  const results = await recordProblemBatch(d1, { ...values, outcome: "insufficient_stock", httpStatus: 400, detail: null });
  const row = rowsOf<{ detail: string | null; order_number: number }>(results[4])[0];
  if (!row) throw new Error("insufficient-stock event missing after batch");
  return {
    outcome: "insufficient_stock",
    orderNumber: row.order_number,
    shortages: JSON.parse(row.detail ?? "[]") as StockShortage[],
  };
}

async function recordDataError(d1: D1Database, values: Values, message: string): Promise<PaymentResult> {
  // D1 prefixes "D1_ERROR: " and suffixes the SQLite code; the middle says what broke.
  const reason = message.replace(/^D1_ERROR:\s*/, "").replace(/: SQLITE_\w+.*$/, "").slice(0, 500);
  const results = await recordProblemBatch(d1, { ...values, outcome: "data_error", httpStatus: 422, detail: reason });
  const row = rowsOf<{ detail: string | null; order_number: number | null }>(results[4])[0];
  return { outcome: "data_error", orderNumber: row?.order_number ?? null, reason };
}
