// The tables of the service. Table and column names in the first three tables are a
// contract: other tools seed and read them. Money is integer cents; every timestamp is
// unix milliseconds. Every column that the contract does not name has a default, so a
// seed that only knows the contract still inserts valid rows.
import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** Unix milliseconds, computed by SQLite so defaults need no round trip. */
const nowMs = sql`(CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))`;

export const ORDER_STATUSES = [
  "PENDING",
  "AWAITING_PAYMENT",
  "CONFIRMED",
  "SHIPPED",
  "DELIVERED",
  "CANCELLED",
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const INVOICE_STATUSES = ["PENDING", "SENT", "FAILED"] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

const inList = (values: readonly string[]) => sql.raw(values.map((v) => `'${v}'`).join(", "));

export const products = sqliteTable(
  "products",
  {
    id: integer("id").primaryKey(),
    name: text("name").notNull(),
    priceCents: integer("price_cents").notNull().default(0),
    // `stock` counts every unit on hand, reserved ones included; `stock_reserved` is the
    // part held for orders awaiting payment. A paid order takes its units out of both.
    stock: integer("stock").notNull(),
    stockReserved: integer("stock_reserved").notNull().default(0),
    /**
     * The product's VAT rate in basis points (1900 is 19 %); NULL: the shop's default
     * (INVOICE_TAX_RATE_PERCENT). Copied onto each order line, so a change never rewrites an issued invoice.
     */
    taxRateBp: integer("tax_rate_bp"),
    createdAt: integer("created_at").notNull().default(nowMs),
    updatedAt: integer("updated_at").notNull().default(nowMs),
  },
  (t) => [
    check("products_price_cents_non_negative", sql`${t.priceCents} >= 0`),
    // These two CHECKs are what makes a confirmation all-or-nothing: a batch that would
    // take any product below zero fails and D1 rolls back every statement in it.
    check("products_stock_non_negative", sql`${t.stock} >= 0`),
    check("products_stock_reserved_non_negative", sql`${t.stockReserved} >= 0`),
  ],
);

export const orders = sqliteTable(
  "orders",
  {
    id: text("id").primaryKey(),
    orderNumber: integer("order_number").notNull(),
    status: text("status", { enum: ORDER_STATUSES }).notNull().default("PENDING"),
    customerEmail: text("customer_email").notNull(),
    customerName: text("customer_name").notNull().default(""),
    currency: text("currency").notNull().default("EUR"),
    /** Unix ms after which an unpaid order may be cancelled; NULL never expires. */
    reservedUntil: integer("reserved_until"),
    confirmedAt: integer("confirmed_at"),
    cancelledAt: integer("cancelled_at"),
    // The customer's billing address, printed on the invoice when present (issue 19). All
    // optional: a consumer's receipt needs none, a business customer's invoice needs it.
    billingName: text("billing_name"),
    billingCompany: text("billing_company"),
    billingLine1: text("billing_line1"),
    billingLine2: text("billing_line2"),
    billingPostalCode: text("billing_postal_code"),
    billingCity: text("billing_city"),
    /** ISO 3166-1 alpha-2, e.g. "DE" */
    billingCountry: text("billing_country"),
    billingVatId: text("billing_vat_id"),
    /** The date of supply (YYYY-MM-DD) when it is not the confirmation date. */
    supplyDate: text("supply_date"),
    createdAt: integer("created_at").notNull().default(nowMs),
    updatedAt: integer("updated_at").notNull().default(nowMs),
  },
  (t) => [
    uniqueIndex("orders_order_number_unique").on(t.orderNumber),
    index("orders_status_reserved_until_idx").on(t.status, t.reservedUntil),
    check("orders_status_valid", sql`${t.status} IN (${inList(ORDER_STATUSES)})`),
    check("orders_currency_iso", sql`length(${t.currency}) = 3`),
  ],
);

export const orderItems = sqliteTable(
  "order_items",
  {
    id: integer("id").primaryKey(),
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id, { onDelete: "cascade" }),
    productId: integer("product_id")
      .notNull()
      .references(() => products.id),
    quantity: integer("quantity").notNull(),
    unitPriceCents: integer("unit_price_cents").notNull(),
    /**
     * The line's VAT rate in basis points, fixed when the line is priced (the order API) or,
     * for a line another tool wrote, at confirmation (the product's rate, by the trigger of
     * migration 0009) and at the invoice's first rendering (the shop's default). Never
     * changed afterwards: the invoice says what was charged.
     */
    taxRateBp: integer("tax_rate_bp"),
  },
  (t) => [
    index("order_items_order_id_idx").on(t.orderId),
    check("order_items_quantity_positive", sql`${t.quantity} > 0`),
    check("order_items_unit_price_non_negative", sql`${t.unitPriceCents} >= 0`),
  ],
);

