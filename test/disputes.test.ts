// Disputes (Stripe's charge.dispute.*): the payment's dispute state in the ledger, found by the
// dispute's payment intent (its ch_ id may be one we have never seen), and one `dispute` item
// with the amount, the reason, the evidence deadline and what to do. A win settles the item; a
// loss keeps it, saying the money is gone. Events repeat and arrive out of order.
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ATTENTION_SELECT } from "../src/attention/attentionQuery";
import { describeAttention, type AttentionRow } from "../src/attention/describeAttention";
import { attentionOf, createOrder, createProduct, order, product } from "./support/shop";
import { checkoutSessionCompleted, disputeEvent, refundEvent, signedStripeRequest } from "./support/stripeEvents";

const TOTAL = 3998;
const send = async (event: object) => (await exports.default.fetch(await signedStripeRequest(event))).json<{ outcome: string; order_id?: string }>();

async function paidOrder() {
  const productId = await createProduct({ stock: 10, reserved: 2 });
  const o = await createOrder({ lines: [{ productId, quantity: 2, unitPriceCents: 1999 }] });
  const pi = `pi_test_${crypto.randomUUID().slice(0, 8)}`;
  expect(await send(checkoutSessionCompleted({ clientReferenceId: o.id, amountTotal: TOTAL, paymentIntent: pi }))).toMatchObject({ outcome: "confirmed" });
  return { ...o, productId, pi };
}

async function words(itemId: number) {
  const row = await env.DB.prepare(`${ATTENTION_SELECT} WHERE a.id = ?`).bind(itemId).first<AttentionRow>();
  return describeAttention(row!);
}
const dispute = (ref: string) => env.DB.prepare("SELECT status, reason, amount_cents, evidence_due_by, funds, charge_ref FROM disputes WHERE dispute_ref = ?").bind(ref).first();

// 2030-01-15 12:00 UTC, in Stripe's unix seconds.
const DUE_BY = Date.UTC(2030, 0, 15, 12) / 1000;

describe("disputes", () => {
  it("created: the dispute is recorded and raises an item with amount, reason, deadline and what to do; the order is untouched", async () => {
    const o = await paidOrder();
    const res = await send(disputeEvent("created", { id: "du_test_open", paymentIntent: o.pi, charge: "ch_test_never_seen", amount: TOTAL, reason: "product_not_received", dueBy: DUE_BY }));
    expect(res).toMatchObject({ outcome: "dispute_recorded", order_id: o.id });

    expect(await dispute("du_test_open")).toEqual({
      status: "needs_response", reason: "product_not_received", amount_cents: TOTAL, evidence_due_by: DUE_BY * 1000, funds: null, charge_ref: "ch_test_never_seen",
    });
    const items = await attentionOf(o.id);
    expect(items).toMatchObject([{ kind: "dispute", key: "dispute:stripe:du_test_open", resolved_at: null }]);
    const said = await words(items[0]!.id);
    expect(said.happened).toContain("39.98 EUR");
    expect(said.happened).toContain("product_not_received");
    expect(said.action).toContain("before 2030-01-15");
    expect(said.action).toContain("Stripe dashboard");
    expect(said.action).toContain("hold the shipment");
    expect((await order(o.id))?.status).toBe("CONFIRMED");
    expect(await product(o.productId)).toEqual({ stock: 8, stock_reserved: 0 });
  });

  it("won: the item settles itself; a late update does not reopen it", async () => {
    const o = await paidOrder();
    await send(disputeEvent("created", { id: "du_test_won", paymentIntent: o.pi }));
    await send(disputeEvent("updated", { id: "du_test_won", paymentIntent: o.pi, status: "under_review" }));
    await send(disputeEvent("funds_withdrawn", { id: "du_test_won", paymentIntent: o.pi, status: "under_review" }));
    expect(await dispute("du_test_won")).toMatchObject({ status: "under_review", funds: "withdrawn" });
    await send(disputeEvent("closed", { id: "du_test_won", paymentIntent: o.pi, status: "won" }));
    await send(disputeEvent("funds_reinstated", { id: "du_test_won", paymentIntent: o.pi, status: "won" }));
    // Out of order: an update from before the close arrives last.
    await send(disputeEvent("updated", { id: "du_test_won", paymentIntent: o.pi, status: "under_review" }));

    expect(await dispute("du_test_won")).toMatchObject({ status: "won", funds: "reinstated" });
    const items = await attentionOf(o.id);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ kind: "dispute", resolved_by: "system" });
    expect(items[0]!.resolution_note).toContain("closed as won");
  });

  it("lost: the item stays on the list, saying the money is gone", async () => {
    const o = await paidOrder();
    await send(disputeEvent("created", { id: "du_test_lost", paymentIntent: o.pi }));
    await send(disputeEvent("closed", { id: "du_test_lost", paymentIntent: o.pi, status: "lost" }));
    const [item] = await attentionOf(o.id);
    expect(item).toMatchObject({ kind: "dispute", resolved_at: null });
    expect(JSON.parse(item!.detail!)).toMatchObject({ status: "lost" });
    expect((await words(item!.id)).happened).toContain("the money is gone");
  });

  it("a dispute of a payment the ledger has never seen is recorded and still raised", async () => {
    expect(await send(disputeEvent("created", { id: "du_test_stranger", paymentIntent: "pi_test_stranger" }))).toMatchObject({ outcome: "dispute_recorded" });
    const item = await env.DB.prepare("SELECT kind, order_id FROM attention_items WHERE key = 'dispute:stripe:du_test_stranger'").first();
    expect(item).toEqual({ kind: "dispute", order_id: null });
  });

  it("a dispute of a charge made without a payment intent (the Charges API) is recorded under its ch_ id and raised", async () => {
    const res = await send(disputeEvent("created", { id: "du_test_legacy", paymentIntent: null, charge: "ch_test_legacy" }));
    expect(res).toMatchObject({ outcome: "dispute_recorded" });
    expect(await env.DB.prepare("SELECT payment_ref, charge_ref FROM disputes WHERE dispute_ref = 'du_test_legacy'").first()).toEqual({
      payment_ref: "ch_test_legacy",
      charge_ref: "ch_test_legacy",
    });
    const item = await env.DB.prepare("SELECT id, kind, order_id FROM attention_items WHERE key = 'dispute:stripe:du_test_legacy'").first<{ id: number }>();
    expect(item).toMatchObject({ kind: "dispute", order_id: null });
    expect((await words(item!.id)).happened).not.toContain("(unknown)");
  });

  it("words in the currency's own unit: a 5000 JPY dispute reads 5,000 JPY, a failed 12.345 KWD refund 12.345 KWD", async () => {
    await send(disputeEvent("created", { id: "du_test_jpy", paymentIntent: "pi_test_jpy", amount: 5000, currency: "jpy" }));
    const jpy = await env.DB.prepare("SELECT id FROM attention_items WHERE key = 'dispute:stripe:du_test_jpy'").first<{ id: number }>();
    expect((await words(jpy!.id)).happened).toContain("5,000 JPY");
    await send(refundEvent("refund.failed", { id: "re_test_kwd", paymentIntent: "pi_test_kwd", amount: 12345, currency: "kwd", status: "failed" }));
    const kwd = await env.DB.prepare("SELECT id FROM attention_items WHERE key = 'refund_failed:stripe:re_test_kwd'").first<{ id: number }>();
    expect((await words(kwd!.id)).happened).toContain("12.345 KWD");
  });
});
