// "Needs attention", defined once: what makes an item, how it is keyed, and what settles it
// on its own. Every item is raised by SQL inside the same batch that records its cause, so
// there is no cause without its item and no item without its cause; the operator resolves
// the rest with `npm run ops -- resolve` (scripts/ops.mjs). Items are never deleted.
//
// One open item per key (a partial UNIQUE index on `key WHERE resolved_at IS NULL`): a
// provider that retries the same payment twenty times raises one item, and two concurrent
// deliveries racing to raise it raise one (D1 runs one writer at a time; the second insert
// hits the index and does nothing).
import { sql } from "drizzle-orm";

export const ATTENTION_KINDS = {
  /** Money taken, goods not there: the confirming batch would take stock below zero. */
  insufficient_stock: { source: "event", key: "order", settledByConfirmation: true },
  /** Money arrived for a CANCELLED order (the reservation expired first). */
  refund_required: { source: "event", key: "delivery", settledByConfirmation: false },
  /** A second, different payment of an order already paid (e.g. two Checkout Sessions). */
  paid_twice: { source: "event", key: "delivery", settledByConfirmation: false },
  /**
   * `paid` for an order id we do not have (answered 404, so the provider retries): the shop
   * may write the order late, or the money is for something else. Settled if a retry confirms.
   */
  not_found: { source: "event", key: "order", settledByConfirmation: true },
  /** `paid` for a PENDING order; the provider retries (409) until the shop moves it on. */
  not_ready: { source: "event", key: "order", settledByConfirmation: true },
  /** A row written by another tool breaks a rule (issue "Hardening"): fix the data. */
  data_error: { source: "event", key: "order", settledByConfirmation: true },
  /** The amount or currency paid is not the order's total (issue "Stripe"). */
  amount_mismatch: { source: "event", key: "delivery", settledByConfirmation: false },
  /** A provider's payment event that names no order we can find. */
  unmatched_payment: { source: "event", key: "delivery", settledByConfirmation: false },
  /**
   * A refund the provider reports failed (refund.failed): the customer was told money is
   * coming. Raised by the refund transition (src/orders/refundPayment.ts), once per refund.
   */
  refund_failed: { source: "ledger", key: "refund", settledByConfirmation: false },
  /**
   * A customer disputed a payment (charge.dispute.created): answer it before the evidence
   * deadline. Raised and kept current by src/payments/recordDispute.ts; a win settles it, a
   * loss stays saying the money is gone.
   */
  dispute: { source: "ledger", key: "dispute", settledByConfirmation: false },
  /**
   * The reconciliation job (src/payments/reconcileCheckoutSessions.ts) could not reach Stripe, or
   * Stripe refused our key: one item for the outage, however many sessions wait. Settled when
   * Stripe answers the job again.
   */
  stripe_unreachable: { source: "reconciliation", key: "stripe", settledByConfirmation: false },
  /** The invoice email ended FAILED. Settled when a resend reaches SENT. */
  invoice_failed: { source: "invoice", key: "invoice", settledByConfirmation: false },
  /** The invoice email is still PENDING an hour after it went into the outbox. Settled by SENT or FAILED. */
  invoice_stuck: { source: "invoice", key: "invoice", settledByConfirmation: false },
  /** The credit note email ended FAILED. Settled when a resend reaches SENT. */
  credit_note_failed: { source: "credit_note", key: "credit_note", settledByConfirmation: false },
  /** The credit note email is still PENDING an hour after the refund. Settled by SENT or FAILED. */
  credit_note_stuck: { source: "credit_note", key: "credit_note", settledByConfirmation: false },
} as const;

export type AttentionKind = keyof typeof ATTENTION_KINDS;

/** After this long in the outbox an invoice is a human's problem (and raises invoice_stuck). */
export const INVOICE_STUCK_AFTER_MS = 60 * 60_000;

