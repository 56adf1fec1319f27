// The payments ledger's one write rule, shared by every transition that records a payment
// (applyPayment, recordProviderEvent): a row per (provider, provider_ref), upserted in the
// batch of the decision it belongs to.
//
// Invariants kept here:
// - a payment's status only moves forward: pending < failed = canceled < succeeded. Events
//   arrive out of order (Stripe's checkout.session.completed "unpaid" may come after
//   async_payment_failed), and a payment that succeeded never becomes anything else.
// - what a later event does not say (an amount, the order) never erases what an earlier one did.
// - confirmed_order only goes from 0 to 1 (and a partial UNIQUE index allows one per order).
// - one row per Checkout Session we created: its row is keyed by the session (cs_...) until
//   Stripe names the payment intent, then re-keyed to it (adoptCheckoutSession) in the batch
//   that records the event, before the upsert, so the event advances that row and never adds a
//   second one for the same money (which would read as paid_twice).
import { sql, type SQL } from "drizzle-orm";

/** The order of a payment's statuses; a status only replaces one of the same or a lower rank. */
export const paymentStatusRank = (status: SQL) =>
  sql`(CASE ${status} WHEN 'succeeded' THEN 3 WHEN 'failed' THEN 2 WHEN 'canceled' THEN 2 ELSE 1 END)`;

/** Appended to `INSERT INTO payments (...) SELECT ... WHERE ...`. */
export const upsertPayment = sql`
  ON CONFLICT (provider, provider_ref) DO UPDATE SET
    status = CASE WHEN ${paymentStatusRank(sql`excluded.status`)} >= ${paymentStatusRank(sql`payments.status`)}
      THEN excluded.status ELSE payments.status END,
    amount_cents = COALESCE(excluded.amount_cents, payments.amount_cents),
    currency = COALESCE(excluded.currency, payments.currency),
    order_id = COALESCE(payments.order_id, excluded.order_id),
    confirmed_order = MAX(payments.confirmed_order, excluded.confirmed_order),
    updated_at = excluded.updated_at`;

/** The ledger's reference of a generic payment that names none: one anonymous payment per order. */
export const anonymousRef = (orderId: SQL) => sql`('order:' || ${orderId})`;

/**
 * The row of a Checkout Session we created becomes the row of its payment intent, once an event
 * (or reconciliation) names both: provider_ref is "the payment intent, else the session". The
 * session is over as an open page (checkout_expires_at NULL): a delayed payment under way now
 * holds the order like any other. Nothing happens for an event about no session of ours, or when
 * the intent already has a row of its own (a payment_intent.* event came first): the session's
 * row then stays as it is and reconciliation retires it.
 */
export const adoptCheckoutSession = (provider: unknown, providerRef: unknown, sessionRef: unknown, now: unknown) => sql`
  UPDATE payments SET provider_ref = ${providerRef}, checkout_expires_at = NULL, updated_at = ${now}
  WHERE checkout_session_ref = ${sessionRef} AND provider = ${provider} AND provider_ref = ${sessionRef}
    AND ${providerRef} IS NOT NULL AND ${providerRef} != ${sessionRef}
    AND NOT EXISTS (SELECT 1 FROM payments WHERE provider = ${provider} AND provider_ref = ${providerRef})`;
