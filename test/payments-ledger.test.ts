// The payments ledger: one row per payment, written in the batch of its decision, never
// pruned; paid_twice is decided from it whichever endpoints the two payments came through and
// however old the first one is. The backfill (migration 0006) gives orders confirmed before
// the ledger the row of their confirming payment.
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { attentionOf, createOrder, createProduct, deliver, deliverWithEnv, eventsOf, order, runCron } from "./support/shop";
import { checkoutSessionCompleted, paymentIntentPaymentFailed, paymentIntentSucceeded, signedStripeRequest } from "./support/stripeEvents";

const DAY = 86_400_000;
const quiet = { INVOICE_QUEUE: { sendBatch: async () => {}, send: async () => {} } as unknown as Queue };
const TOTAL = 3998;

async function awaitingOrder() {
  const productId = await createProduct({ stock: 10, reserved: 2 });
  return createOrder({ lines: [{ productId, quantity: 2, unitPriceCents: 1999 }] });
}
const stripe = async (event: object) => (await exports.default.fetch(await signedStripeRequest(event))).json<{ outcome: string }>();
const generic = async (body: Record<string, unknown>) => (await deliver(body)).json<{ outcome: string }>();

async function paymentsOf(orderId: string) {
  const { results } = await env.DB.prepare(
    "SELECT provider, provider_ref, ref_from_provider, status, amount_cents, currency, refunded_cents, confirmed_order FROM payments WHERE order_id = ? ORDER BY id",
  )
    .bind(orderId)
    .all();
  return results;
}

describe("the payments ledger", () => {
  it("records the confirming payment with its amount, and a failed one, in the batch of the decision", async () => {
    const { id } = await awaitingOrder();
    await stripe(paymentIntentPaymentFailed({ id: "pi_test_ledger_failed_first", metadata: { order_id: id }, amount: TOTAL }));
    await stripe(checkoutSessionCompleted({ clientReferenceId: id, amountTotal: TOTAL, paymentIntent: "pi_test_ledger_ok" }));
    expect(await paymentsOf(id)).toEqual([
      { provider: "stripe", provider_ref: "pi_test_ledger_failed_first", ref_from_provider: 1, status: "failed", amount_cents: null, currency: null, refunded_cents: 0, confirmed_order: 0 },
      { provider: "stripe", provider_ref: "pi_test_ledger_ok", ref_from_provider: 1, status: "succeeded", amount_cents: TOTAL, currency: "EUR", refunded_cents: 0, confirmed_order: 1 },
    ]);
  });

  it("a generic payment without payment_id is the order's anonymous payment, with the order's total", async () => {
    const { id } = await awaitingOrder();
    expect(await generic({ order_id: id, status: "paid" })).toMatchObject({ outcome: "confirmed" });
    expect(await paymentsOf(id)).toEqual([
      { provider: "generic", provider_ref: `order:${id}`, ref_from_provider: 0, status: "succeeded", amount_cents: TOTAL, currency: "EUR", refunded_cents: 0, confirmed_order: 1 },
    ]);
  });

  it("paid through the generic endpoint, then through Stripe with another payment: paid_twice", async () => {
    const { id } = await awaitingOrder();
    expect(await generic({ order_id: id, status: "paid" })).toMatchObject({ outcome: "confirmed" });
    expect(await stripe(paymentIntentSucceeded({ id: "pi_test_second_via_stripe", metadata: { order_id: id }, amount: TOTAL }))).toMatchObject({ outcome: "paid_twice" });
    const items = await attentionOf(id);
    expect(items).toMatchObject([{ kind: "paid_twice" }]);
    expect(JSON.parse(items[0]!.detail!)).toEqual({ confirmed_by: null, confirmed_via: "generic" });
    expect((await paymentsOf(id)).map((p) => [p.provider_ref, p.confirmed_order])).toEqual([
      [`order:${id}`, 1],
      ["pi_test_second_via_stripe", 0],
    ]);
  });

  it("paid through Stripe, then through the generic endpoint with a payment_id: paid_twice", async () => {
    const { id } = await awaitingOrder();
    await stripe(checkoutSessionCompleted({ clientReferenceId: id, amountTotal: TOTAL, paymentIntent: "pi_test_first_stripe" }));
    expect(await generic({ order_id: id, status: "paid", payment_id: "txn_second_generic" })).toMatchObject({ outcome: "paid_twice" });
    expect(await attentionOf(id)).toMatchObject([{ kind: "paid_twice" }]);
  });

  it("generic payment_ids: the same one is a duplicate, another is paid_twice; without one it stays duplicate", async () => {
    const { id } = await awaitingOrder();
    expect(await generic({ order_id: id, status: "paid", payment_id: "txn_a" })).toMatchObject({ outcome: "confirmed" });
    expect(await generic({ order_id: id, status: "paid", payment_id: "txn_a" })).toMatchObject({ outcome: "duplicate" });
    expect(await generic({ order_id: id, status: "paid" })).toMatchObject({ outcome: "duplicate" });
    expect(await generic({ order_id: id, status: "paid", payment_id: "txn_b" })).toMatchObject({ outcome: "paid_twice" });

    const anonymous = await awaitingOrder();
    expect(await generic({ order_id: anonymous.id, status: "paid" })).toMatchObject({ outcome: "confirmed" });
    expect(await generic({ order_id: anonymous.id, status: "paid" })).toMatchObject({ outcome: "duplicate" });
    // Nothing tells this from the first payment's retry with its id added.
    expect(await generic({ order_id: anonymous.id, status: "paid", payment_id: "txn_c" })).toMatchObject({ outcome: "duplicate" });
    expect(await attentionOf(anonymous.id)).toEqual([]);
  });

  it("refuses a payment_id that is not printable ASCII, and changes nothing", async () => {
    const { id } = await awaitingOrder();
    const res = await deliver({ order_id: id, status: "paid", payment_id: "txn\u001b[31m" });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ details: [{ field: "payment_id" }] });
    expect((await order(id))?.status).toBe("AWAITING_PAYMENT");
  });

  it("paid_twice still works once the confirming event is pruned from the audit log", async () => {
    const { id } = await awaitingOrder();
    await stripe(checkoutSessionCompleted({ clientReferenceId: id, amountTotal: TOTAL, paymentIntent: "pi_test_old_first" }));
    await env.DB.prepare("UPDATE webhook_events SET received_at = ? WHERE order_id = ?").bind(Date.now() - 500 * DAY, id).run();
    await runCron(Date.now(), quiet);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM webhook_events WHERE order_id = ?").bind(id).first()).toEqual({ n: 0 });

    expect(await stripe(paymentIntentSucceeded({ id: "pi_test_late_second", metadata: { order_id: id }, amount: TOTAL }))).toMatchObject({ outcome: "paid_twice" });
    // And the first payment's own replay is still a duplicate.
    expect(await stripe(paymentIntentSucceeded({ id: "pi_test_old_first", metadata: { order_id: id }, amount: TOTAL }))).toMatchObject({ outcome: "duplicate" });
    expect(await attentionOf(id)).toMatchObject([{ kind: "paid_twice" }]);
  });
});