/**
 * One row per confirmed order, written in the same batch that confirms it: the outbox
 * of the invoice email and its send ledger. `series` + `seq` is the gapless sequential
 * invoice number; `number` is how it is printed (INV-2026-000042).
 */
export const invoices = sqliteTable(
  "invoices",
  {
    id: integer("id").primaryKey(),
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id),
    series: text("series").notNull(),
    seq: integer("seq").notNull(),
    number: text("number").notNull(),
    status: text("status", { enum: INVOICE_STATUSES }).notNull().default("PENDING"),
    /** A consumer holds the send until this time (unix ms); NULL when nobody does. */
    leaseUntil: integer("lease_until"),
    leaseToken: text("lease_token"),
    attempts: integer("attempts").notNull().default(0),
    messageId: text("message_id"),
    sentAt: integer("sent_at"),
    lastError: text("last_error"),
    /** Last time the sweeper re-enqueued this invoice. */
    enqueuedAt: integer("enqueued_at"),
    /**
     * When the email last went into the outbox for a human's reason: NULL means at
     * created_at (the confirmation); `npm run ops -- resend-invoice` sets it. The hour after
     * which invoice_stuck is raised counts from here, not from the invoice's date.
     */
    outboxSince: integer("outbox_since"),
    /**
     * When the next attempt is due (unix ms): set at confirmation, at each claim (past the
     * lease) and at each retryable failure (past its backoff). The sweeper re-enqueues only
     * rows that are overdue, so it never cuts a retry's backoff short. NULL once final.
     */
    nextAttemptAt: integer("next_attempt_at"),
    /**
     * PRICES_INCLUDE_TAX and INVOICE_TAX_NOTE as they were when the invoice was first rendered
     * (NULL before): a later change of the settings never rewrites an issued invoice or its
     * credit notes. 1 = the line prices include tax.
     */
    pricesIncludeTax: integer("prices_include_tax"),
    taxNote: text("tax_note"),
    createdAt: integer("created_at").notNull().default(nowMs),
    updatedAt: integer("updated_at").notNull().default(nowMs),
  },
  (t) => [
    // One invoice per order, however many deliveries of the same payment arrive.
    uniqueIndex("invoices_order_id_unique").on(t.orderId),
    uniqueIndex("invoices_series_seq_unique").on(t.series, t.seq),
    uniqueIndex("invoices_number_unique").on(t.number),
    index("invoices_status_created_at_idx").on(t.status, t.createdAt),
    // The sweeper's query: PENDING rows in due order, no temp sort. (A partial index on
    // next_attempt_at WHERE status = 'PENDING' lost to the (status, created_at) index in
    // SQLite's planner without statistics; the query-plan test checks this one is used.)
    index("invoices_status_next_attempt_idx").on(t.status, t.nextAttemptAt),
    check("invoices_status_valid", sql`${t.status} IN (${inList(INVOICE_STATUSES)})`),
  ],
);

/**
 * A credit note: the document that corrects an issued invoice when money goes back to the
 * customer (issue "Money after the first moment"). One per refund that succeeded, allocated
 * in the batch that records the refund (`refund_key` names that refund, so a repeated or
 * out-of-order refund event can never make a second), numbered in its own gapless series
 * (CN-2026-000001). Like `invoices`, the row is also the outbox and send ledger of its email.
 */
