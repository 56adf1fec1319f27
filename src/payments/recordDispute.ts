// Transition "record a dispute": a provider's dispute (Stripe's charge.dispute.*) becomes the
// payment's dispute state in the ledger, and the operator's item, in ONE batch. A dispute
// changes no order and no stock: what to do (answer it, hold the shipment) is a human's call.
//
// Invariants kept here:
// - one row per dispute (UNIQUE provider + dispute_ref); events repeat and arrive out of
//   order, so a final status (won, lost, warning_closed, prevented) never goes back to an open
//   one, and what a later event leaves out never erases what an earlier one said.
// - one `dispute` item per dispute, ever: raised by the first event that finds it open (or
//   lost), kept up to date while open, settled by a win. A lost dispute stays on the list,
//   saying the money is gone; an item the operator resolved is not raised again.
import { sql } from "drizzle-orm";
import { compileBatch, rowsOf } from "../db/client";

export interface DisputeDelivery {
  requestId: string;
  deliveryId: string;
  receivedAt: number;
  provider: "stripe";
  eventType: string;
  paymentRef: string;
  disputeRef: string;
  chargeRef: string | null;
  status: string;
  reason: string | null;
  amount: { cents: number; currency: string } | null;
  evidenceDueBy: number | null;
  funds: "withdrawn" | "reinstated" | null;
}

/** Dispute statuses that end it; a dispute in one of them is not reopened by a late event. */
export const FINAL_DISPUTE_STATUSES = ["won", "lost", "warning_closed", "prevented"] as const;
/** Final statuses in the merchant's favour: they settle the item. */
const SETTLING = sql.raw("('won', 'warning_closed', 'prevented')");
const FINAL = sql.raw(`(${FINAL_DISPUTE_STATUSES.map((s) => `'${s}'`).join(", ")})`);

const p = {
  now: sql.placeholder("now"),
  requestId: sql.placeholder("requestId"),
  deliveryId: sql.placeholder("deliveryId"),
  provider: sql.placeholder("provider"),
  eventType: sql.placeholder("eventType"),
  paymentRef: sql.placeholder("paymentRef"),
  disputeRef: sql.placeholder("disputeRef"),
  chargeRef: sql.placeholder("chargeRef"),
  status: sql.placeholder("status"),
  reason: sql.placeholder("reason"),
  amountCents: sql.placeholder("amountCents"),
  currency: sql.placeholder("currency"),
  evidenceDueBy: sql.placeholder("evidenceDueBy"),
  funds: sql.placeholder("funds"),
};

const itemKey = sql`'dispute:' || ${p.provider} || ':' || ${p.disputeRef}`;
/** The dispute as it stands after statement 1, with its payment and order, as the item's detail. */
const disputeDetail = sql`
  SELECT d.id AS dispute_id, json_object('dispute_id', d.dispute_ref, 'status', d.status, 'reason', d.reason,
      'amount_cents', d.amount_cents, 'currency', d.currency, 'evidence_due_by', d.evidence_due_by, 'funds', d.funds,
      'payment_ref', d.payment_ref, 'charge_ref', d.charge_ref, 'payment_known', pay.id IS NOT NULL) AS detail,
    pay.order_id, d.status
  FROM disputes d LEFT JOIN payments pay ON pay.provider = d.provider AND pay.provider_ref = d.payment_ref
  WHERE d.provider = ${p.provider} AND d.dispute_ref = ${p.disputeRef}`;

