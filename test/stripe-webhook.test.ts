// Stripe's own webhooks, end to end in workerd: events shaped like Stripe's and signed by the
// official package's test signer, through the real route, the one payment transition and D1.
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { attentionOf, createOrder, createProduct, deliverWithEnv, eventsOf, invoicesOf, order, product, snapshot } from "./support/shop";
import {
  checkoutSessionAsyncPaymentFailed,
  checkoutSessionAsyncPaymentSucceeded,
  checkoutSessionCompleted,
  paymentIntentPaymentFailed,
  paymentIntentSucceeded,
  signedStripeRequest,
  STRIPE_NEXT_SECRET,
  STRIPE_SECRET,
  STRIPE_WEBHOOK_URL,
  stripeEvent,
} from "./support/stripeEvents";

/** An order awaiting payment: 2 x 19.99 EUR = 3998 cents. */
async function awaitingOrder(status = "AWAITING_PAYMENT") {
  const productId = await createProduct({ stock: 10, reserved: 2 });
  const o = await createOrder({ status, lines: [{ productId, quantity: 2, unitPriceCents: 1999 }] });
  return { ...o, productId };
}
const TOTAL = 3998;

const send = async (event: object, opts: Parameters<typeof signedStripeRequest>[1] = {}) =>
  exports.default.fetch(await signedStripeRequest(event, opts));