const eventKinds = Object.entries(ATTENTION_KINDS).filter(([, k]) => k.source === "event").map(([name]) => name);
const byOrder = Object.entries(ATTENTION_KINDS).filter(([, k]) => k.key === "order").map(([name]) => name);
const settledByConfirmation = Object.entries(ATTENTION_KINDS).filter(([, k]) => k.settledByConfirmation).map(([name]) => name);
const list = (names: string[]) => sql.raw(names.map((n) => `'${n}'`).join(", "));

/**
 * Raises the item of the webhook event `requestId` when its outcome needs a human. Keyed by
 * order for causes that a later delivery repeats (not_ready, insufficient_stock, data_error)
 * and by delivery for causes that are one payment each (a refund, a mismatch).
 */
export const raiseForEvent = (requestId: unknown) => sql`
  INSERT INTO attention_items (kind, key, order_id, event_id, detail, created_at)
  SELECT e.outcome,
    e.outcome || ':' || COALESCE(e.order_id, '-') ||
      CASE WHEN e.outcome IN (${list(byOrder)}) THEN '' ELSE ':' || COALESCE(e.delivery_id, e.request_id) END,
    e.order_id, e.id, e.detail, e.received_at
  FROM webhook_events e
  WHERE e.request_id = ${requestId} AND e.outcome IN (${list(eventKinds)})
    -- An unknown order is money only when it was paid; a failed payment for it is nothing.
    AND (e.outcome != 'not_found' OR e.payment_status = 'paid')
    -- A cause that a confirmation settles is no cause once the order is confirmed (a
    -- concurrent retry may confirm it between a rolled-back batch and the one recording it).
    AND NOT (e.outcome IN (${list(settledByConfirmation)}) AND COALESCE(e.order_status, '') IN ('CONFIRMED', 'SHIPPED', 'DELIVERED'))
  ON CONFLICT (key) WHERE resolved_at IS NULL DO NOTHING`;

/**
 * A confirmation settles the items that were only waiting for it (the payment went through).
 * The confirming event names the order's id as stored, which another tool may have written
 * upper-case; a not_found item was raised before the order existed, under the id the
 * delivery named, which the webhook normalises to lower case. Both forms are matched.
 */
export const settleOnConfirmation = (requestId: unknown, now: unknown) => sql`
  UPDATE attention_items
  SET resolved_at = ${now}, resolved_by = 'system',
      resolution_note = 'settled: the order was confirmed by delivery ' || ${requestId}
  WHERE resolved_at IS NULL AND kind IN (${list(settledByConfirmation)})
    AND order_id IN (
      (SELECT order_id FROM webhook_events WHERE request_id = ${requestId} AND outcome = 'confirmed'),
      (SELECT lower(order_id) FROM webhook_events WHERE request_id = ${requestId} AND outcome = 'confirmed'))`;

/** Raises invoice_failed for an invoice that is FAILED now, and retires its invoice_stuck. */
export const raiseInvoiceFailed = (invoiceId: number, now: number) => [
  sql`
    INSERT INTO attention_items (kind, key, order_id, invoice_id, detail, created_at)
    SELECT 'invoice_failed', 'invoice_failed:' || id, order_id, id, last_error, ${now}
    FROM invoices WHERE id = ${invoiceId} AND status = 'FAILED'
    ON CONFLICT (key) WHERE resolved_at IS NULL DO NOTHING`,
  settleInvoiceItems(invoiceId, now, ["invoice_stuck"], "superseded: the invoice ended FAILED"),
];

/** Settles the invoice's open items of `kinds` (after SENT: both). */
export const settleInvoiceItems = (invoiceId: number, now: number, kinds: AttentionKind[], note: string) => sql`
  UPDATE attention_items SET resolved_at = ${now}, resolved_by = 'system', resolution_note = ${note}
  WHERE invoice_id = ${invoiceId} AND resolved_at IS NULL AND kind IN (${list(kinds)})`;

