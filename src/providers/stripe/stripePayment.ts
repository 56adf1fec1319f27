// Translates a verified Stripe event into the one small result the payment core understands
// (the Medusa provider shape: an action plus order id, amount, delivery id). It decides
// nothing about the order: whether "paid" confirms it, or an amount that differs from the
// order's total is refused, is the core's decision, the same for every provider.
//
// No runtime import of `stripe` here: the route can translate without loading the package,
// and the event's shape is read defensively because the api_version of the webhook
// endpoint, not our types, decides what Stripe sends.
import { normaliseUuid } from "../../orders/normaliseUuid";

/** The fields of a Stripe event this adapter reads; a `Stripe.Event` satisfies it. */
export type StripeEventLike = {
  id: string;
  type: string;
  data: { object: object };
  object?: string;
  api_version?: string | null;
  created?: number;
  livemode?: boolean;
};

export type StripeAmount = { cents: number; currency: string };

export type StripePayment =
  | {
      action: "paid" | "failed";
      orderId: string;
      amount: StripeAmount | null;
      deliveryId: string;
      providerRef: string;
      /** The Checkout Session (cs_...) of a checkout.session.* event: finds the row of a session we created. */
      sessionRef: string | null;
      eventType: string;
    }
  // checkout.session.completed with payment_status "unpaid": a delayed method (SEPA Direct
  // Debit, bank transfer, ...) was started; async_payment_succeeded/failed follows later.
  // orderId is always a UUID in practice: without one the event is "unmatched".
  | {
      action: "pending";
      orderId: string;
      deliveryId: string;
      providerRef: string;
      sessionRef: string | null;
      eventType: string;
      amount: StripeAmount | null;
    }
  // A money event we cannot attach to an order: no order id, or one that is not a UUID.
  | {
      action: "unmatched";
      /** What the event says happened: only "paid" is money to place. */
      paymentOutcome: "paid" | "failed" | "pending";
      reason: string;
      rawOrderId: string | null;
      amount: StripeAmount | null;
      deliveryId: string;
      providerRef: string | null;
      eventType: string;
    }
  // A refund of a payment: charge.refunded (the charge's cumulative amount_refunded) or
  // refund.* (one refund by its re_ id). The payment is found by its payment intent.
  | {
      action: "refund";
      deliveryId: string;
      eventType: string;
      paymentRef: string;
      refundRef: string | null;
      refundStatus: RefundStatus;
      /** One refund's amount (refund.*), or the charge's cumulative refunded amount (charge.refunded). */
      amount: StripeAmount;
      cumulative: boolean;
      reason: string | null;
      failureReason: string | null;
    }
  // charge.dispute.*: the dispute's whole state, found by its payment intent.
  | {
      action: "dispute";
      deliveryId: string;
      eventType: string;
      paymentRef: string;
      disputeRef: string;
      chargeRef: string | null;
      status: string;
      reason: string | null;
      amount: StripeAmount | null;
      /** Unix ms. */
      evidenceDueBy: number | null;
      funds: "withdrawn" | "reinstated" | null;
    }
  // payment_intent.canceled, checkout.session.expired: the payment ends without money moving.
  | {
      action: "canceled";
      deliveryId: string;
      eventType: string;
      providerRef: string;
      sessionRef: string | null;
      orderId: string | null;
      amount: StripeAmount | null;
    }
  // Every other event type: answered 2xx so Stripe stops resending, and otherwise left alone.
  | { action: "ignored"; deliveryId: string; eventType: string; providerRef: string | null };

export type RefundStatus = "pending" | "requires_action" | "succeeded" | "failed" | "canceled";
const REFUND_STATUSES: readonly string[] = ["pending", "requires_action", "succeeded", "failed", "canceled"];

type Fields = Readonly<Record<string, unknown>>;
type Outcome = "paid" | "failed" | "pending";