export const creditNotes = sqliteTable(
  "credit_notes",
  {
    id: integer("id").primaryKey(),
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id),
    /** The invoice this note corrects. */
    invoiceId: integer("invoice_id")
      .notNull()
      .references(() => invoices.id),
    /** The refund it documents, as `<provider>:<provider's refund id>` (stripe:re_...). */
    refundKey: text("refund_key").notNull(),
    series: text("series").notNull(),
    seq: integer("seq").notNull(),
    number: text("number").notNull(),
    /** What went back, in the currency's minor unit (positive). */
    amountCents: integer("amount_cents").notNull(),
    currency: text("currency").notNull(),
    reason: text("reason"),
    status: text("status", { enum: INVOICE_STATUSES }).notNull().default("PENDING"),
    leaseUntil: integer("lease_until"),
    leaseToken: text("lease_token"),
    attempts: integer("attempts").notNull().default(0),
    messageId: text("message_id"),
    sentAt: integer("sent_at"),
    lastError: text("last_error"),
    enqueuedAt: integer("enqueued_at"),
    /** As invoices.outbox_since: set by a resend; credit_note_stuck counts its hour from here. */
    outboxSince: integer("outbox_since"),
    nextAttemptAt: integer("next_attempt_at"),
    createdAt: integer("created_at").notNull().default(nowMs),
    updatedAt: integer("updated_at").notNull().default(nowMs),
  },
  (t) => [
    uniqueIndex("credit_notes_refund_key_unique").on(t.refundKey),
    uniqueIndex("credit_notes_series_seq_unique").on(t.series, t.seq),
    uniqueIndex("credit_notes_number_unique").on(t.number),
    index("credit_notes_order_id_idx").on(t.orderId),
    index("credit_notes_status_next_attempt_idx").on(t.status, t.nextAttemptAt),
    check("credit_notes_amount_positive", sql`${t.amountCents} > 0`),
    check("credit_notes_currency_iso", sql`length(${t.currency}) = 3`),
    check("credit_notes_status_valid", sql`${t.status} IN (${inList(INVOICE_STATUSES)})`),
  ],
);

export const WEBHOOK_OUTCOMES = [
  "confirmed",
  "duplicate",
  "ignored_state",
  "payment_failed",
  "insufficient_stock",
  "not_found",
  "refund_required",
  /** `paid` for a PENDING order: answered 409 so the provider retries later. */
  "not_ready",
  /** A row written by another tool breaks a constraint: recorded for a human. */
  "data_error",
  /** The amount or currency paid is not the order's total: not confirmed, for a human. */
  "amount_mismatch",
  /** A second, different payment of an order that is already paid: a refund for a human. */
  "paid_twice",
  /** A provider's payment event names no order we can find the id of: for a human. */
  "unmatched_payment",
  /** A provider event that starts no transition (Stripe's other types, a delayed method not yet paid). */
  "ignored_event",
  "payment_pending",
  /** A refund recorded in the ledger (charge.refunded, refund.*); the order keeps its status. */
  "refund_recorded",
  /** The confirming payment was refunded in full: the CONFIRMED order is cancelled, its goods restocked. */
  "order_refunded",
  /** A refund failed (refund.failed): the customer was promised money back, for a human. */
  "refund_failed",
  /** A dispute's state recorded in the ledger (charge.dispute.*). */
  "dispute_recorded",
  /** A payment's own state recorded in the ledger (payment_intent.canceled, checkout.session.expired). */
  "payment_recorded",
] as const;
export type WebhookOutcome = (typeof WEBHOOK_OUTCOMES)[number];

/** The audit log: one row per authenticated delivery. The key itself is never stored. */
export const webhookEvents = sqliteTable(
  "webhook_events",
  {
    id: integer("id").primaryKey(),
    receivedAt: integer("received_at").notNull().default(nowMs),
    requestId: text("request_id").notNull(),
    /** The provider's own id of the delivery (a header), when it sends one. */
    deliveryId: text("delivery_id"),
    // No foreign key: deliveries for unknown orders are recorded too.
    orderId: text("order_id"),
    paymentStatus: text("payment_status").notNull(),
    /** The order's status when the delivery was decided (NULL for an unknown order). */
    orderStatus: text("order_status"),
    outcome: text("outcome", { enum: WEBHOOK_OUTCOMES }).notNull(),
    httpStatus: integer("http_status").notNull(),
    detail: text("detail"),
    /** Who sent it: "generic" (POST /api/webhooks/payment/) or "stripe". */
    provider: text("provider").notNull().default("generic"),
    /** The provider's own id of the payment (Stripe payment intent or checkout session). */
    providerRef: text("provider_ref"),
  },
  (t) => [
    uniqueIndex("webhook_events_request_id_unique").on(t.requestId),
    index("webhook_events_order_id_idx").on(t.orderId),
    index("webhook_events_delivery_id_idx").on(t.deliveryId),
    // Retention pruning walks the oldest rows first.
    index("webhook_events_received_at_idx").on(t.receivedAt),
    // A full refund settles the items raised by events about that payment.
    index("webhook_events_provider_ref_idx").on(t.providerRef),
  ],
);

/**
 * The operator's work list (src/attention): what needs a human, raised in the same batch
 * that records its cause, resolved with a note, never deleted. `key` names the thing it is
 * about (an order, a delivery, an invoice): one open item per key, however many times the
 * cause is recorded. The alert_* columns are the send ledger of its alert email.
 */
