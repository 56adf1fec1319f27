// POST /api/orders with `checkout`: the order, its reservation and a Stripe Checkout Session made
// for it (issue 18, part 1), against the fake Stripe API (test/support/fakeStripe.ts), asserting
// what the official client sent; what the ledger records; and the failure path (502, the order
// cancelled and its stock released, the shop's Idempotency-Key forgotten).
import { env, exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { sessionIdempotencyKey } from "../src/orders/checkoutSession";
import { STRIPE_ERRORS } from "./support/fakeStripeApi";
import { FAKE_STRIPE_KEY, stripeApi } from "./support/fakeStripe";
import { callOrders, countRows, newOrder, orderRequest, type OrderAnswerBody } from "./support/orders";
import { createProduct, deliverWithEnv, product, runCron, snapshot } from "./support/shop";
import { signedStripeRequest, stripeEvent } from "./support/stripeEvents";

const CHECKOUT = { provider: "stripe", success_url: "https://shop.example/thanks?session={CHECKOUT_SESSION_ID}", cancel_url: "https://shop.example/cart" };

async function create(body: unknown, opts: { headers?: Record<string, string>; env?: Partial<Env> } = {}) {
  const request = orderRequest("POST", "", body, { headers: opts.headers });
  const res = opts.env ? await deliverWithEnv(opts.env, request) : await exports.default.fetch(request);
  return { status: res.status, body: (await res.json()) as OrderAnswerBody & { checkout_url?: string }, headers: res.headers };
}

async function ledgerOf(orderId: string) {
  const { results } = await env.DB.prepare(
    "SELECT provider, provider_ref, status, amount_cents, currency, confirmed_order, checkout_session_ref, checkout_url, " +
      "checkout_expires_at, created_at FROM payments WHERE order_id = ? ORDER BY id",
  )
    .bind(orderId)
    .all<Record<string, unknown>>();
  return results;
}

const postsToSessions = () => stripeApi.requestsTo("POST", "/v1/checkout/sessions");

beforeEach(() => stripeApi.reset());

describe("an order created with checkout", () => {
  it("gets a Checkout Session for exactly its lines, tied to the order, and answers its checkout_url", async () => {
    const beans = await createProduct({ stock: 10, priceCents: 2490, name: "Espresso beans 1 kg" });
    const filters = await createProduct({ stock: 10, priceCents: 650, name: "Paper filters (100)" });
    const before = Date.now();
    const res = await create(newOrder([{ product_id: beans, quantity: 1 }, { product_id: filters, quantity: 2 }], { checkout: CHECKOUT }));
    expect(res.status).toBe(201);
    const order = res.body;
    expect(order).toMatchObject({ status: "AWAITING_PAYMENT", total_cents: 3790, currency: "EUR", payment_status: "unpaid" });
    const [sent] = postsToSessions();
    expect(sent).toMatchObject({
      authorization: `Bearer ${FAKE_STRIPE_KEY}`,
      idempotencyKey: sessionIdempotencyKey(order.order_id),
      form: {
        mode: "payment",
        client_reference_id: order.order_id,
        metadata: { order_id: order.order_id, order_number: String(order.order_number) },
        payment_intent_data: { metadata: { order_id: order.order_id, order_number: String(order.order_number) } },
        customer_email: "shopper@example.test",
        success_url: CHECKOUT.success_url,
        cancel_url: CHECKOUT.cancel_url,
        line_items: [
          { quantity: "1", price_data: { currency: "eur", unit_amount: "2490", product_data: { name: "Espresso beans 1 kg" } } },
          { quantity: "2", price_data: { currency: "eur", unit_amount: "650", product_data: { name: "Paper filters (100)" } } },
        ],
      },
    });
    // The session closes when the reservation ends (30 minutes configured: 31, Stripe's least plus a minute).
    expect(Number(sent!.form.expires_at) * 1000).toBe(Math.floor(Date.parse(order.reserved_until!) / 1000) * 1000);
    expect(Date.parse(order.reserved_until!) - before).toBeGreaterThanOrEqual(31 * 60_000);
    const session = stripeApi.sessionOfOrder(order.order_id)!;
    expect(session.amount_total).toBe(3790);
    expect(order.checkout_url).toBe(session.url);
    // The session is the order's pending payment in the ledger, made now, for the order's total.
    const [row] = await ledgerOf(order.order_id);
    expect(row).toMatchObject({
      provider: "stripe",
      provider_ref: session.id,
      status: "pending",
      amount_cents: 3790,
      currency: "EUR",
      confirmed_order: 0,
      checkout_session_ref: session.id,
      checkout_url: session.url,
      checkout_expires_at: session.expires_at * 1000,
    });
    expect(row!.created_at as number).toBeGreaterThanOrEqual(before);
    expect(await product(beans)).toEqual({ stock: 10, stock_reserved: 1 });
  });

  it("keeps the configured reservation when it is longer, closing the session at Stripe's 24 hours at most", async () => {
    const p = await createProduct({ stock: 5 });
    const long = await create(newOrder([{ product_id: p, quantity: 1 }], { checkout: CHECKOUT }), { env: { RESERVATION_MINUTES: "3000" } as Partial<Env> });
    expect(long.status).toBe(201);
    const reservedUntil = Date.parse(long.body.reserved_until!);
    const expiresAt = Number(postsToSessions()[0]!.form.expires_at) * 1000;
    expect(reservedUntil - Date.now()).toBeGreaterThan(49 * 3600_000);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(24 * 3600_000);
    expect(expiresAt - Date.now()).toBeGreaterThan(23.9 * 3600_000);
  });

  it("answers a replay of the same Idempotency-Key with the same order and session, asking Stripe nothing", async () => {
    const p = await createProduct({ stock: 5 });
    const headers = { "Idempotency-Key": `cart-${crypto.randomUUID()}` };
    const first = await create(newOrder([{ product_id: p, quantity: 1 }], { checkout: CHECKOUT }), { headers });
    const again = await create(newOrder([{ product_id: p, quantity: 1 }], { checkout: CHECKOUT }), { headers });
    expect(again.status).toBe(201);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(again.body.order_id).toBe(first.body.order_id);
    expect(again.body.checkout_url).toBe(first.body.checkout_url);
    expect(postsToSessions()).toHaveLength(1);
    expect(await ledgerOf(first.body.order_id)).toHaveLength(1);
    expect(await product(p)).toEqual({ stock: 5, stock_reserved: 1 });
  });

  it("is refused with 400 and writes nothing when the service has no STRIPE_SECRET_KEY; a plain order still works", async () => {
    const p = await createProduct({ stock: 5 });
    const before = await snapshot();
    const rows = await countRows();
    const refused = await create(newOrder([{ product_id: p, quantity: 1 }], { checkout: CHECKOUT }), { env: { STRIPE_SECRET_KEY: "" } as Partial<Env> });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: "Stripe Checkout is not offered", details: [{ field: "checkout" }] });
    expect(await snapshot()).toBe(before);
    expect(await countRows()).toEqual(rows);
    const plain = await create(newOrder([{ product_id: p, quantity: 1 }]), { env: { STRIPE_SECRET_KEY: "" } as Partial<Env> });
    expect(plain.status).toBe(201);
    expect(plain.body.checkout_url).toBeUndefined();
    // Nor does a plain order with the key set ask Stripe anything.
    expect((await create(newOrder([{ product_id: p, quantity: 1 }]))).status).toBe(201);
    expect(stripeApi.requests).toHaveLength(0);
  });

  it.each([
    [{ provider: "paypal", success_url: CHECKOUT.success_url, cancel_url: CHECKOUT.cancel_url }, "checkout.provider"],
    [{ provider: "stripe", success_url: "javascript:alert(1)", cancel_url: CHECKOUT.cancel_url }, "checkout.success_url"],
    [{ provider: "stripe", success_url: CHECKOUT.success_url }, "checkout.cancel_url"],
  ])("refuses a bad checkout field with 400 naming it: %o", async (checkout, field) => {
    const p = await createProduct({ stock: 5 });
    const before = await snapshot();
    const res = await create(newOrder([{ product_id: p, quantity: 1 }], { checkout }));
    expect(res.status).toBe(400);
    expect(res.body.details.map((d: { field: string }) => d.field)).toContain(field);
    expect(await snapshot()).toBe(before);
    expect(stripeApi.requests).toHaveLength(0);
  });

  it("is offered through the service binding too, with the same answer", async () => {
    const p = await createProduct({ stock: 5 });
    const orders = (exports as unknown as { OrdersEntrypoint: { createOrder(order: unknown, opts?: { idempotencyKey?: string }): Promise<{ status: number; body: any }> } }).OrdersEntrypoint;
    const answer = await orders.createOrder(newOrder([{ product_id: p, quantity: 1 }], { checkout: CHECKOUT }), { idempotencyKey: `bind-${crypto.randomUUID()}` });
    expect(answer.status).toBe(201);
    expect(answer.body.checkout_url).toBe(stripeApi.sessionOfOrder(answer.body.order_id)!.url);
  });

  it("is 500 naming the variable when STRIPE_SECRET_KEY is not a secret key, and nothing is written", async () => {
    const p = await createProduct({ stock: 5 });
    const before = await snapshot();
    const res = await create(newOrder([{ product_id: p, quantity: 1 }], { checkout: CHECKOUT }), {
      env: { STRIPE_SECRET_KEY: "pk_test_FAKE_publishable_0000", LOG_LEVEL: "silent" } as Partial<Env>,
    });
    expect(res.status).toBe(500);
    expect(res.body.error).toBe("Service misconfigured");
    expect(await snapshot()).toBe(before);
  });
});

