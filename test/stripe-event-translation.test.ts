import { describe, expect, it } from "vitest";
import { translateStripeEvent } from "../src/providers/stripe/stripePayment";
import { normaliseUuid } from "../src/orders/normaliseUuid";
import {
  checkoutSession,
  checkoutSessionAsyncPaymentFailed,
  checkoutSessionAsyncPaymentSucceeded,
  checkoutSessionCompleted,
  paymentIntent,
  paymentIntentPaymentFailed,
  paymentIntentSucceeded,
  stripeEvent,
  chargeRefunded,
  refundEvent,
  disputeEvent,
} from "./support/stripeEvents";

const ORDER = "6f1c1f0e-3b9a-4c1d-9a53-0d5e0f6b8a21";

describe("translating Stripe events", () => {
  it("a paid checkout.session.completed confirms the order in client_reference_id, with the payment intent as reference", () => {
    const event = checkoutSessionCompleted({ clientReferenceId: ORDER, amountTotal: 4998, currency: "eur", paymentIntent: "pi_test_123" });
    expect(translateStripeEvent(event)).toEqual({
      action: "paid",
      orderId: ORDER,
      amount: { cents: 4998, currency: "EUR" },
      deliveryId: event.id,
      providerRef: "pi_test_123",
      sessionRef: event.data.object.id,
      eventType: "checkout.session.completed",
    });
  });

  it("a checkout session without client_reference_id takes the order id from metadata.order_id", () => {
    const event = checkoutSessionCompleted({ metadata: { order_id: ORDER } });
    expect(translateStripeEvent(event)).toMatchObject({ action: "paid", orderId: ORDER });
  });

  it("client_reference_id wins over metadata.order_id when both are set", () => {
    const other = "00000000-0000-4000-8000-000000000002";
    const event = checkoutSessionCompleted({ clientReferenceId: ORDER, metadata: { order_id: other } });
    expect(translateStripeEvent(event)).toMatchObject({ action: "paid", orderId: ORDER });
  });

  it("a checkout session that created no payment intent is referred to by its own id", () => {
    const event = checkoutSessionCompleted({ id: "cs_test_no_intent", clientReferenceId: ORDER, paymentIntent: null });
    expect(translateStripeEvent(event)).toMatchObject({ action: "paid", providerRef: "cs_test_no_intent" });
  });

  it("an unpaid checkout.session.completed (SEPA, bank transfer) is pending, with nothing paid yet", () => {
    const event = checkoutSessionCompleted({ clientReferenceId: ORDER, paymentStatus: "unpaid", paymentIntent: "pi_test_sepa" });
    expect(translateStripeEvent(event)).toEqual({
      action: "pending",
      orderId: ORDER,
      deliveryId: event.id,
      providerRef: "pi_test_sepa",
      sessionRef: event.data.object.id,
      eventType: "checkout.session.completed",
      amount: { cents: 4998, currency: "EUR" },
    });
  });

  it("a free checkout session (no_payment_required, total 0) is paid with an amount of 0", () => {
    const event = checkoutSessionCompleted({ clientReferenceId: ORDER, paymentStatus: "no_payment_required", amountTotal: 0, paymentIntent: null });
    expect(translateStripeEvent(event)).toMatchObject({ action: "paid", orderId: ORDER, amount: { cents: 0, currency: "EUR" } });
  });

  it("no_payment_required with a non-zero total is not a payment for an order and is ignored", () => {
    const event = checkoutSessionCompleted({ clientReferenceId: ORDER, paymentStatus: "no_payment_required", amountTotal: 4998 });
    expect(translateStripeEvent(event)).toMatchObject({ action: "ignored", eventType: "checkout.session.completed" });
  });

  it("checkout.session.async_payment_succeeded is paid", () => {
    const event = checkoutSessionAsyncPaymentSucceeded({ clientReferenceId: ORDER, amountTotal: 1250, currency: "usd", paymentIntent: "pi_test_late" });
    expect(translateStripeEvent(event)).toEqual({
      action: "paid",
      orderId: ORDER,
      amount: { cents: 1250, currency: "USD" },
      deliveryId: event.id,
      providerRef: "pi_test_late",
      sessionRef: event.data.object.id,
      eventType: "checkout.session.async_payment_succeeded",
    });
  });

  it("checkout.session.async_payment_failed is failed, with the session's order id", () => {
    const event = checkoutSessionAsyncPaymentFailed({ metadata: { order_id: ORDER }, paymentIntent: "pi_test_bounced" });
    expect(translateStripeEvent(event)).toMatchObject({
      action: "failed",
      orderId: ORDER,
      deliveryId: event.id,
      providerRef: "pi_test_bounced",
      eventType: "checkout.session.async_payment_failed",
    });
  });

  it("payment_intent.succeeded is paid for the amount received, referred to by the intent's id", () => {
    const event = paymentIntentSucceeded({ id: "pi_test_ok", metadata: { order_id: ORDER }, amount: 5000, amountReceived: 4998, currency: "eur" });
    expect(translateStripeEvent(event)).toEqual({
      action: "paid",
      orderId: ORDER,
      amount: { cents: 4998, currency: "EUR" },
      deliveryId: event.id,
      providerRef: "pi_test_ok",
      sessionRef: null,
      eventType: "payment_intent.succeeded",
    });
  });

  it("payment_intent.payment_failed is failed and reports the amount that was attempted", () => {
    const event = paymentIntentPaymentFailed({ id: "pi_test_declined", metadata: { order_id: ORDER }, amount: 4998 });
    expect(translateStripeEvent(event)).toEqual({
      action: "failed",
      orderId: ORDER,
      amount: { cents: 4998, currency: "EUR" },
      deliveryId: event.id,
      providerRef: "pi_test_declined",
      sessionRef: null,
      eventType: "payment_intent.payment_failed",
    });
  });

  it("a payment intent does not read client_reference_id, which only checkout sessions have", () => {
    const event = stripeEvent("payment_intent.succeeded", { ...paymentIntent(), client_reference_id: ORDER });
    expect(translateStripeEvent(event)).toMatchObject({ action: "unmatched", rawOrderId: null });
  });

  it.each([
    "payment_intent.created",
    "payment_intent.processing",
    "charge.succeeded",
    "charge.refunded",
    "customer.created",
  ])("%s is ignored, whatever it carries", (type) => {
    const event = stripeEvent(type, { ...paymentIntent({ id: "pi_test_other" }), metadata: { order_id: ORDER } });
    expect(translateStripeEvent(event)).toEqual({ action: "ignored", deliveryId: event.id, eventType: type, providerRef: "pi_test_other" });
  });

  it("a checkout session without any order id is unmatched, and the reason names the session and both fields", () => {
    const event = checkoutSessionCompleted({ id: "cs_test_orphan", amountTotal: 4998, paymentIntent: "pi_test_orphan" });
    expect(translateStripeEvent(event)).toEqual({
      action: "unmatched",
      paymentOutcome: "paid",
      reason: expect.stringContaining("checkout.session.completed cs_test_orphan has no client_reference_id or metadata.order_id"),
      rawOrderId: null,
      amount: { cents: 4998, currency: "EUR" },
      deliveryId: event.id,
      providerRef: "pi_test_orphan",
      eventType: "checkout.session.completed",
    });
  });

  it("a payment intent without metadata.order_id is unmatched", () => {
    const event = paymentIntentSucceeded({ id: "pi_test_orphan" });
    expect(translateStripeEvent(event)).toMatchObject({
      action: "unmatched",
      reason: expect.stringContaining("payment_intent.succeeded pi_test_orphan has no metadata.order_id"),
      rawOrderId: null,
      providerRef: "pi_test_orphan",
    });
  });

  it("an order id that is not a UUID is unmatched, and kept as it came for the operator", () => {
    const event = checkoutSessionCompleted({ clientReferenceId: "order-1042" });
    expect(translateStripeEvent(event)).toMatchObject({
      action: "unmatched",
      reason: expect.stringContaining('client_reference_id "order-1042", which is not an order id'),
      rawOrderId: "order-1042",
    });
  });

  it("a failed payment and an unpaid session without an order id are unmatched too", () => {
    expect(translateStripeEvent(paymentIntentPaymentFailed())).toMatchObject({ action: "unmatched", rawOrderId: null });
    expect(translateStripeEvent(checkoutSessionAsyncPaymentFailed({ clientReferenceId: "nope" }))).toMatchObject({
      action: "unmatched",
      rawOrderId: "nope",
    });
    expect(translateStripeEvent(checkoutSessionCompleted({ paymentStatus: "unpaid" }))).toMatchObject({ action: "unmatched", amount: null });
  });

  it.each([
    ["hyphenated lower case", ORDER],
    ["upper case", ORDER.toUpperCase()],
    ["32 hex digits without dashes", ORDER.replaceAll("-", "")],
    ["braces", `{${ORDER}}`],
    ["braces around 32 digits", `{${ORDER.replaceAll("-", "").toUpperCase()}}`],
    ["a urn:uuid: prefix", `urn:uuid:${ORDER}`],
    ["an upper-case URN", `URN:UUID:${ORDER.toUpperCase()}`],
  ])("an order id written with %s is normalised to the orders table's form", (_form, written) => {
    expect(translateStripeEvent(checkoutSessionCompleted({ clientReferenceId: written }))).toMatchObject({ action: "paid", orderId: ORDER });
    expect(translateStripeEvent(paymentIntentSucceeded({ metadata: { order_id: written } }))).toMatchObject({ action: "paid", orderId: ORDER });
  });

  it.each([
    ["", "empty"],
    ["6f1c1f0e-3b9a-4c1d-9a53-0d5e0f6b8a2", "one digit short"],
    ["6f1c1f0e-3b9a-4c1d-9a53-0d5e0f6b8a21a", "one digit long"],
    ["6f1c1f0e-3b9a-4c1d-9a53-0d5e0f6b8a2g", "not hex"],
    ["6f1c1f0e3b9a-4c1d-9a53-0d5e0f6b8a21", "dashes only in some places"],
    ["{6f1c1f0e-3b9a-4c1d-9a53-0d5e0f6b8a21", "an unbalanced brace"],
    ["uuid:6f1c1f0e-3b9a-4c1d-9a53-0d5e0f6b8a21", "a bare uuid: prefix"],
    ["42", "a number"],
  ])("normaliseUuid refuses %j (%s)", (input) => {
    expect(normaliseUuid(input)).toBeNull();
  });

  it("normaliseUuid trims surrounding whitespace, as Django's form field does", () => {
    expect(normaliseUuid(` ${ORDER}\n`)).toBe(ORDER);
  });

  it.each([
    ["a fractional amount", 49.98, "eur"],
    ["a negative amount", -100, "eur"],
    ["an amount sent as a string", "4998", "eur"],
    ["no amount", null, "eur"],
    ["no currency", 4998, null],
    ["a currency that is not a 3-letter code", 4998, "euro"],
  ])("%s leaves the amount out rather than guess", (_case, amountTotal, currency) => {
    const session = { ...checkoutSession({ clientReferenceId: ORDER }), amount_total: amountTotal, currency };
    expect(translateStripeEvent(stripeEvent("checkout.session.completed", session))).toMatchObject({
      action: "paid",
      orderId: ORDER,
      amount: null,
    });
  });

  it("an event whose object is not shaped as expected becomes unmatched, and never throws", () => {
    const event = stripeEvent("payment_intent.succeeded", { id: "pi_test_odd", metadata: null, amount_received: "lots" });
    expect(translateStripeEvent(event)).toMatchObject({ action: "unmatched", amount: null, providerRef: "pi_test_odd" });
    const hollow = { id: "evt_test_hollow", type: "checkout.session.completed", data: { object: [] } };
    expect(translateStripeEvent(hollow)).toMatchObject({ action: "ignored", providerRef: null });
  });

  it("charge.refunded is the charge's cumulative refund of its payment intent", () => {
    const event = chargeRefunded({ paymentIntent: "pi_test_r", amount: 4998, amountRefunded: 1500 });
    expect(translateStripeEvent(event)).toEqual({
      action: "refund", deliveryId: event.id, eventType: "charge.refunded", paymentRef: "pi_test_r", refundRef: null,
      refundStatus: "succeeded", amount: { cents: 1500, currency: "EUR" }, cumulative: true, reason: null, failureReason: null,
    });
  });

  it("refund.* is one refund by its id; refund.failed is failed whatever its snapshot says", () => {
    const created = refundEvent("refund.created", { id: "re_test_1", paymentIntent: "pi_test_r", amount: 500, status: "pending" });
    expect(translateStripeEvent(created)).toMatchObject({ action: "refund", refundRef: "re_test_1", refundStatus: "pending", cumulative: false, amount: { cents: 500 } });
    const failed = refundEvent("refund.failed", { id: "re_test_1", paymentIntent: "pi_test_r", amount: 500, status: "pending", failureReason: "lost_or_stolen_card" });
    expect(translateStripeEvent(failed)).toMatchObject({ refundStatus: "failed", failureReason: "lost_or_stolen_card" });
    // Without a payment intent there is no payment to find: ignored.
    expect(translateStripeEvent(refundEvent("refund.created", { paymentIntent: null }))).toMatchObject({ action: "ignored" });
  });

  it("charge.dispute.* carries the dispute's state and its evidence deadline in ms", () => {
    const event = disputeEvent("created", { id: "du_test_1", paymentIntent: "pi_test_d", charge: "ch_test_unknown", amount: 4998, dueBy: 1_800_000_000 });
    expect(translateStripeEvent(event)).toEqual({
      action: "dispute", deliveryId: event.id, eventType: "charge.dispute.created", paymentRef: "pi_test_d", disputeRef: "du_test_1",
      chargeRef: "ch_test_unknown", status: "needs_response", reason: "fraudulent", amount: { cents: 4998, currency: "EUR" },
      evidenceDueBy: 1_800_000_000_000, funds: null,
    });
    expect(translateStripeEvent(disputeEvent("funds_withdrawn", { paymentIntent: "pi_test_d" }))).toMatchObject({ funds: "withdrawn" });
  });

  it("payment_intent.canceled and checkout.session.expired end a payment without money", () => {
    const canceled = stripeEvent("payment_intent.canceled", { ...paymentIntent({ id: "pi_test_c", status: "processing" }), status: "canceled", metadata: { order_id: ORDER } });
    expect(translateStripeEvent(canceled)).toMatchObject({ action: "canceled", providerRef: "pi_test_c", orderId: ORDER });
    const expired = stripeEvent("checkout.session.expired", checkoutSession({ id: "cs_test_x", paymentIntent: null, clientReferenceId: ORDER }));
    expect(translateStripeEvent(expired)).toMatchObject({ action: "canceled", providerRef: "cs_test_x", orderId: ORDER });
  });
});