/** Never throws: an unexpected shape becomes "unmatched" or "ignored". */
export function translateStripeEvent(event: StripeEventLike): StripePayment {
  const deliveryId = event.id;
  const eventType = event.type;
  const raw: unknown = event.data?.object;
  const object: Fields = isRecord(raw) ? raw : {};
  const objectId = stringOrNull(object.id);

  switch (eventType) {
    case "checkout.session.completed": {
      const outcome = checkoutCompletedOutcome(object);
      if (!outcome) return { action: "ignored", deliveryId, eventType, providerRef: objectId };
      return fromCheckoutSession(event, object, outcome);
    }
    case "checkout.session.async_payment_succeeded":
      return fromCheckoutSession(event, object, "paid");
    case "checkout.session.async_payment_failed":
      return fromCheckoutSession(event, object, "failed");
    case "payment_intent.succeeded":
      return fromPaymentIntent(event, object, "paid");
    case "payment_intent.payment_failed":
      return fromPaymentIntent(event, object, "failed");
    case "charge.refunded":
      return fromRefundedCharge(event, object) ?? { action: "ignored", deliveryId, eventType, providerRef: objectId };
    case "refund.created":
    case "refund.updated":
    case "refund.failed":
      return fromRefund(event, object) ?? { action: "ignored", deliveryId, eventType, providerRef: objectId };
    case "charge.dispute.created":
    case "charge.dispute.updated":
    case "charge.dispute.closed":
    case "charge.dispute.funds_withdrawn":
    case "charge.dispute.funds_reinstated":
      return fromDispute(event, object) ?? { action: "ignored", deliveryId, eventType, providerRef: objectId };
    case "payment_intent.canceled":
    case "checkout.session.expired":
      return fromCanceled(event, object) ?? { action: "ignored", deliveryId, eventType, providerRef: objectId };
    default:
      return { action: "ignored", deliveryId, eventType, providerRef: objectId };
  }
}

// payment_status "paid": the money is there. "unpaid": a delayed method is under way.
// "no_payment_required" means a session that charges nothing (a 100% discount, a free
// order): we call it paid only when amount_total is exactly 0, so the core can still check
// that the order's total is 0 too. The same status with any other amount (e.g. a setup-
// or subscription-mode session with a trial) is not a payment for an order: ignored.
function checkoutCompletedOutcome(session: Fields): Outcome | null {
  switch (session.payment_status) {
    case "paid":
      return "paid";
    case "unpaid":
      return "pending";
    case "no_payment_required":
      return session.amount_total === 0 ? "paid" : null;
    default:
      return null;
  }
}

function fromCheckoutSession(event: StripeEventLike, session: Fields, outcome: Outcome): StripePayment {
  // The payment intent's id when there is one, so a payment_intent.* event about the same
  // payment carries the same reference; a session without one (nothing to charge, or an
  // API version that leaves it out) is referred to by the session's own id.
  const intent = session.payment_intent;
  const providerRef =
    stringOrNull(intent) ?? (isRecord(intent) ? stringOrNull(intent.id) : null) ?? stringOrNull(session.id);
  const found = orderIdOf(session, ["client_reference_id", "metadata.order_id"]);
  return finish(event, outcome, session, found, amountOf(session.amount_total, session.currency), providerRef, stringOrNull(session.id));
}

function fromPaymentIntent(event: StripeEventLike, intent: Fields, outcome: Outcome): StripePayment {
  // A failed intent has received nothing (amount_received 0): report what was attempted.
  const cents = outcome === "paid" ? intent.amount_received : intent.amount;
  const found = orderIdOf(intent, ["metadata.order_id"]);
  return finish(event, outcome, intent, found, amountOf(cents, intent.currency), stringOrNull(intent.id), null);
}

function finish(
  event: StripeEventLike,
  outcome: Outcome,
  object: Fields,
  found: { raw: string | null; field: string | null; fieldsTried: string },
  amount: StripeAmount | null,
  providerRef: string | null,
  sessionRef: string | null,
): StripePayment {
  const deliveryId = event.id;
  const eventType = event.type;
  // Name the object an operator would search for in the Stripe dashboard (cs_..., pi_...).
  const what = `${eventType} ${stringOrNull(object.id) ?? deliveryId}`;
  const orderId = found.raw === null ? null : normaliseUuid(found.raw);
  if (orderId === null || providerRef === null) {
    const reason =
      found.raw === null
        ? `${what} has no ${found.fieldsTried}: create it with the order's id there`
        : orderId === null
          ? `${what} has ${found.field} ${JSON.stringify(found.raw.slice(0, 100))}, which is not an order id (a UUID)`
          : `${what} has no id to refer to the payment by`;
    // No money has moved for a pending session: no amount to report.
    return { action: "unmatched", paymentOutcome: outcome, reason, rawOrderId: found.raw, amount: outcome === "pending" ? null : amount, deliveryId, providerRef, eventType };
  }
  if (outcome === "pending") return { action: "pending", orderId, deliveryId, providerRef, sessionRef, eventType, amount };
  return { action: outcome, orderId, amount, deliveryId, providerRef, sessionRef, eventType };
}

/** The payment intent an object names (a string, or an expanded object). */
function intentOf(object: Fields): string | null {
  const intent = object.payment_intent;
  return stringOrNull(intent) ?? (isRecord(intent) ? stringOrNull(intent.id) : null);
}

