// The fake Stripe API as a loopback HTTP server (test/e2e/support/fakeStripeServer.ts), driven
// by the official `stripe` package from Node with its own HTTP client, as the CLIs use it: the
// server the end-to-end tests give `wrangler dev` answers what Stripe would.
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stripeClientOptions } from "../../src/providers/stripe/stripeApiOptions";
import { startFakeStripeServer, type FakeStripeServer } from "./support/fakeStripeServer";
import { STRIPE_ERRORS } from "../support/fakeStripeApi";

const KEY = "sk_test_FAKE_e2e_not_a_real_key_00000";
let fake: FakeStripeServer;
let stripe: Stripe;

beforeAll(async () => {
  fake = await startFakeStripeServer();
  stripe = new Stripe(KEY, stripeClientOptions(fake.url, { maxNetworkRetries: 0, timeoutMs: 10_000 }));
});
afterAll(() => fake.close());

describe("the fake Stripe server on loopback", () => {
  it("creates, pays and refunds through the official client over HTTP, recording what it sent", async () => {
    const session = await stripe.checkout.sessions.create(
      {
        mode: "payment",
        line_items: [{ quantity: 1, price_data: { currency: "eur", unit_amount: 5630, product_data: { name: "Order 1001" } } }],
        payment_intent_data: { metadata: { order_id: "d0d0d0d0-0000-4000-8000-000000000001" } },
        success_url: "https://shop.example/thanks",
      },
      { idempotencyKey: "e2e-session" },
    );
    const intent = fake.paySession(session.id).payment_intent as string;
    expect((await stripe.paymentIntents.retrieve(intent)).metadata).toEqual({ order_id: "d0d0d0d0-0000-4000-8000-000000000001" });
    const refund = await stripe.refunds.create({ payment_intent: intent, amount: 500 }, { idempotencyKey: "e2e-refund" });
    const replay = await stripe.refunds.create({ payment_intent: intent, amount: 500 }, { idempotencyKey: "e2e-refund" });
    expect(replay.id).toBe(refund.id);
    expect(fake.chargeOf(intent)?.amount_refunded).toBe(500);
    expect(fake.requestsTo("POST", "/v1/refunds").map((r) => [r.idempotencyKey, r.form.amount, r.authorization])).toEqual([
      ["e2e-refund", "500", `Bearer ${KEY}`],
      ["e2e-refund", "500", `Bearer ${KEY}`],
    ]);
    fake.answerNext(STRIPE_ERRORS.rateLimited());
    await expect(stripe.refunds.create({ payment_intent: intent, amount: 1 })).rejects.toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    // The Node client retries a dropped connection once even with retries off: drop both.
    fake.answerNext("network-error", "network-error");
    await expect(stripe.paymentIntents.retrieve(intent)).rejects.toBeInstanceOf(Stripe.errors.StripeConnectionError);
  });
});
