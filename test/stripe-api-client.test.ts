// The Worker's Stripe client (src/providers/stripe/stripeApi.ts) against the fake Stripe API:
// what the official package sends (host from STRIPE_API_URL, the key, Stripe-Version, the form,
// Idempotency-Key), and that the fake answers as Stripe does (idempotent replays, its errors),
// so the tests that rely on the fake rely on Stripe's behaviour, not on our idea of it.
import Stripe from "stripe";
import { beforeEach, describe, expect, it } from "vitest";
import { ConfigError, readStripeApiConfig } from "../src/config";
import { createStripeApi, describeStripeFailure } from "../src/providers/stripe/stripeApi";
import { STRIPE_ERRORS } from "./support/fakeStripeApi";
import { FAKE_STRIPE_KEY, FAKE_STRIPE_URL, stripeApi } from "./support/fakeStripe";

const client = (opts: { key?: string; retries?: number } = {}) =>
  createStripeApi({ secretKey: opts.key ?? FAKE_STRIPE_KEY, apiUrl: FAKE_STRIPE_URL }, { maxNetworkRetries: opts.retries ?? 0, timeoutMs: 10_000 });

const sessionParams = (orderId = crypto.randomUUID()): Stripe.Checkout.SessionCreateParams => ({
  mode: "payment",
  line_items: [{ quantity: 2, price_data: { currency: "eur", unit_amount: 2490, product_data: { name: "Espresso beans 1 kg" } } }],
  client_reference_id: orderId,
  metadata: { order_id: orderId },
  success_url: "https://shop.example/thanks",
  cancel_url: "https://shop.example/cart",
});

beforeEach(() => stripeApi.reset());

