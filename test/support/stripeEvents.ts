// Stripe events built the way Stripe sends them (a snapshot `event` wrapping the full
// checkout.session or payment_intent object), and a signer that is Stripe's own
// (`Stripe.webhooks.generateTestHeaderStringAsync`), so the verifier is checked against the
// code Stripe signs with rather than against our idea of it. Shared by the adapter's tests
// and the Stripe route's tests.
import Stripe from "stripe";

export const STRIPE_WEBHOOK_URL = "https://shop.test/api/webhooks/stripe";
// Obviously fake endpoint secrets, long enough to pass parseStripeSecrets.
export const STRIPE_SECRET = "whsec_test_FAKE_current_0000000000000000";
export const STRIPE_NEXT_SECRET = "whsec_test_FAKE_next_000000000000000000000";
// The API version of the installed package ("2026-10-28.endive" for stripe 23.1.0): the
// shape our builders imitate.
export const STRIPE_API_VERSION: string = Stripe.API_VERSION;

type Json = Record<string, unknown>;
let counter = 0;
/** Stripe-looking ids ("evt_test_...", "cs_test_...", "pi_test_..."), unique per call. */
export function stripeId(prefix: string) {
  counter += 1;
  return `${prefix}_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}${counter}`;
}

/** A snapshot event around `object`, as delivered to a webhook endpoint. */
export function stripeEvent(type: string, object: Json, overrides: Json = {}) {
  return {
    id: stripeId("evt"),
    object: "event",
    api_version: STRIPE_API_VERSION,
    created: Math.floor(Date.now() / 1000),
    data: { object },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    ...overrides,
  };
}

export type CheckoutSessionFields = {
  clientReferenceId?: string | null;
  metadata?: Record<string, string>;
  amountTotal?: number | null;
  currency?: string | null;
  paymentStatus?: "paid" | "unpaid" | "no_payment_required";
  /** A pi_ id, or null for a session that created no payment intent. */
  paymentIntent?: string | null;
  id?: string;
};

/** A checkout.session in payment mode (most fields as Stripe renders them). */
export function checkoutSession(fields: CheckoutSessionFields = {}) {
  const paymentStatus = fields.paymentStatus ?? "paid";
  const amountTotal = fields.amountTotal === undefined ? 4998 : fields.amountTotal;
  return {
    id: fields.id ?? stripeId("cs"),
    object: "checkout.session",
    amount_subtotal: amountTotal,
    amount_total: amountTotal,
    cancel_url: "https://shop.example/cart",
    client_reference_id: fields.clientReferenceId === undefined ? null : fields.clientReferenceId,
    created: Math.floor(Date.now() / 1000) - 60,
    currency: fields.currency === undefined ? "eur" : fields.currency,
    customer: null,
    customer_details: { email: "customer@example.test", name: "Test Customer" },
    expires_at: Math.floor(Date.now() / 1000) + 23 * 3600,
    livemode: false,
    metadata: fields.metadata ?? {},
    mode: "payment",
    payment_intent: fields.paymentIntent === undefined ? stripeId("pi") : fields.paymentIntent,
    payment_method_types: ["card", "sepa_debit"],
    payment_status: paymentStatus,
    status: "complete",
    success_url: "https://shop.example/thanks",
    url: null,
  };
}

export type PaymentIntentFields = {
  metadata?: Record<string, string>;
  amount?: number;
  amountReceived?: number;
  currency?: string;
  status?: "succeeded" | "requires_payment_method" | "processing";
  id?: string;
};