/**
 * The cron's check: invoices still PENDING an hour after their email went into the outbox:
 * at confirmation, or at the last `npm run ops -- resend-invoice` (outbox_since), so a
 * resend of an old invoice is not "stuck" the minute after. An invoice that has had an
 * invoice_stuck item since then (open or resolved by a human) does not raise another.
 */
export const raiseStuckInvoices = (now: number) => sql`
  INSERT INTO attention_items (kind, key, order_id, invoice_id, detail, created_at)
  SELECT 'invoice_stuck', 'invoice_stuck:' || i.id, i.order_id, i.id, i.last_error, ${now}
  FROM invoices i
  WHERE i.status = 'PENDING' AND COALESCE(i.outbox_since, i.created_at) <= ${now - INVOICE_STUCK_AFTER_MS}
    AND NOT EXISTS (
      SELECT 1 FROM attention_items a
      WHERE a.invoice_id = i.id AND a.kind = 'invoice_stuck' AND a.created_at >= COALESCE(i.outbox_since, i.created_at))
  LIMIT 100
  ON CONFLICT (key) WHERE resolved_at IS NULL DO NOTHING
  RETURNING id`;

// Credit notes share the invoices' send ledger (src/documents/sendDocument.ts) and so their
// items: the same failed/stuck pair, keyed by the credit note ("credit_note_failed:<id>").
// attention_items has no credit note column: the item points at the invoice the note
// corrects (invoice_id) and its detail names the note, as JSON {credit_note, error}.

/** Raises credit_note_failed for a credit note that is FAILED now, and retires its credit_note_stuck. */
export const raiseCreditNoteFailed = (creditNoteId: number, now: number) => [
  sql`
    INSERT INTO attention_items (kind, key, order_id, invoice_id, detail, created_at)
    SELECT 'credit_note_failed', 'credit_note_failed:' || id, order_id, invoice_id,
      json_object('credit_note', number, 'error', last_error), ${now}
    FROM credit_notes WHERE id = ${creditNoteId} AND status = 'FAILED'
    ON CONFLICT (key) WHERE resolved_at IS NULL DO NOTHING`,
  settleCreditNoteItems(creditNoteId, now, ["credit_note_stuck"], "superseded: the credit note ended FAILED"),
];

/** Settles the credit note's open items of `kinds` (after SENT: both). */
export const settleCreditNoteItems = (creditNoteId: number, now: number, kinds: ("credit_note_failed" | "credit_note_stuck")[], note: string) => sql`
  UPDATE attention_items SET resolved_at = ${now}, resolved_by = 'system', resolution_note = ${note}
  WHERE resolved_at IS NULL AND key IN (${sql.join(kinds.map((kind) => sql`${`${kind}:${creditNoteId}`}`), sql`, `)})`;

/**
 * The cron's check: credit notes still PENDING an hour after the refund, or after the last
 * resend (outbox_since), as for invoices. One that has had a credit_note_stuck item since
 * then (open or resolved by a human) does not raise another.
 */
export const raiseStuckCreditNotes = (now: number) => sql`
  INSERT INTO attention_items (kind, key, order_id, invoice_id, detail, created_at)
  SELECT 'credit_note_stuck', 'credit_note_stuck:' || c.id, c.order_id, c.invoice_id,
    json_object('credit_note', c.number, 'error', c.last_error), ${now}
  FROM credit_notes c
  WHERE c.status = 'PENDING' AND COALESCE(c.outbox_since, c.created_at) <= ${now - INVOICE_STUCK_AFTER_MS}
    -- invoice_id first: the index attention_items_invoice_id_idx finds the few candidates.
    AND NOT EXISTS (
      SELECT 1 FROM attention_items a
      WHERE a.invoice_id = c.invoice_id AND a.key = 'credit_note_stuck:' || c.id
        AND a.created_at >= COALESCE(c.outbox_since, c.created_at))
  LIMIT 100
  ON CONFLICT (key) WHERE resolved_at IS NULL DO NOTHING
  RETURNING id`;