describe("repeats of a confirming payment", () => {
  /** The real D1 binding, counting the statements of each batch the Worker sends. */
  function countingDb() {
    const batches: number[] = [];
    const db = new Proxy(env.DB, {
      get(target, prop) {
        if (prop === "batch") return (statements: D1PreparedStatement[]) => (batches.push(statements.length), target.batch(statements));
        const value = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    return { db, batches };
  }
  const genericPaid = (orderId: string, extra: Record<string, unknown> = {}) =>
    new Request("https://shop.test/api/webhooks/payment/", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Webhook-Key": "test-webhook-key-current-not-a-secret" },
      body: JSON.stringify({ order_id: orderId, status: "paid", ...extra }),
    });

  it("are recorded by one statement once the isolate knows the payment confirmed, with the same answer and audit row", async () => {
    const { id } = await awaitingOrder();
    const { db, batches } = countingDb();
    const first = await (await deliverWithEnv({ DB: db }, genericPaid(id, { payment_id: "txn_repeat" }))).json();
    const repeat = await deliverWithEnv({ DB: db }, genericPaid(id, { payment_id: "txn_repeat" }));
    expect(first).toMatchObject({ outcome: "confirmed" });
    expect(repeat.status).toBe(200);
    expect(await repeat.json()).toEqual({ message: "Webhook received", order_id: id, outcome: "duplicate", order_status: "CONFIRMED" });
    expect(batches).toEqual([8, 1]);
    const events = await eventsOf(id);
    expect(events.map((e) => [e.outcome, e.http_status, e.order_status])).toEqual([["confirmed", 200, "AWAITING_PAYMENT"], ["duplicate", 200, "CONFIRMED"]]);
    // Another payment of the order is not a repeat: the full batch decides it.
    expect(await (await deliverWithEnv({ DB: db }, genericPaid(id, { payment_id: "txn_other" }))).json()).toMatchObject({ outcome: "paid_twice" });
    expect(batches).toEqual([8, 1, 8]);
  });

  it("a stale hint (another tool put the order back to AWAITING_PAYMENT) writes nothing and the full batch decides", async () => {
    // Enough reserved for two confirmations, so the second one reaches the invoice rule.
    const productId = await createProduct({ stock: 10, reserved: 4 });
    const { id } = await createOrder({ lines: [{ productId, quantity: 2, unitPriceCents: 1999 }] });
    const { db, batches } = countingDb();
    await deliverWithEnv({ DB: db }, genericPaid(id));
    await env.DB.prepare("UPDATE orders SET status = 'AWAITING_PAYMENT' WHERE id = ?").bind(id).run();
    const res = await deliverWithEnv({ DB: db }, genericPaid(id));
    // Its invoice exists already: a data error for a human, as without the hint.
    expect(res.status).toBe(422);
    expect(batches.slice(0, 3)).toEqual([8, 1, 8]);
    expect((await eventsOf(id)).map((e) => e.outcome)).toEqual(["confirmed", "data_error"]);
  });
});

describe("the ledger's backfill (migration 0006)", () => {
  it("gives orders confirmed before the ledger the row of their confirming payment, from the events that still exist", async () => {
    const productId = await createProduct({ stock: 10 });
    const viaStripe = await createOrder({ status: "CONFIRMED", lines: [{ productId, quantity: 3, unitPriceCents: 500 }] });
    const viaGeneric = await createOrder({ status: "CONFIRMED", lines: [{ productId, quantity: 1, unitPriceCents: 700 }] });
    const pruned = await createOrder({ status: "CONFIRMED", lines: [{ productId, quantity: 1, unitPriceCents: 700 }] });
    const twice = await createOrder({ status: "CONFIRMED", lines: [{ productId, quantity: 1, unitPriceCents: 700 }] });
    const insert = (orderId: string, outcome: string, provider: string, ref: string | null) =>
      env.DB.prepare(
        "INSERT INTO webhook_events (received_at, request_id, order_id, payment_status, outcome, http_status, provider, provider_ref) VALUES (?, ?, ?, 'paid', ?, 200, ?, ?)",
      ).bind(Date.now() - DAY, crypto.randomUUID(), orderId, outcome, provider, ref);
    await env.DB.batch([
      insert(viaStripe.id, "confirmed", "stripe", "pi_test_backfill"),
      insert(viaGeneric.id, "confirmed", "generic", null),
      insert(twice.id, "confirmed", "stripe", "pi_test_backfill_first"),
      insert(twice.id, "paid_twice", "stripe", "pi_test_backfill_second"),
    ]);

    const backfill = env.TEST_MIGRATIONS.find((m) => m.name.startsWith("0006_"))!;
    expect(backfill.name).toBe("0006_payments_backfill.sql");
    await env.DB.batch(backfill.queries.map((q) => env.DB.prepare(q)));
    // Running it again (or over rows the ledger already has) adds nothing.
    await env.DB.batch(backfill.queries.map((q) => env.DB.prepare(q)));

    expect(await paymentsOf(viaStripe.id)).toEqual([
      { provider: "stripe", provider_ref: "pi_test_backfill", ref_from_provider: 1, status: "succeeded", amount_cents: 1500, currency: "EUR", refunded_cents: 0, confirmed_order: 1 },
    ]);
    expect(await paymentsOf(viaGeneric.id)).toEqual([
      { provider: "generic", provider_ref: `order:${viaGeneric.id}`, ref_from_provider: 0, status: "succeeded", amount_cents: 700, currency: "EUR", refunded_cents: 0, confirmed_order: 1 },
    ]);
    expect(await paymentsOf(pruned.id)).toEqual([]);
    expect((await paymentsOf(twice.id)).map((p) => [p.provider_ref, p.confirmed_order])).toEqual([
      ["pi_test_backfill_first", 1],
      ["pi_test_backfill_second", 0],
    ]);

    // And paid_twice now works for them, whichever endpoint the second payment comes through.
    expect(await stripe(paymentIntentSucceeded({ metadata: { order_id: viaGeneric.id }, amount: 700 }))).toMatchObject({ outcome: "paid_twice" });
    expect(await generic({ order_id: viaStripe.id, status: "paid", payment_id: "txn_after_backfill" })).toMatchObject({ outcome: "paid_twice" });
    // Without a row (its event was pruned), the old answer: duplicate.
    expect(await stripe(paymentIntentSucceeded({ metadata: { order_id: pruned.id }, amount: 700 }))).toMatchObject({ outcome: "duplicate" });
  });
});