/** A payment_intent; amount_received follows the status unless given. */
export function paymentIntent(fields: PaymentIntentFields = {}) {
  const amount = fields.amount ?? 4998;
  const status = fields.status ?? "succeeded";
  return {
    id: fields.id ?? stripeId("pi"),
    object: "payment_intent",
    amount,
    amount_capturable: 0,
    amount_received: fields.amountReceived ?? (status === "succeeded" ? amount : 0),
    capture_method: "automatic_async",
    created: Math.floor(Date.now() / 1000) - 30,
    currency: fields.currency ?? "eur",
    customer: null,
    last_payment_error:
      status === "requires_payment_method"
        ? { code: "card_declined", decline_code: "generic_decline", message: "Your card was declined.", type: "card_error" }
        : null,
    latest_charge: status === "succeeded" ? stripeId("ch") : null,
    livemode: false,
    metadata: fields.metadata ?? {},
    payment_method: stripeId("pm"),
    payment_method_types: ["card"],
    status,
  };
}

export const checkoutSessionCompleted = (fields: CheckoutSessionFields = {}) =>
  stripeEvent("checkout.session.completed", checkoutSession(fields));
export const checkoutSessionAsyncPaymentSucceeded = (fields: CheckoutSessionFields = {}) =>
  stripeEvent("checkout.session.async_payment_succeeded", checkoutSession({ paymentStatus: "paid", ...fields }));
export const checkoutSessionAsyncPaymentFailed = (fields: CheckoutSessionFields = {}) =>
  stripeEvent("checkout.session.async_payment_failed", checkoutSession({ paymentStatus: "unpaid", ...fields }));
export const paymentIntentSucceeded = (fields: PaymentIntentFields = {}) =>
  stripeEvent("payment_intent.succeeded", paymentIntent({ status: "succeeded", ...fields }));
export const paymentIntentPaymentFailed = (fields: PaymentIntentFields = {}) =>
  stripeEvent("payment_intent.payment_failed", paymentIntent({ status: "requires_payment_method", ...fields }));

/** The Stripe-Signature header for `payload`, computed by Stripe's own test signer. */
export function signStripePayload(payload: string, opts: { secret?: string; timestamp?: number } = {}): Promise<string> {
  return Stripe.webhooks.generateTestHeaderStringAsync({
    payload,
    secret: opts.secret ?? STRIPE_SECRET,
    timestamp: opts.timestamp,
    cryptoProvider: Stripe.createSubtleCryptoProvider(),
  });
}

/** The raw body and header of a signed delivery of `event` (pretty-printed, as Stripe sends it). */
export async function signedStripeDelivery(event: object, opts: { secret?: string; timestamp?: number } = {}) {
  const body = JSON.stringify(event, null, 2);
  return { body, signature: await signStripePayload(body, opts) };
}

/** A POST to the Stripe route, signed like Stripe does it. */
export async function signedStripeRequest(
  event: object,
  opts: { secret?: string; timestamp?: number; url?: string; tamper?: (body: string) => string } = {},
) {
  const { body, signature } = await signedStripeDelivery(event, opts);
  return new Request(opts.url ?? STRIPE_WEBHOOK_URL, {
    method: "POST",
    headers: { "Content-Type": "application/json; charset=utf-8", "Stripe-Signature": signature },
    body: opts.tamper ? opts.tamper(body) : body,
  });
}

// ---- Refunds and disputes -------------------------------------------------------------
// Each builder returns a Pick of the stripe package's own type: a field we invented, or one
// with the wrong type, does not compile.

export type ChargeFields = {
  id?: string;
  paymentIntent?: string | null;
  amount?: number;
  amountRefunded?: number;
  currency?: string;
  metadata?: Record<string, string>;
};

/** A charge (what charge.refunded carries): amount_refunded is the cumulative total. */
export function charge(fields: ChargeFields = {}) {
  const amount = fields.amount ?? 4998;
  const amountRefunded = fields.amountRefunded ?? amount;
  const built: Pick<
    Stripe.Charge,
    | "id" | "object" | "amount" | "amount_captured" | "amount_refunded" | "captured" | "created" | "currency" | "livemode"
    | "metadata" | "paid" | "payment_intent" | "refunded" | "status" | "disputed"
  > = {
    id: fields.id ?? stripeId("ch"),
    object: "charge",
    amount,
    amount_captured: amount,
    amount_refunded: amountRefunded,
    captured: true,
    created: Math.floor(Date.now() / 1000) - 120,
    currency: fields.currency ?? "eur",
    livemode: false,
    metadata: fields.metadata ?? {},
    paid: true,
    payment_intent: fields.paymentIntent === undefined ? stripeId("pi") : fields.paymentIntent,
    refunded: amountRefunded >= amount,
    status: "succeeded",
    disputed: false,
  };
  return built;
}