describe("Stripe webhooks", () => {
  it("checkout.session.completed (paid) confirms the order in client_reference_id, once, with its Stripe ids", async () => {
    const { id, productId } = await awaitingOrder();
    const event = checkoutSessionCompleted({ clientReferenceId: id, amountTotal: TOTAL, paymentIntent: "pi_test_confirming" });

    const res = await send(event);

    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ outcome: "confirmed", order_id: id, invoice_number: expect.any(String) });
    expect((await order(id))?.status).toBe("CONFIRMED");
    expect(await product(productId)).toEqual({ stock: 8, stock_reserved: 0 });
    expect(await invoicesOf(id)).toHaveLength(1);
    const { results } = await env.DB.prepare("SELECT provider, provider_ref, delivery_id FROM webhook_events WHERE order_id = ?").bind(id).all();
    expect(results).toEqual([{ provider: "stripe", provider_ref: "pi_test_confirming", delivery_id: event.id }]);
  });

  it("finds the order in metadata.order_id when there is no client_reference_id, in any UUID form", async () => {
    const { id } = await awaitingOrder();
    const braced = `{${id.toUpperCase()}}`;
    const res = await send(checkoutSessionCompleted({ metadata: { order_id: braced }, amountTotal: TOTAL }));
    expect(await res.json()).toMatchObject({ outcome: "confirmed", order_id: id });
  });

  it.each([
    ["checkout.session.async_payment_succeeded", (id: string) => checkoutSessionAsyncPaymentSucceeded({ clientReferenceId: id, amountTotal: TOTAL })],
    ["payment_intent.succeeded", (id: string) => paymentIntentSucceeded({ metadata: { order_id: id }, amount: TOTAL })],
  ])("%s confirms the order", async (_, build) => {
    const { id } = await awaitingOrder();
    const res = await send(build(id));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ outcome: "confirmed" });
    expect((await order(id))?.status).toBe("CONFIRMED");
  });

  it.each([
    ["checkout.session.async_payment_failed", (id: string) => checkoutSessionAsyncPaymentFailed({ clientReferenceId: id, amountTotal: TOTAL })],
    ["payment_intent.payment_failed", (id: string) => paymentIntentPaymentFailed({ metadata: { order_id: id }, amount: TOTAL })],
  ])("%s is a failed payment: recorded, the order keeps waiting", async (_, build) => {
    const { id, productId } = await awaitingOrder();
    const res = await send(build(id));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ outcome: "payment_failed" });
    expect((await order(id))?.status).toBe("AWAITING_PAYMENT");
    expect(await product(productId)).toEqual({ stock: 10, stock_reserved: 2 });
  });

  it("checkout.session.completed with payment_status unpaid (SEPA) changes nothing yet and is recorded", async () => {
    const { id } = await awaitingOrder();
    const res = await send(checkoutSessionCompleted({ clientReferenceId: id, amountTotal: TOTAL, paymentStatus: "unpaid" }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ outcome: "payment_pending" });
    expect((await order(id))?.status).toBe("AWAITING_PAYMENT");
    expect(await eventsOf(id)).toMatchObject([{ outcome: "payment_pending", http_status: 200 }]);
  });

  it("any other event type is answered 200, recorded as ignored, and changes nothing else", async () => {
    const before = await env.DB.prepare("SELECT count(*) AS n FROM webhook_events WHERE outcome = 'ignored_event'").first<{ n: number }>();
    const res = await send(stripeEvent("customer.created", { id: "cus_test_1", object: "customer" }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ outcome: "ignored_event", event_type: "customer.created" });
    const after = await env.DB.prepare("SELECT count(*) AS n FROM webhook_events WHERE outcome = 'ignored_event'").first<{ n: number }>();
    expect(after!.n).toBe(before!.n + 1);
  });

  it.each([
    ["no order id at all", { amountTotal: 2500 }],
    ["an order id that is not a UUID", { clientReferenceId: "order-1042", amountTotal: 2500 }],
  ])("a payment with %s is answered 200 and recorded for a human", async (_, fields) => {
    const event = checkoutSessionCompleted(fields);
    const res = await send(event);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ outcome: "unmatched_payment" });
    const items = (await attentionOf(null)).filter((i) => i.key === `unmatched_payment:-:${event.id}`);
    expect(items).toHaveLength(1);
    expect(JSON.parse(items[0]!.detail!)).toMatchObject({ amount_cents: 2500, currency: "EUR" });
  });

  it.each([
    ["a tampered body", { tamper: (b: string) => b.replace('"paid"', '"paid" ') }],
    ["the wrong secret", { secret: "whsec_test_FAKE_wrong_000000000000000000" }],
    ["a timestamp older than 5 minutes", { timestamp: Math.floor(Date.now() / 1000) - 301 }],
  ])("refuses %s with 400 and writes nothing", async (_, opts) => {
    const { id } = await awaitingOrder();
    const before = await snapshot();
    const res = await send(checkoutSessionCompleted({ clientReferenceId: id, amountTotal: TOTAL }), opts);
    expect(res.status).toBe(400);
    expect((await res.json<{ error: string }>()).error).toMatch(/signature|timestamp|tolerance/i);
    expect(await snapshot()).toBe(before);
  });

  it("refuses a delivery without a Stripe-Signature header with 400", async () => {
    const res = await exports.default.fetch(new Request(STRIPE_WEBHOOK_URL, { method: "POST", body: "{}" }));
    expect(res.status).toBe(400);
  });

  it("accepts both secrets while one is rolled", async () => {
    const rotation = { STRIPE_WEBHOOK_SECRET: `${STRIPE_NEXT_SECRET},${STRIPE_SECRET}` } as Partial<Env>;
    const a = await awaitingOrder();
    const b = await awaitingOrder();
    const byOld = await deliverWithEnv(rotation, await signedStripeRequest(checkoutSessionCompleted({ clientReferenceId: a.id, amountTotal: TOTAL })));
    const byNew = await deliverWithEnv(
      rotation,
      await signedStripeRequest(checkoutSessionCompleted({ clientReferenceId: b.id, amountTotal: TOTAL }), { secret: STRIPE_NEXT_SECRET }),
    );
    expect([byOld.status, byNew.status]).toEqual([200, 200]);
  });

  it("a retry of the same event id is a duplicate and changes nothing", async () => {
    const { id, productId } = await awaitingOrder();
    const event = checkoutSessionCompleted({ clientReferenceId: id, amountTotal: TOTAL });
    await send(event);
    const retry = await send(event);
    expect(await retry.json()).toMatchObject({ outcome: "duplicate" });
    expect(await product(productId)).toEqual({ stock: 8, stock_reserved: 0 });
    expect((await eventsOf(id)).map((e) => e.outcome)).toEqual(["confirmed", "duplicate"]);
  });

  it("concurrent deliveries of one event confirm once and create one invoice", async () => {
    const { id, productId } = await awaitingOrder();
    const event = checkoutSessionCompleted({ clientReferenceId: id, amountTotal: TOTAL });
    const responses = await Promise.all(Array.from({ length: 8 }, () => send(event)));
    const outcomes = await Promise.all(responses.map(async (r) => (await r.json<{ outcome: string }>()).outcome));
    expect(outcomes.filter((o) => o === "confirmed")).toHaveLength(1);
    expect(outcomes.filter((o) => o === "duplicate")).toHaveLength(7);
    expect(await product(productId)).toEqual({ stock: 8, stock_reserved: 0 });
    expect(await invoicesOf(id)).toHaveLength(1);
  });

  it.each([
    ["less than the total", TOTAL - 1, "eur"],
    ["more than the total", TOTAL + 100, "eur"],
    ["the right number in another currency", TOTAL, "usd"],
  ])("a payment of %s is not confirmed: 200, amount_mismatch with both amounts, for a human", async (_, amount, currency) => {
    const { id, productId } = await awaitingOrder();
    const res = await send(checkoutSessionCompleted({ clientReferenceId: id, amountTotal: amount, currency }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      outcome: "amount_mismatch",
      details: { paid_cents: amount, paid_currency: currency.toUpperCase(), order_cents: TOTAL, order_currency: "EUR" },
    });
    expect((await order(id))?.status).toBe("AWAITING_PAYMENT");
    expect(await product(productId)).toEqual({ stock: 10, stock_reserved: 2 });
    expect(await invoicesOf(id)).toHaveLength(0);
    expect(await attentionOf(id)).toMatchObject([{ kind: "amount_mismatch", resolved_at: null }]);
  });

  it("a payment for an order the reservation expiry already cancelled is a refund for a human", async () => {
    const { id, productId } = await awaitingOrder("CANCELLED");
    const res = await send(paymentIntentSucceeded({ metadata: { order_id: id }, amount: TOTAL }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ outcome: "refund_required", order_status: "CANCELLED" });
    expect(await product(productId)).toEqual({ stock: 10, stock_reserved: 2 });
    expect(await attentionOf(id)).toMatchObject([{ kind: "refund_required" }]);
  });

  it("answers the path with a trailing slash the same way", async () => {
    const { id } = await awaitingOrder();
    const res = await send(checkoutSessionCompleted({ clientReferenceId: id, amountTotal: TOTAL }), { url: `${STRIPE_WEBHOOK_URL}/` });
    expect(await res.json()).toMatchObject({ outcome: "confirmed" });
  });

  it("does not exist when STRIPE_WEBHOOK_SECRET is not set", async () => {
    const { id } = await awaitingOrder();
    const before = await snapshot();
    const res = await deliverWithEnv(
      { STRIPE_WEBHOOK_SECRET: "" } as Partial<Env>,
      await signedStripeRequest(checkoutSessionCompleted({ clientReferenceId: id, amountTotal: TOTAL })),
    );
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "Not found" });
    expect(await snapshot()).toBe(before);
  });

  it("a second, different payment of a confirmed order is paid_twice: 200, a refund for a human", async () => {
    const { id, productId } = await awaitingOrder();
    await send(checkoutSessionCompleted({ clientReferenceId: id, amountTotal: TOTAL, paymentIntent: "pi_test_first" }));
    // The same payment reported again by another event type is a duplicate...
    const same = await send(paymentIntentSucceeded({ id: "pi_test_first", metadata: { order_id: id }, amount: TOTAL }));
    expect(await same.json()).toMatchObject({ outcome: "duplicate" });
    // ...a second Checkout Session paid for the same order is money to give back.
    const second = await send(checkoutSessionCompleted({ clientReferenceId: id, amountTotal: TOTAL, paymentIntent: "pi_test_second" }));
    expect(second.status).toBe(200);
    expect(await second.json()).toMatchObject({ outcome: "paid_twice", order_status: "CONFIRMED" });
    expect(await product(productId)).toEqual({ stock: 8, stock_reserved: 0 });
    const items = await attentionOf(id);
    expect(items).toMatchObject([{ kind: "paid_twice" }]);
    expect(JSON.parse(items[0]!.detail!)).toEqual({ confirmed_by: "pi_test_first", confirmed_via: "stripe" });
  });

  it("a paid event whose amount cannot be read is not confirmed unchecked: amount_mismatch", async () => {
    const { id } = await awaitingOrder();
    const res = await send(checkoutSessionCompleted({ clientReferenceId: id, amountTotal: null }));
    expect(await res.json()).toMatchObject({ outcome: "amount_mismatch" });
    expect((await order(id))?.status).toBe("AWAITING_PAYMENT");
    expect(await attentionOf(id)).toMatchObject([{ kind: "amount_mismatch" }]);
  });

  it("without STRIPE_WEBHOOK_SECRET every method on the path is 404, not 405", async () => {
    const res = await deliverWithEnv({ STRIPE_WEBHOOK_SECRET: "" } as Partial<Env>, new Request(STRIPE_WEBHOOK_URL));
    expect(res.status).toBe(404);
    expect((await exports.default.fetch(new Request(STRIPE_WEBHOOK_URL))).status).toBe(405);
  });
});