export const attentionItems = sqliteTable(
  "attention_items",
  {
    id: integer("id").primaryKey(),
    kind: text("kind").notNull(),
    key: text("key").notNull(),
    orderId: text("order_id"),
    /** The webhook event that raised it; kept while the item is open (retention skips it). */
    eventId: integer("event_id"),
    invoiceId: integer("invoice_id"),
    /** What happened, as recorded by its cause (JSON or text). */
    detail: text("detail"),
    createdAt: integer("created_at").notNull().default(nowMs),
    resolvedAt: integer("resolved_at"),
    resolvedBy: text("resolved_by"),
    resolutionNote: text("resolution_note"),
    alertEnqueuedAt: integer("alert_enqueued_at"),
    alertLeaseUntil: integer("alert_lease_until"),
    alertLeaseToken: text("alert_lease_token"),
    alertAttempts: integer("alert_attempts").notNull().default(0),
    alertSentAt: integer("alert_sent_at"),
    alertMessageId: text("alert_message_id"),
    alertError: text("alert_error"),
  },
  (t) => [
    uniqueIndex("attention_items_open_key_unique").on(t.key).where(sql`${t.resolvedAt} IS NULL`),
    index("attention_items_open_created_at_idx").on(t.createdAt).where(sql`${t.resolvedAt} IS NULL`),
    index("attention_items_order_id_idx").on(t.orderId),
    index("attention_items_event_id_idx").on(t.eventId),
    index("attention_items_invoice_id_idx").on(t.invoiceId),
    check("attention_items_resolution_noted", sql`${t.resolvedAt} IS NULL OR ${t.resolutionNote} IS NOT NULL`),
  ],
);

export const PAYMENT_STATUSES = ["pending", "succeeded", "failed", "canceled"] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/**
 * The payments ledger (issue "Money after the first moment"): one row per payment a provider
 * tells us about, never pruned, written in the same batch as the decision it belongs to. Every
 * money decision (paid_twice, a full refund, the hold of a delayed payment) reads this table,
 * never the audit log. Contract columns (other tools read them): id, order_id, provider,
 * provider_ref, status, amount_cents, currency, refunded_cents, created_at, updated_at.
 */
export const payments = sqliteTable(
  "payments",
  {
    id: integer("id").primaryKey(),
    /** NULL for a payment that names no order we know (unmatched): its money is still real. */
    orderId: text("order_id"),
    provider: text("provider").notNull(),
    /**
     * The provider's id of the payment (Stripe's payment intent, else the Checkout Session).
     * A generic delivery without `payment_id` is `order:<order id>`: one anonymous payment per
     * order, since nothing tells its retry from a second payment.
     */
    providerRef: text("provider_ref").notNull(),
    /** 0 for the anonymous generic payment above (its provider_ref is ours, not the provider's). */
    refFromProvider: integer("ref_from_provider").notNull().default(1),
    status: text("status", { enum: PAYMENT_STATUSES }).notNull(),
    /** What was paid (or attempted), in the currency's minor unit; NULL when nobody said. */
    amountCents: integer("amount_cents"),
    currency: text("currency"),
    /** Refunded so far; never goes down (the highest total any refund event has shown). */
    refundedCents: integer("refunded_cents").notNull().default(0),
    /** 1 for the payment that confirmed order_id: the one whose full refund cancels the order. */
    confirmedOrder: integer("confirmed_order").notNull().default(0),
    /**
     * The Stripe Checkout Session this service created for the payment (cs_...), kept after
     * provider_ref becomes the session's payment intent (src/orders/checkoutSession.ts): what
     * reconciliation asks Stripe about. NULL for payments we only heard of through a webhook.
     */
    checkoutSessionRef: text("checkout_session_ref"),
    /** The session's payment page, answered again on a replay of the order's creation. */
    checkoutUrl: text("checkout_url"),
    /**
     * Unix ms until which the session can still be paid, while the customer has not finished it.
     * Such a session holds nothing beyond the order's reservation (which lasts at least as long);
     * NULL once the session completed, when a delayed payment under way holds the order as any does.
     */
    checkoutExpiresAt: integer("checkout_expires_at"),
    /** Reconciliation (src/payments/reconcileCheckoutSessions.ts): its next check is due then (unix ms). */
    reconcileAfter: integer("reconcile_after"),
    reconcileAttempts: integer("reconcile_attempts").notNull().default(0),
    createdAt: integer("created_at").notNull().default(nowMs),
    updatedAt: integer("updated_at").notNull().default(nowMs),
  },
  (t) => [
    uniqueIndex("payments_provider_ref_unique").on(t.provider, t.providerRef),
    // One ledger row per session we created (the webhook finds it by the session's id).
    uniqueIndex("payments_checkout_session_unique").on(t.checkoutSessionRef).where(sql`${t.checkoutSessionRef} IS NOT NULL`),
    // Reconciliation's query: undecided sessions in due order.
    index("payments_reconcile_due_idx")
      .on(t.reconcileAfter)
      .where(sql`${t.status} = 'pending' AND ${t.checkoutSessionRef} IS NOT NULL`),
    index("payments_order_id_idx").on(t.orderId),
    // At most one payment confirms an order.
    uniqueIndex("payments_confirming_order_unique").on(t.orderId).where(sql`${t.confirmedOrder} = 1`),
    check("payments_status_valid", sql`${t.status} IN (${inList(PAYMENT_STATUSES)})`),
    check("payments_refunded_non_negative", sql`${t.refundedCents} >= 0`),
  ],
);