describe("when Stripe does not create the session", () => {
  it.each([
    ["400 invalid request", [STRIPE_ERRORS.invalidRequest("Not a valid URL", "success_url", "url_invalid")], 400, "Not a valid URL"],
    ["429 (not retried: Stripe asks for a backoff)", [STRIPE_ERRORS.rateLimited()], 429, "Too many requests"],
    ["500, twice", [STRIPE_ERRORS.serverError(), STRIPE_ERRORS.serverError()], 500, "An unknown error occurred"],
  ])("answers 502 with Stripe's message (%s), cancels the order and releases its stock", async (_name, answers, status, message) => {
    const p = await createProduct({ stock: 5 });
    stripeApi.answerNext(...answers);
    const res = await create(newOrder([{ product_id: p, quantity: 2 }], { checkout: CHECKOUT }));
    expect(res.status).toBe(502);
    expect(res.body.error).toContain(message);
    expect(res.body).toMatchObject({ details: { stripe_status: status }, order_status: "CANCELLED" });
    expect(await product(p)).toEqual({ stock: 5, stock_reserved: 0 });
    expect(await ledgerOf(res.body.order_id!)).toEqual([]);
    // One retry at most, with the same Idempotency-Key: never two sessions.
    const keys = postsToSessions().map((r) => r.idempotencyKey);
    expect(new Set(keys)).toEqual(new Set([sessionIdempotencyKey(res.body.order_id!)]));
  });

  it("answers 502 with Stripe's masked message for a revoked key", async () => {
    const p = await createProduct({ stock: 5 });
    stripeApi.revokeKey(FAKE_STRIPE_KEY);
    const res = await create(newOrder([{ product_id: p, quantity: 1 }], { checkout: CHECKOUT }));
    expect(res.status).toBe(502);
    expect(res.body.error).toBe("Stripe did not create the Checkout Session: Invalid API Key provided: sk_test_****0000");
    expect(JSON.stringify(res.body)).not.toContain(FAKE_STRIPE_KEY);
    expect(await product(p)).toEqual({ stock: 5, stock_reserved: 0 });
  });

  it("lets the shop retry with the same Idempotency-Key: a new order and its session", async () => {
    const p = await createProduct({ stock: 1 });
    const headers = { "Idempotency-Key": `cart-${crypto.randomUUID()}` };
    stripeApi.answerNext(STRIPE_ERRORS.serverError(), STRIPE_ERRORS.serverError());
    const failed = await create(newOrder([{ product_id: p, quantity: 1 }], { checkout: CHECKOUT }), { headers });
    expect(failed.status).toBe(502);
    // The one unit is free again, so the retry can reserve it.
    const retried = await create(newOrder([{ product_id: p, quantity: 1 }], { checkout: CHECKOUT }), { headers });
    expect(retried.status).toBe(201);
    expect(retried.headers.get("Idempotent-Replayed")).toBeNull();
    expect(retried.body.order_id).not.toBe(failed.body.order_id);
    expect(retried.body.checkout_url).toBe(stripeApi.sessionOfOrder(retried.body.order_id)!.url);
    expect(await product(p)).toEqual({ stock: 1, stock_reserved: 1 });
  });

  it("retries a single 500 with the same Idempotency-Key and answers the one session", async () => {
    const p = await createProduct({ stock: 5 });
    stripeApi.answerNext(STRIPE_ERRORS.serverError());
    const res = await create(newOrder([{ product_id: p, quantity: 1 }], { checkout: CHECKOUT }));
    expect(res.status).toBe(201);
    expect(postsToSessions().map((r) => [r.status, r.idempotencyKey])).toEqual([
      [500, sessionIdempotencyKey(res.body.order_id)],
      [200, sessionIdempotencyKey(res.body.order_id)],
    ]);
    expect(await ledgerOf(res.body.order_id)).toHaveLength(1);
  });
});