const disputeBatch = compileBatch<keyof typeof p>([
  // 1. The dispute's state.
  sql`
    INSERT INTO disputes (provider, dispute_ref, payment_ref, charge_ref, status, reason, amount_cents, currency,
      evidence_due_by, funds, created_at, updated_at)
    VALUES (${p.provider}, ${p.disputeRef}, ${p.paymentRef}, ${p.chargeRef}, ${p.status}, ${p.reason}, ${p.amountCents},
      ${p.currency}, ${p.evidenceDueBy}, ${p.funds}, ${p.now}, ${p.now})
    ON CONFLICT (provider, dispute_ref) DO UPDATE SET
      status = CASE WHEN disputes.status IN ${FINAL} AND excluded.status NOT IN ${FINAL} THEN disputes.status ELSE excluded.status END,
      reason = COALESCE(excluded.reason, disputes.reason),
      amount_cents = COALESCE(excluded.amount_cents, disputes.amount_cents),
      currency = COALESCE(excluded.currency, disputes.currency),
      evidence_due_by = COALESCE(excluded.evidence_due_by, disputes.evidence_due_by),
      charge_ref = COALESCE(excluded.charge_ref, disputes.charge_ref),
      funds = COALESCE(excluded.funds, disputes.funds),
      updated_at = excluded.updated_at`,
  // 2. The audit row.
  sql`
    INSERT INTO webhook_events
      (received_at, request_id, delivery_id, order_id, payment_status, order_status, outcome, http_status, detail,
       provider, provider_ref)
    SELECT ${p.now}, ${p.requestId}, ${p.deliveryId}, x.order_id, 'disputed', (SELECT status FROM orders WHERE id = x.order_id),
      'dispute_recorded', 200, json_set(x.detail, '$.event_type', ${p.eventType}), ${p.provider}, ${p.paymentRef}
    FROM (${disputeDetail}) x`,
  // 3. The item, the first time the dispute is seen unsettled.
  sql`
    INSERT INTO attention_items (kind, key, order_id, event_id, detail, created_at)
    SELECT 'dispute', ${itemKey}, x.order_id, (SELECT id FROM webhook_events WHERE request_id = ${p.requestId}), x.detail, ${p.now}
    FROM (${disputeDetail}) x
    WHERE x.status NOT IN ${SETTLING}
      AND NOT EXISTS (SELECT 1 FROM attention_items WHERE key = ${itemKey})
    ON CONFLICT (key) WHERE resolved_at IS NULL DO NOTHING`,
  // 4. An open item shows the dispute as it stands now (an update, a loss).
  sql`
    UPDATE attention_items SET detail = (SELECT detail FROM (${disputeDetail})),
      order_id = COALESCE(order_id, (SELECT order_id FROM (${disputeDetail})))
    WHERE key = ${itemKey} AND resolved_at IS NULL`,
  // 5. A win settles it.
  sql`
    UPDATE attention_items
    SET resolved_at = ${p.now}, resolved_by = 'system',
        resolution_note = 'settled: dispute ' || ${p.disputeRef} || ' closed as ' || d.status
    FROM (SELECT status FROM disputes WHERE provider = ${p.provider} AND dispute_ref = ${p.disputeRef}) d
    WHERE attention_items.key = ${itemKey} AND attention_items.resolved_at IS NULL AND d.status IN ${SETTLING}`,
  sql`
    SELECT e.order_id, o.order_number, d.status FROM webhook_events e
    LEFT JOIN orders o ON o.id = e.order_id
    JOIN disputes d ON d.provider = ${p.provider} AND d.dispute_ref = ${p.disputeRef}
    WHERE e.request_id = ${p.requestId}`,
]);

export async function recordDispute(d1: D1Database, dispute: DisputeDelivery) {
  const results = await disputeBatch(d1, {
    now: dispute.receivedAt,
    requestId: dispute.requestId,
    deliveryId: dispute.deliveryId,
    provider: dispute.provider,
    eventType: dispute.eventType,
    paymentRef: dispute.paymentRef,
    disputeRef: dispute.disputeRef,
    chargeRef: dispute.chargeRef,
    status: dispute.status,
    reason: dispute.reason,
    amountCents: dispute.amount?.cents ?? null,
    currency: dispute.amount?.currency ?? null,
    evidenceDueBy: dispute.evidenceDueBy,
    funds: dispute.funds,
  });
  const row = rowsOf<{ order_id: string | null; order_number: number | null; status: string }>(results[5])[0];
  return { orderId: row?.order_id ?? null, orderNumber: row?.order_number ?? null, disputeStatus: row?.status ?? dispute.status };
}