// charge.refunded: amount_refunded is the charge's cumulative total (never one refund's).
function fromRefundedCharge(event: StripeEventLike, charge: Fields): StripePayment | null {
  const paymentRef = intentOf(charge);
  const amount = amountOf(charge.amount_refunded, charge.currency);
  if (paymentRef === null || amount === null) return null;
  return {
    action: "refund", deliveryId: event.id, eventType: event.type, paymentRef, refundRef: null, refundStatus: "succeeded",
    amount, cumulative: true, reason: null, failureReason: null,
  };
}

function fromRefund(event: StripeEventLike, refund: Fields): StripePayment | null {
  const paymentRef = intentOf(refund);
  const refundRef = stringOrNull(refund.id);
  const amount = amountOf(refund.amount, refund.currency);
  const status = typeof refund.status === "string" && REFUND_STATUSES.includes(refund.status) ? (refund.status as RefundStatus) : null;
  if (paymentRef === null || refundRef === null || amount === null || status === null) return null;
  return {
    action: "refund", deliveryId: event.id, eventType: event.type, paymentRef, refundRef,
    // refund.failed says so whatever status the snapshot carries.
    refundStatus: event.type === "refund.failed" ? "failed" : status,
    amount, cumulative: false, reason: stringOrNull(refund.reason), failureReason: stringOrNull(refund.failure_reason),
  };
}

function fromDispute(event: StripeEventLike, dispute: Fields): StripePayment | null {
  const charge = dispute.charge;
  const chargeRef = stringOrNull(charge) ?? (isRecord(charge) ? stringOrNull(charge.id) : null);
  // A charge made without a payment intent (the Charges API, older integrations) is disputed
  // too: it is recorded under its ch_ id, which no ledger payment has, so it raises its item
  // like any dispute of a payment we never saw. Dropping it would let the deadline pass.
  const paymentRef = intentOf(dispute) ?? chargeRef;
  const disputeRef = stringOrNull(dispute.id);
  // Stripe adds statuses over time (appeal_*): any status word is recorded; the final ones are known.
  const status = typeof dispute.status === "string" && /^[a-z_]{1,40}$/.test(dispute.status) ? dispute.status : null;
  if (paymentRef === null || disputeRef === null || status === null) return null;
  const evidence = isRecord(dispute.evidence_details) ? dispute.evidence_details : {};
  const dueBy = typeof evidence.due_by === "number" && Number.isSafeInteger(evidence.due_by) ? evidence.due_by * 1000 : null;
  return {
    action: "dispute", deliveryId: event.id, eventType: event.type, paymentRef, disputeRef,
    chargeRef,
    status, reason: stringOrNull(dispute.reason), amount: amountOf(dispute.amount, dispute.currency), evidenceDueBy: dueBy,
    funds: event.type.endsWith("funds_withdrawn") ? "withdrawn" : event.type.endsWith("funds_reinstated") ? "reinstated" : null,
  };
}

function fromCanceled(event: StripeEventLike, object: Fields): StripePayment | null {
  const isSession = event.type.startsWith("checkout.session");
  const providerRef = intentOf(object) ?? (isSession ? stringOrNull(object.id) : stringOrNull(object.id));
  if (providerRef === null) return null;
  const found = orderIdOf(object, isSession ? ["client_reference_id", "metadata.order_id"] : ["metadata.order_id"]);
  const orderId = found.raw === null ? null : normaliseUuid(found.raw);
  const amount = amountOf(isSession ? object.amount_total : object.amount, object.currency);
  return { action: "canceled", deliveryId: event.id, eventType: event.type, providerRef, sessionRef: isSession ? stringOrNull(object.id) : null, orderId, amount };
}

/** The first non-empty string among `paths` ("metadata.order_id" reads one level down). */
function orderIdOf(object: Fields, paths: readonly string[]) {
  for (const path of paths) {
    const [head, key] = path.split(".") as [string, string | undefined];
    const container = key === undefined ? object : object[head];
    const value = isRecord(container) ? container[key ?? head] : undefined;
    if (typeof value === "string" && value.trim() !== "") return { raw: value, field: path, fieldsTried: paths.join(" or ") };
  }
  return { raw: null, field: null, fieldsTried: paths.join(" or ") };
}

/** Stripe amounts are integers in the currency's minor unit; anything else is not trusted. */
function amountOf(cents: unknown, currency: unknown): StripeAmount | null {
  if (typeof cents !== "number" || !Number.isSafeInteger(cents) || cents < 0) return null;
  if (typeof currency !== "string" || !/^[a-z]{3}$/i.test(currency)) return null;
  // Stripe writes ISO 4217 codes in lower case ("eur"); the orders table stores "EUR".
  return { cents, currency: currency.toUpperCase() };
}

function isRecord(value: unknown): value is Fields {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringOrNull(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}