describe("the Worker's Stripe client against the fake Stripe API", () => {
  it("sends the key, the package's API version and the form-encoded parameters to STRIPE_API_URL", async () => {
    const session = await client().checkout.sessions.create(sessionParams("0b0b0b0b-0000-4000-8000-000000000001"), { idempotencyKey: "k-1" });
    expect(session.url).toMatch(/^https:\/\/checkout\.stripe\.com\//);
    expect(session.amount_total).toBe(4980);
    const [request] = stripeApi.requests;
    expect(request).toMatchObject({
      method: "POST",
      path: "/v1/checkout/sessions",
      authorization: `Bearer ${FAKE_STRIPE_KEY}`,
      stripeVersion: Stripe.API_VERSION,
      idempotencyKey: "k-1",
      form: {
        mode: "payment",
        client_reference_id: "0b0b0b0b-0000-4000-8000-000000000001",
        metadata: { order_id: "0b0b0b0b-0000-4000-8000-000000000001" },
        line_items: [{ quantity: "2", price_data: { currency: "eur", unit_amount: "2490", product_data: { name: "Espresso beans 1 kg" } } }],
      },
    });
  });

  it("answers a repeated Idempotency-Key with the first session, and refuses it for other parameters", async () => {
    const params = sessionParams();
    const first = await client().checkout.sessions.create(params, { idempotencyKey: "same-key" });
    const again = await client().checkout.sessions.create(params, { idempotencyKey: "same-key" });
    expect(again.id).toBe(first.id);
    const other = await client().checkout.sessions.create(sessionParams(), { idempotencyKey: "same-key" }).catch((e: unknown) => e);
    expect(other).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(describeStripeFailure(other)).toMatchObject({ status: 400, type: "idempotency_error", reachable: true });
  });

  it("retries a 500 with the same Idempotency-Key when retries are allowed, and makes one session", async () => {
    stripeApi.answerNext(STRIPE_ERRORS.serverError());
    const session = await client({ retries: 1 }).checkout.sessions.create(sessionParams(), { idempotencyKey: "retry-key" });
    const posts = stripeApi.requestsTo("POST", "/v1/checkout/sessions");
    expect(posts.map((r) => [r.status, r.idempotencyKey])).toEqual([[500, "retry-key"], [200, "retry-key"]]);
    expect(stripeApi.session(session.id).status).toBe("open");
  });

  it("says which failures are Stripe's availability or our key, and which are this request's", async () => {
    const failures = [];
    for (const answer of [STRIPE_ERRORS.invalidRequest("Not a valid URL", "success_url", "url_invalid"), STRIPE_ERRORS.rateLimited(), STRIPE_ERRORS.serverError()]) {
      stripeApi.answerNext(answer);
      failures.push(describeStripeFailure(await client().checkout.sessions.create(sessionParams()).catch((e: unknown) => e)));
    }
    stripeApi.revokeKey(FAKE_STRIPE_KEY);
    failures.push(describeStripeFailure(await client().checkout.sessions.retrieve("cs_test_x").catch((e: unknown) => e)));
    stripeApi.answerNext("network-error");
    failures.push(describeStripeFailure(await client({ key: "sk_test_another_fake_key_000" }).checkout.sessions.retrieve("cs_test_x").catch((e: unknown) => e)));
    expect(failures.map((f) => [f.status, f.reachable])).toEqual([[400, true], [429, false], [500, false], [401, false], [null, false]]);
    expect(failures[0]).toMatchObject({ type: "invalid_request_error", code: "url_invalid", param: "success_url", message: "Not a valid URL" });
    // Stripe masks the key in its message; nothing longer than its last four characters is shown.
    expect(failures[3]!.message).toBe("Invalid API Key provided: sk_test_****0000");
  });

  it("retrieves a session as the customer left it: paid with its payment intent, or expired", async () => {
    const api = client();
    const paid = await api.checkout.sessions.create(sessionParams());
    stripeApi.paySession(paid.id);
    const read = await api.checkout.sessions.retrieve(paid.id);
    expect(read).toMatchObject({ status: "complete", payment_status: "paid", amount_total: 4980, currency: "eur" });
    expect(read.payment_intent).toMatch(/^pi_test_/);
    const missing = await api.checkout.sessions.retrieve("cs_test_missing").catch((e: unknown) => e);
    expect(describeStripeFailure(missing)).toMatchObject({ status: 404, code: "resource_missing", reachable: true });
    const open = await api.checkout.sessions.create(sessionParams());
    stripeApi.expireSession(open.id);
    expect((await api.checkout.sessions.retrieve(open.id)).status).toBe("expired");
  });

  it("refunds at most what is left of a payment, as Stripe does", async () => {
    const api = client();
    const session = await api.checkout.sessions.create(sessionParams());
    const intent = stripeApi.paySession(session.id).payment_intent as string;
    const part = await api.refunds.create({ payment_intent: intent, amount: 1000 }, { idempotencyKey: "refund-1" });
    expect(part).toMatchObject({ amount: 1000, status: "succeeded", payment_intent: intent });
    const tooMuch = describeStripeFailure(await api.refunds.create({ payment_intent: intent, amount: 4000 }).catch((e: unknown) => e));
    expect(tooMuch).toMatchObject({ status: 400, code: "amount_too_large", param: "amount" });
    await api.refunds.create({ payment_intent: intent });
    const again = describeStripeFailure(await api.refunds.create({ payment_intent: intent }).catch((e: unknown) => e));
    expect(again).toMatchObject({ status: 400, code: "charge_already_refunded" });
    expect((await api.paymentIntents.retrieve(intent, { expand: ["latest_charge"] })).latest_charge).toMatchObject({ amount_refunded: 4980, refunded: true });
  });
});

describe("STRIPE_SECRET_KEY and STRIPE_API_URL", () => {
  it("are optional: no key means none of the Stripe calls are offered", () => {
    expect(readStripeApiConfig({})).toEqual({ secretKey: undefined, apiUrl: "https://api.stripe.com" });
  });

  it("accept secret and restricted keys, and http only for loopback and .test hosts", () => {
    expect(readStripeApiConfig({ STRIPE_SECRET_KEY: "rk_live_FAKEFAKEFAKE", STRIPE_API_URL: "http://127.0.0.1:9999" })).toEqual({
      secretKey: "rk_live_FAKEFAKEFAKE",
      apiUrl: "http://127.0.0.1:9999",
    });
    expect(readStripeApiConfig({ STRIPE_API_URL: "http://stripe.fake.test" }).apiUrl).toBe("http://stripe.fake.test");
  });

  it.each([
    [{ STRIPE_SECRET_KEY: "pk_test_FAKEFAKEFAKE" }, /STRIPE_SECRET_KEY must be a secret key/],
    [{ STRIPE_SECRET_KEY: "whsec_FAKEFAKEFAKE" }, /STRIPE_SECRET_KEY must be a secret key/],
    [{ STRIPE_API_URL: "http://api.stripe.example" }, /STRIPE_API_URL must be https:\/\//],
    [{ STRIPE_API_URL: "https://api.stripe.com/v1" }, /origin only/],
    [{ STRIPE_API_URL: "ftp://stripe.test" }, /STRIPE_API_URL must be an http\(s\) URL/],
  ])("refuse %o, naming the variable", (env, message) => {
    expect(() => readStripeApiConfig(env)).toThrow(ConfigError);
    expect(() => readStripeApiConfig(env)).toThrow(message);
  });
});
