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