export const REFUND_STATUSES = ["pending", "requires_action", "succeeded", "failed", "canceled"] as const;

/** One row per refund, by the provider's own id (Stripe's re_...): a repeat updates, never adds. */
export const refunds = sqliteTable(
  "refunds",
  {
    id: integer("id").primaryKey(),
    provider: text("provider").notNull(),
    refundRef: text("refund_ref").notNull(),
    /** The payment's provider_ref (Stripe's payment intent); the payment may not be in the ledger yet. */
    paymentRef: text("payment_ref").notNull(),
    amountCents: integer("amount_cents").notNull(),
    currency: text("currency"),
    status: text("status", { enum: REFUND_STATUSES }).notNull(),
    failureReason: text("failure_reason"),
    createdAt: integer("created_at").notNull().default(nowMs),
    updatedAt: integer("updated_at").notNull().default(nowMs),
  },
  (t) => [
    uniqueIndex("refunds_provider_ref_unique").on(t.provider, t.refundRef),
    index("refunds_payment_idx").on(t.provider, t.paymentRef),
    check("refunds_status_valid", sql`${t.status} IN (${inList(REFUND_STATUSES)})`),
  ],
);

/** Stripe's dispute statuses; the last four are final and never go back to an open one. */
export const DISPUTE_STATUSES = [
  "warning_needs_response",
  "warning_under_review",
  "needs_response",
  "under_review",
  "warning_closed",
  "won",
  "lost",
  "prevented",
] as const;

/** A payment's disputes (chargebacks), by the provider's own id (Stripe's du_...). */
export const disputes = sqliteTable(
  "disputes",
  {
    id: integer("id").primaryKey(),
    provider: text("provider").notNull(),
    disputeRef: text("dispute_ref").notNull(),
    /** The payment's provider_ref (the dispute's payment intent); the charge id may be unknown to us. */
    paymentRef: text("payment_ref").notNull(),
    chargeRef: text("charge_ref"),
    status: text("status").notNull(),
    reason: text("reason"),
    amountCents: integer("amount_cents"),
    currency: text("currency"),
    /** When evidence is due (unix ms). */
    evidenceDueBy: integer("evidence_due_by"),
    /** "withdrawn" or "reinstated": where the disputed money is. */
    funds: text("funds"),
    createdAt: integer("created_at").notNull().default(nowMs),
    updatedAt: integer("updated_at").notNull().default(nowMs),
  },
  (t) => [
    uniqueIndex("disputes_provider_ref_unique").on(t.provider, t.disputeRef),
    index("disputes_payment_idx").on(t.provider, t.paymentRef),
  ],
);

/**
 * The Idempotency-Key of each order a shop created (POST /api/orders, the binding's
 * createOrder): a retry with the same key answers that order and creates nothing. Written in
 * the batch that creates the order, so a key never exists without its order (a request that
 * failed leaves no key behind and may be retried). `request_hash` is the SHA-256 of the
 * validated request: the same key with a different body is refused, never answered with an
 * order the caller did not ask for. Kept at least 24 hours, then pruned by the cron.
 */
export const orderIdempotencyKeys = sqliteTable(
  "order_idempotency_keys",
  {
    key: text("key").primaryKey(),
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id, { onDelete: "cascade" }),
    requestHash: text("request_hash").notNull(),
    createdAt: integer("created_at").notNull().default(nowMs),
  },
  (t) => [index("order_idempotency_keys_created_at_idx").on(t.createdAt)],
);
