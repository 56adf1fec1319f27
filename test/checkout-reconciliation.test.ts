// The cron's reconciliation of Checkout Sessions (issue 18, part 2): a paid session whose webhook
// was lost confirms its order through the same transition as the webhook, and the webhook that
// comes later is a duplicate; expired and delayed sessions are recorded; the job is bounded and
// backs off per session; a Stripe outage or a revoked key is one attention item and never stops
// the other cron jobs. Against the fake Stripe API, with the Worker's real scheduled() handler.
import { env, exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { describeAttention, type AttentionRow } from "../src/attention/describeAttention";
import { ATTENTION_SELECT } from "../src/attention/attentionQuery";
import { RECONCILE_BATCH_LIMIT } from "../src/payments/reconcileCheckoutSessions";
import { STRIPE_ERRORS } from "./support/fakeStripeApi";
import { FAKE_STRIPE_KEY, stripeApi } from "./support/fakeStripe";
import { newOrder, orderRequest, type OrderAnswerBody } from "./support/orders";
import { attentionOf, createOrder, createProduct, eventsOf, invoicesOf, order, product, runCron } from "./support/shop";
import { paymentIntentSucceeded, signedStripeRequest, stripeEvent } from "./support/stripeEvents";

const CHECKOUT = { provider: "stripe", success_url: "https://shop.example/thanks", cancel_url: "https://shop.example/cart" };
const MINUTE = 60_000;

async function orderWithSession(opts: { quantity?: number; productId?: number } = {}) {
  const productId = opts.productId ?? (await createProduct({ stock: 50, priceCents: 1250 }));
  const res = await exports.default.fetch(orderRequest("POST", "", newOrder([{ product_id: productId, quantity: opts.quantity ?? 1 }], { checkout: CHECKOUT })));
  expect(res.status).toBe(201);
  const body = (await res.json()) as OrderAnswerBody;
  return { productId, order: body, sessionId: stripeApi.sessionOfOrder(body.order_id)!.id, createdAt: Date.parse(body.created_at) };
}

async function ledgerOf(orderId: string) {
  const { results } = await env.DB.prepare(
    "SELECT provider_ref, status, amount_cents, confirmed_order, checkout_session_ref, checkout_expires_at, reconcile_attempts, reconcile_after " +
      "FROM payments WHERE order_id = ? ORDER BY id",
  )
    .bind(orderId)
    .all<Record<string, unknown>>();
  return results;
}

const retrievals = (sessionId?: string) =>
  stripeApi.requestsTo("GET", sessionId ? `/v1/checkout/sessions/${sessionId}` : /^\/v1\/checkout\/sessions\//);

const attentionOfOrder = async (orderId: string) => (await attentionOf(orderId)).filter((i) => i.resolved_at === null);

async function openItems(kind: string) {
  const { results } = await env.DB.prepare(`${ATTENTION_SELECT} WHERE a.kind = ? AND a.resolved_at IS NULL`).bind(kind).all<AttentionRow>();
  return results;
}

beforeEach(() => stripeApi.reset());

describe("a paid session whose webhook was lost", () => {
  it("is confirmed by the cron 15 minutes on, through the webhook's transition; the late webhook is a duplicate", async () => {
    const { order: created, sessionId, productId, createdAt } = await orderWithSession({ quantity: 2 });
    const paid = stripeApi.paySession(sessionId);
    // Younger than 15 minutes: not asked about yet.
    await runCron(createdAt + 14 * MINUTE);
    expect(retrievals(sessionId)).toHaveLength(0);
    await runCron(createdAt + 16 * MINUTE);
    expect(retrievals(sessionId)).toEqual([expect.objectContaining({ authorization: `Bearer ${FAKE_STRIPE_KEY}`, status: 200 })]);
    expect(await order(created.order_id)).toMatchObject({ status: "CONFIRMED" });
    expect(await product(productId)).toEqual({ stock: 48, stock_reserved: 0 });
    expect(await invoicesOf(created.order_id)).toHaveLength(1);
    expect(await ledgerOf(created.order_id)).toEqual([
      expect.objectContaining({ provider_ref: paid.payment_intent, status: "succeeded", amount_cents: 2500, confirmed_order: 1, checkout_session_ref: sessionId }),
    ]);
    expect((await eventsOf(created.order_id)).map((e) => [e.delivery_id, e.outcome])).toEqual([[`reconcile:${sessionId}`, "confirmed"]]);

    const late = await exports.default.fetch(await signedStripeRequest(stripeEvent("checkout.session.completed", stripeApi.session(sessionId))));
    expect(await late.json()).toMatchObject({ outcome: "duplicate" });
    expect(await invoicesOf(created.order_id)).toHaveLength(1);
    expect(await ledgerOf(created.order_id)).toHaveLength(1);
    // Decided: never asked about again.
    await runCron(createdAt + 3 * 60 * MINUTE);
    expect(retrievals(sessionId)).toHaveLength(1);
  });

  it("paid in the session's last minutes is still confirmed after the reservation's end, not refunded", async () => {
    const { order: created, sessionId, createdAt } = await orderWithSession();
    // Asked about while open (16, 21 and 31 minutes on); the next check is due a minute after it
    // closes, not after its backoff (20 minutes), while it still holds the order.
    const closes = stripeApi.session(sessionId).expires_at * 1000;
    for (const at of [16, 21, 31]) await runCron(createdAt + at * MINUTE);
    expect((await ledgerOf(created.order_id))[0]).toMatchObject({ reconcile_attempts: 3, reconcile_after: closes + MINUTE });
    stripeApi.paySession(sessionId);
    await runCron(closes + MINUTE);
    expect(await order(created.order_id)).toMatchObject({ status: "CONFIRMED" });
    expect(await attentionOfOrder(created.order_id)).toEqual([]);
  });

  it("is checked against the order's total: a different amount is amount_mismatch, not confirmed", async () => {
    const { order: created, sessionId, createdAt } = await orderWithSession();
    stripeApi.paySession(sessionId, { amount: 100 });
    await runCron(createdAt + 16 * MINUTE);
    expect(await order(created.order_id)).toMatchObject({ status: "AWAITING_PAYMENT" });
    expect((await eventsOf(created.order_id)).map((e) => e.outcome)).toEqual(["amount_mismatch"]);
    const items = (await openItems("amount_mismatch")).filter((i) => i.order_id === created.order_id);
    expect(items).toHaveLength(1);
  });

  it("a payment_intent.succeeded webhook that came first leaves one payment: the session's placeholder is retired", async () => {
    const { order: created, sessionId, createdAt } = await orderWithSession();
    const paid = stripeApi.paySession(sessionId);
    const intent = await exports.default.fetch(
      await signedStripeRequest(
        paymentIntentSucceeded({ id: paid.payment_intent as string, amount: 1250, metadata: { order_id: created.order_id } }),
      ),
    );
    expect(await intent.json()).toMatchObject({ outcome: "confirmed" });
    await runCron(createdAt + 16 * MINUTE);
    expect((await eventsOf(created.order_id)).map((e) => e.outcome)).toEqual(["confirmed", "duplicate"]);
    expect(await ledgerOf(created.order_id)).toEqual([expect.objectContaining({ provider_ref: paid.payment_intent, status: "succeeded", confirmed_order: 1 })]);
  });
});

describe("sessions that were not paid", () => {
  it("an expired session is recorded canceled on its row, and the order expires with its reservation", async () => {
    const { order: created, sessionId, productId } = await orderWithSession();
    stripeApi.expireSession(sessionId);
    // The run that learns it expired may run the expiry job first; the next one releases it.
    await runCron(Date.parse(created.reserved_until!) + MINUTE);
    expect(await ledgerOf(created.order_id)).toEqual([expect.objectContaining({ provider_ref: sessionId, status: "canceled" })]);
    await runCron(Date.parse(created.reserved_until!) + 2 * MINUTE);
    expect(await order(created.order_id)).toMatchObject({ status: "CANCELLED" });
    expect(await product(productId)).toEqual({ stock: 50, stock_reserved: 0 });
  });

  it("a session completed with a delayed method is recorded pending on its intent, and holds the order", async () => {
    const { order: created, sessionId, createdAt } = await orderWithSession();
    const started = stripeApi.startDelayedPayment(sessionId);
    await runCron(createdAt + 16 * MINUTE);
    expect(await ledgerOf(created.order_id)).toEqual([
      expect.objectContaining({ provider_ref: started.payment_intent, status: "pending", checkout_session_ref: sessionId, checkout_expires_at: null }),
    ]);
    await runCron(Date.parse(created.reserved_until!) + MINUTE);
    expect(await order(created.order_id)).toMatchObject({ status: "AWAITING_PAYMENT" });
  });

  it("an open session is asked about again after a wait that grows: 5 minutes, then 10", async () => {
    const { order: created, sessionId, createdAt } = await orderWithSession();
    const t = createdAt + 16 * MINUTE;
    await runCron(t);
    expect(retrievals(sessionId)).toHaveLength(1);
    expect((await ledgerOf(created.order_id))[0]).toMatchObject({ status: "pending", reconcile_attempts: 1, reconcile_after: t + 5 * MINUTE });
    await runCron(t + 4 * MINUTE);
    expect(retrievals(sessionId)).toHaveLength(1);
    await runCron(t + 5 * MINUTE);
    expect(retrievals(sessionId)).toHaveLength(2);
    expect((await ledgerOf(created.order_id))[0]).toMatchObject({ reconcile_attempts: 2, reconcile_after: t + 15 * MINUTE });
  });
});

describe("the job's bounds and Stripe's failures", () => {
  it(`asks about at most ${RECONCILE_BATCH_LIMIT} sessions per run`, async () => {
    const productId = await createProduct({ stock: 100 });
    const made = [];
    for (let i = 0; i < RECONCILE_BATCH_LIMIT + 5; i++) made.push(await orderWithSession({ productId }));
    const t = Math.max(...made.map((m) => m.createdAt)) + 16 * MINUTE;
    await runCron(t);
    expect(retrievals()).toHaveLength(RECONCILE_BATCH_LIMIT);
    await runCron(t + MINUTE);
    expect(new Set(retrievals().map((r) => r.path)).size).toBeGreaterThanOrEqual(RECONCILE_BATCH_LIMIT + 5);
  });

  it("an outage is one attention item, stops the run at the first failure, never stops the other jobs, and settles itself", async () => {
    const sessions = [await orderWithSession(), await orderWithSession(), await orderWithSession()];
    // An unpaid order without checkout whose reservation has run out: the expiry job's work.
    const p = await createProduct({ stock: 5, reserved: 1 });
    const expired = await createOrder({ lines: [{ productId: p, quantity: 1 }], reservedUntil: Date.now() - MINUTE });
    const t = Math.max(...sessions.map((s) => s.createdAt)) + 16 * MINUTE;
    for (const answer of [STRIPE_ERRORS.serverError(), STRIPE_ERRORS.rateLimited(), "network-error" as const]) {
      stripeApi.answerNext(answer);
      await runCron(t);
    }
    expect(retrievals()).toHaveLength(3);
    expect(await order(expired.id)).toMatchObject({ status: "CANCELLED" });
    const [item, ...more] = await openItems("stripe_unreachable");
    expect(more).toEqual([]);
    expect(item!.order_id).toBeNull();
    expect(describeAttention(item!).action).toContain("status.stripe.com");
    // Stripe is back: the sessions are asked about and the item settles itself.
    await runCron(t);
    expect(await openItems("stripe_unreachable")).toEqual([]);
    const { results } = await env.DB.prepare("SELECT resolved_by, resolution_note FROM attention_items WHERE kind = 'stripe_unreachable'").all();
    expect(results).toEqual([{ resolved_by: "system", resolution_note: "settled: Stripe answered the reconciliation job again" }]);
    expect(retrievals().length).toBeGreaterThan(3);
  });

  it("a revoked key is one item that says which secret to set", async () => {
    const { createdAt } = await orderWithSession();
    await orderWithSession();
    stripeApi.revokeKey(FAKE_STRIPE_KEY);
    await runCron(createdAt + 16 * MINUTE);
    await runCron(createdAt + 17 * MINUTE);
    expect(retrievals()).toHaveLength(2);
    const items = await openItems("stripe_unreachable");
    expect(items).toHaveLength(1);
    const words = describeAttention(items[0]!);
    expect(words.happened).toContain("Invalid API Key provided: sk_test_****0000 (HTTP 401)");
    expect(words.action).toContain("npx wrangler secret put STRIPE_SECRET_KEY");
    expect(JSON.stringify(items[0])).not.toContain(FAKE_STRIPE_KEY);
    stripeApi.reset();
    await runCron(createdAt + 18 * MINUTE);
    expect(await openItems("stripe_unreachable")).toEqual([]);
  });

  it("a session Stripe does not know (another account's) only waits longer; the others are still asked about", async () => {
    const { order: created, createdAt } = await orderWithSession();
    const { sessionId } = await orderWithSession();
    await env.DB.prepare("UPDATE payments SET provider_ref = 'cs_test_elsewhere', checkout_session_ref = 'cs_test_elsewhere' WHERE order_id = ?")
      .bind(created.order_id)
      .run();
    await runCron(createdAt + 16 * MINUTE);
    expect(retrievals("cs_test_elsewhere")).toEqual([expect.objectContaining({ status: 404 })]);
    expect(retrievals(sessionId)).toHaveLength(1);
    expect((await ledgerOf(created.order_id))[0]).toMatchObject({ status: "pending", reconcile_attempts: 1 });
    expect(await openItems("stripe_unreachable")).toEqual([]);
  });

  it("without STRIPE_SECRET_KEY nothing is asked", async () => {
    const { createdAt } = await orderWithSession();
    stripeApi.reset();
    await runCron(createdAt + 16 * MINUTE, { STRIPE_SECRET_KEY: "" } as Partial<Env>);
    expect(stripeApi.requests).toHaveLength(0);
  });
});