export type RefundFields = {
  id?: string;
  paymentIntent?: string | null;
  charge?: string;
  amount?: number;
  currency?: string;
  status?: "pending" | "requires_action" | "succeeded" | "failed" | "canceled";
  failureReason?: string;
};

/** One refund, by its re_ id. */
export function refund(fields: RefundFields = {}) {
  const built: Pick<
    Stripe.Refund,
    | "id" | "object" | "amount" | "balance_transaction" | "charge" | "created" | "currency" | "metadata"
    | "payment_intent" | "reason" | "receipt_number" | "status" | "failure_reason"
  > = {
    id: fields.id ?? stripeId("re"),
    object: "refund",
    amount: fields.amount ?? 4998,
    balance_transaction: stripeId("txn"),
    charge: fields.charge ?? stripeId("ch"),
    created: Math.floor(Date.now() / 1000) - 5,
    currency: fields.currency ?? "eur",
    metadata: {},
    payment_intent: fields.paymentIntent === undefined ? stripeId("pi") : fields.paymentIntent,
    reason: "requested_by_customer",
    receipt_number: null,
    status: fields.status ?? "succeeded",
    ...(fields.failureReason ? { failure_reason: fields.failureReason } : {}),
  };
  return built;
}

export type DisputeFields = {
  id?: string;
  paymentIntent?: string | null;
  charge?: string;
  amount?: number;
  currency?: string;
  reason?: string;
  status?: Stripe.Dispute.Status;
  /** Unix seconds. */
  dueBy?: number | null;
};

/** A dispute (chargeback); evidence_details.due_by is the evidence deadline in unix seconds. */
export function dispute(fields: DisputeFields = {}) {
  const built: Pick<
    Stripe.Dispute,
    "id" | "object" | "amount" | "charge" | "created" | "currency" | "is_charge_refundable" | "livemode" | "metadata" | "payment_intent" | "reason" | "status"
  > & { evidence_details: Pick<Stripe.Dispute.EvidenceDetails, "due_by" | "has_evidence" | "past_due" | "submission_count"> } = {
    id: fields.id ?? stripeId("du"),
    object: "dispute",
    amount: fields.amount ?? 4998,
    charge: fields.charge ?? stripeId("ch"),
    created: Math.floor(Date.now() / 1000) - 5,
    currency: fields.currency ?? "eur",
    evidence_details: {
      due_by: fields.dueBy === undefined ? Math.floor(Date.now() / 1000) + 7 * 86400 : fields.dueBy,
      has_evidence: false,
      past_due: false,
      submission_count: 0,
    },
    is_charge_refundable: false,
    livemode: false,
    metadata: {},
    payment_intent: fields.paymentIntent === undefined ? stripeId("pi") : fields.paymentIntent,
    reason: fields.reason ?? "fraudulent",
    status: fields.status ?? "needs_response",
  };
  return built;
}

export const chargeRefunded = (fields: ChargeFields = {}) => stripeEvent("charge.refunded", charge(fields));
export const refundEvent = (type: "refund.created" | "refund.updated" | "refund.failed", fields: RefundFields = {}) =>
  stripeEvent(type, refund(fields));
export const disputeEvent = (
  type: "created" | "updated" | "closed" | "funds_withdrawn" | "funds_reinstated",
  fields: DisputeFields = {},
) => stripeEvent(`charge.dispute.${type}`, dispute(fields));