describe("the session's payment row, as Stripe's events arrive", () => {
  async function orderWithSession(quantity = 1) {
    const p = await createProduct({ stock: 5, priceCents: 1250 });
    const res = await create(newOrder([{ product_id: p, quantity }], { checkout: CHECKOUT }));
    expect(res.status).toBe(201);
    return { productId: p, order: res.body, sessionId: stripeApi.sessionOfOrder(res.body.order_id)!.id };
  }

  it("checkout.session.completed advances the same row to the payment intent and confirms: one payment, not two", async () => {
    const { order, sessionId, productId } = await orderWithSession(2);
    const paid = stripeApi.paySession(sessionId);
    const res = await exports.default.fetch(await signedStripeRequest(stripeEvent("checkout.session.completed", paid)));
    expect(await res.json()).toMatchObject({ outcome: "confirmed" });
    expect(await ledgerOf(order.order_id)).toEqual([
      expect.objectContaining({
        provider_ref: paid.payment_intent,
        status: "succeeded",
        amount_cents: 2500,
        confirmed_order: 1,
        checkout_session_ref: sessionId,
        checkout_expires_at: null,
      }),
    ]);
    const read = (await (await callOrders("GET", `/${order.order_id}`)).json()) as OrderAnswerBody;
    expect(read).toMatchObject({ status: "CONFIRMED", payment_status: "paid" });
    expect(read.payments).toEqual([expect.objectContaining({ reference: paid.payment_intent, status: "succeeded", confirmed_order: true })]);
    expect(await product(productId)).toEqual({ stock: 3, stock_reserved: 0 });
  });

  it("an open session holds its order at most 15 minutes past the session's end, then the expiry job cancels it", async () => {
    const { order, productId } = await orderWithSession();
    const status = async () => (await env.DB.prepare("SELECT status FROM orders WHERE id = ?").bind(order.order_id).first())?.status;
    // Stripe has not said the session is over (the fake keeps it open): the order waits a little.
    await runCron(Date.parse(order.reserved_until!) + 60_000);
    expect(await status()).toBe("AWAITING_PAYMENT");
    await runCron(Date.parse(order.reserved_until!) + 16 * 60_000);
    expect(await status()).toBe("CANCELLED");
    expect(await product(productId)).toEqual({ stock: 5, stock_reserved: 0 });
  });

  it("a session completed with a delayed method (SEPA) holds the order past the reservation, on the same row", async () => {
    const { order, sessionId } = await orderWithSession();
    const started = stripeApi.startDelayedPayment(sessionId);
    const res = await exports.default.fetch(await signedStripeRequest(stripeEvent("checkout.session.completed", started)));
    expect(await res.json()).toMatchObject({ outcome: "payment_pending" });
    expect(await ledgerOf(order.order_id)).toEqual([
      expect.objectContaining({ provider_ref: started.payment_intent, status: "pending", checkout_session_ref: sessionId, checkout_expires_at: null }),
    ]);
    await runCron(Date.parse(order.reserved_until!) + 60_000);
    const read = (await (await callOrders("GET", `/${order.order_id}`)).json()) as OrderAnswerBody;
    expect(read).toMatchObject({ status: "AWAITING_PAYMENT", payment_status: "pending" });
  });

  it("checkout.session.expired marks the session's row canceled", async () => {
    const { order, sessionId } = await orderWithSession();
    const expired = stripeApi.expireSession(sessionId);
    const res = await exports.default.fetch(await signedStripeRequest(stripeEvent("checkout.session.expired", expired)));
    expect(await res.json()).toMatchObject({ outcome: "payment_recorded" });
    expect(await ledgerOf(order.order_id)).toEqual([expect.objectContaining({ provider_ref: sessionId, status: "canceled" })]);
    // Over, so it holds nothing: the order expires with its reservation.
    await runCron(Date.parse(order.reserved_until!) + 60_000);
    expect((await env.DB.prepare("SELECT status FROM orders WHERE id = ?").bind(order.order_id).first())?.status).toBe("CANCELLED");
  });
});
