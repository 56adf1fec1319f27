// Refunds made at the provider (Stripe's charge.refunded and refund.*), end to end in workerd:
// Stripe-shaped events signed by Stripe's own test signer, through the real route, the refund
// transition and D1. Events repeat, arrive out of order and race; refunded_cents only goes up,
// a full refund of the confirming payment cancels a CONFIRMED order and restocks it exactly
// once, and every increase gets its credit note when the order has an invoice.
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { postmark } from "./support/fakePostmark";
import { attentionOf, createOrder, createProduct, deliverWithEnv, eventually, order, product } from "./support/shop";
import {
  chargeRefunded,
  checkoutSessionCompleted,
  paymentIntentSucceeded,
  refundEvent,
  signedStripeRequest,
} from "./support/stripeEvents";

const TOTAL = 3998;
type Answer = { outcome: string; order_status?: string; credit_note_number?: string };

async function confirmedOrder(opts: { currency?: string; unitPriceCents?: number } = {}) {
  const productId = await createProduct({ stock: 10, reserved: 2 });
  const o = await createOrder({ lines: [{ productId, quantity: 2, unitPriceCents: opts.unitPriceCents ?? 1999 }] });
  const total = 2 * (opts.unitPriceCents ?? 1999);
  const currency = opts.currency ?? "eur";
  if (opts.currency) await env.DB.prepare("UPDATE orders SET currency = ? WHERE id = ?").bind(currency.toUpperCase(), o.id).run();
  const pi = `pi_test_${crypto.randomUUID().slice(0, 8)}`;
  const res = await send(checkoutSessionCompleted({ clientReferenceId: o.id, amountTotal: total, currency, paymentIntent: pi }));
  expect(res).toMatchObject({ outcome: "confirmed" });
  expect(await product(productId)).toEqual({ stock: 8, stock_reserved: 0 });
  return { ...o, productId, pi, total };
}

async function send(event: object): Promise<Answer> {
  return (await exports.default.fetch(await signedStripeRequest(event))).json<Answer>();
}

/** Delivers through the real Worker with a queue that records what is sent to it. */
async function sendCapturing(event: object) {
  const sent: unknown[] = [];
  const queue = { send: async (body: unknown) => void sent.push(body), sendBatch: async () => {} } as unknown as Queue;
  const res = await deliverWithEnv({ INVOICE_QUEUE: queue }, await signedStripeRequest(event));
  return { answer: await res.json<Answer>(), sent };
}

const ledger = (pi: string) =>
  env.DB.prepare("SELECT status, amount_cents, refunded_cents, confirmed_order FROM payments WHERE provider_ref = ?").bind(pi).first();
async function creditNotesOf(orderId: string) {
  const { results } = await env.DB.prepare(
    "SELECT c.refund_key, c.series, c.seq, c.number, c.amount_cents, c.currency, c.status, c.next_attempt_at IS NOT NULL AS due, i.number AS invoice FROM credit_notes c JOIN invoices i ON i.id = c.invoice_id WHERE c.order_id = ? ORDER BY c.seq",
  )
    .bind(orderId)
    .all<{ refund_key: string; number: string; amount_cents: number; currency: string; seq: number; series: string }>();
  return results;
}

describe("refunds", () => {
  it("a partial refund records the refund, keeps the order CONFIRMED and allocates a queued credit note", async () => {
    const o = await confirmedOrder();
    const { answer, sent } = await sendCapturing(refundEvent("refund.created", { id: "re_test_partial", paymentIntent: o.pi, amount: 500 }));

    expect(answer).toMatchObject({ outcome: "refund_recorded", order_status: "CONFIRMED", credit_note_number: expect.stringMatching(/^CN-\d{4}-\d{6}$/) });
    expect((await order(o.id))?.status).toBe("CONFIRMED");
    expect(await product(o.productId)).toEqual({ stock: 8, stock_reserved: 0 });
    expect(await ledger(o.pi)).toEqual({ status: "succeeded", amount_cents: TOTAL, refunded_cents: 500, confirmed_order: 1 });
    const notes = await creditNotesOf(o.id);
    expect(notes).toMatchObject([{ refund_key: "stripe:re_test_partial", amount_cents: 500, currency: "EUR", status: "PENDING", due: 1 }]);
    expect(notes[0]!.number).toBe(answer.credit_note_number);
    const id = (await env.DB.prepare("SELECT id FROM credit_notes WHERE refund_key = 'stripe:re_test_partial'").first<{ id: number }>())!.id;
    expect(sent).toEqual([{ kind: "credit_note", creditNoteId: id }]);
  });

  it("a full refund (charge.refunded) cancels the CONFIRMED order and puts its goods back, once", async () => {
    const o = await confirmedOrder();
    await send(refundEvent("refund.updated", { id: "re_test_first_part", paymentIntent: o.pi, amount: 1000 }));
    const answer = await send(chargeRefunded({ paymentIntent: o.pi, amount: TOTAL, amountRefunded: TOTAL }));

    expect(answer).toMatchObject({ outcome: "order_refunded", order_status: "CANCELLED" });
    expect((await order(o.id))?.status).toBe("CANCELLED");
    expect(await product(o.productId)).toEqual({ stock: 10, stock_reserved: 0 });
    expect(await ledger(o.pi)).toMatchObject({ refunded_cents: TOTAL });
    // The notes add up to what went back: the part by its refund id, the rest by the total it reached.
    expect((await creditNotesOf(o.id)).map((n) => [n.refund_key, n.amount_cents])).toEqual([
      ["stripe:re_test_first_part", 1000],
      [`stripe:${o.pi}:refunded:${TOTAL}`, TOTAL - 1000],
    ]);

    // Repeats and the late refund.* events of the same money change nothing.
    expect(await send(chargeRefunded({ paymentIntent: o.pi, amount: TOTAL, amountRefunded: TOTAL }))).toMatchObject({ outcome: "refund_recorded" });
    expect(await send(refundEvent("refund.updated", { id: "re_test_rest", paymentIntent: o.pi, amount: TOTAL - 1000 }))).toMatchObject({ outcome: "refund_recorded" });
    expect(await product(o.productId)).toEqual({ stock: 10, stock_reserved: 0 });
    expect(await ledger(o.pi)).toMatchObject({ refunded_cents: TOTAL });
    expect(await creditNotesOf(o.id)).toHaveLength(2);
    // A replay of the payment that confirmed the order is still a replay, not money for a cancelled order.
    expect(await send(paymentIntentSucceeded({ id: o.pi, metadata: { order_id: o.id }, amount: TOTAL }))).toMatchObject({ outcome: "duplicate" });
    expect(await attentionOf(o.id)).toEqual([]);
  });

  it("out of order and repeated: refunded_cents never goes down and no refund counts twice", async () => {
    const o = await confirmedOrder();
    const created = refundEvent("refund.created", { id: "re_test_ooo", paymentIntent: o.pi, amount: 700, status: "pending" });
    const succeeded = refundEvent("refund.updated", { id: "re_test_ooo", paymentIntent: o.pi, amount: 700, status: "succeeded" });
    const staleTotal = chargeRefunded({ paymentIntent: o.pi, amount: TOTAL, amountRefunded: 0 });

    expect(await send(succeeded)).toMatchObject({ outcome: "refund_recorded" });
    await send(created); // older, arrives later
    await send(staleTotal);
    await send(succeeded); // a repeat
    await send(chargeRefunded({ paymentIntent: o.pi, amount: TOTAL, amountRefunded: 700 }));

    expect(await ledger(o.pi)).toMatchObject({ refunded_cents: 700 });
    expect(await env.DB.prepare("SELECT status FROM refunds WHERE refund_ref = 're_test_ooo'").first()).toEqual({ status: "succeeded" });
    expect((await creditNotesOf(o.id)).map((n) => n.amount_cents)).toEqual([700]);
    expect((await order(o.id))?.status).toBe("CONFIRMED");
  });

  it("two refund events for one charge racing: both count, the order is cancelled and restocked once", async () => {
    const o = await confirmedOrder();
    const answers = await Promise.all([
      send(refundEvent("refund.created", { id: "re_test_race_a", paymentIntent: o.pi, amount: 1000 })),
      send(refundEvent("refund.created", { id: "re_test_race_b", paymentIntent: o.pi, amount: TOTAL - 1000 })),
      send(chargeRefunded({ paymentIntent: o.pi, amount: TOTAL, amountRefunded: TOTAL })),
    ]);

    expect(answers.filter((a) => a.outcome === "order_refunded")).toHaveLength(1);
    expect((await order(o.id))?.status).toBe("CANCELLED");
    expect(await product(o.productId)).toEqual({ stock: 10, stock_reserved: 0 });
    expect(await ledger(o.pi)).toMatchObject({ refunded_cents: TOTAL });
    const notes = await creditNotesOf(o.id);
    expect(notes.reduce((sum, n) => sum + n.amount_cents, 0)).toBe(TOTAL);
    // Gapless: consecutive numbers in the series.
    const seqs = notes.map((n) => n.seq);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
  });

  it("a full refund racing another tool shipping the order: either cancelled and restocked, or shipped and not", async () => {
    for (let round = 0; round < 3; round++) {
      const o = await confirmedOrder();
      const [answer] = await Promise.all([
        send(chargeRefunded({ paymentIntent: o.pi, amount: TOTAL, amountRefunded: TOTAL })),
        env.DB.prepare("UPDATE orders SET status = 'SHIPPED' WHERE id = ? AND status = 'CONFIRMED'").bind(o.id).run(),
      ]);
      const status = (await order(o.id))?.status;
      const stock = await product(o.productId);
      if (status === "CANCELLED") {
        expect(answer.outcome).toBe("order_refunded");
        expect(stock).toEqual({ stock: 10, stock_reserved: 0 });
      } else {
        expect(status).toBe("SHIPPED");
        expect(answer.outcome).toBe("refund_recorded");
        expect(stock).toEqual({ stock: 8, stock_reserved: 0 });
      }
      expect(await ledger(o.pi)).toMatchObject({ refunded_cents: TOTAL });
    }
  });

  it("SHIPPED and DELIVERED orders keep their status and stock; the refund still gets its credit note", async () => {
    for (const status of ["SHIPPED", "DELIVERED"]) {
      const o = await confirmedOrder();
      await env.DB.prepare("UPDATE orders SET status = ? WHERE id = ?").bind(status, o.id).run();
      expect(await send(chargeRefunded({ paymentIntent: o.pi, amount: TOTAL, amountRefunded: TOTAL }))).toMatchObject({ outcome: "refund_recorded", order_status: status });
      expect((await order(o.id))?.status).toBe(status);
      expect(await product(o.productId)).toEqual({ stock: 8, stock_reserved: 0 });
      expect((await creditNotesOf(o.id)).map((n) => n.amount_cents)).toEqual([TOTAL]);
    }
  });

  it("refunding a second payment in full settles its paid_twice item and changes neither the order nor its stock", async () => {
    const o = await confirmedOrder();
    const second = "pi_test_second_payment_refunded";
    expect(await send(paymentIntentSucceeded({ id: second, metadata: { order_id: o.id }, amount: TOTAL }))).toMatchObject({ outcome: "paid_twice" });
    expect(await send(refundEvent("refund.created", { paymentIntent: second, amount: 1000 }))).toMatchObject({ outcome: "refund_recorded" });
    expect((await attentionOf(o.id)).filter((i) => i.resolved_at === null)).toHaveLength(1);

    expect(await send(chargeRefunded({ paymentIntent: second, amount: TOTAL, amountRefunded: TOTAL }))).toMatchObject({ outcome: "refund_recorded", order_status: "CONFIRMED" });
    expect((await order(o.id))?.status).toBe("CONFIRMED");
    expect(await product(o.productId)).toEqual({ stock: 8, stock_reserved: 0 });
    expect(await creditNotesOf(o.id)).toEqual([]);
    const [item] = await attentionOf(o.id);
    expect(item).toMatchObject({ kind: "paid_twice", resolved_by: "system" });
    expect(item!.resolution_note).toContain(`payment ${second} was refunded in full`);
  });

  it("refund_required (money for a cancelled order) and amount_mismatch settle when refunded in full; no credit note without an invoice", async () => {
    const productId = await createProduct({ stock: 5, reserved: 1 });
    const cancelled = await createOrder({ status: "CANCELLED", lines: [{ productId, quantity: 1, unitPriceCents: 1000 }] });
    await send(paymentIntentSucceeded({ id: "pi_test_for_cancelled", metadata: { order_id: cancelled.id }, amount: 1000 }));
    const mismatched = await createOrder({ lines: [{ productId, quantity: 1, unitPriceCents: 1000 }] });
    await send(paymentIntentSucceeded({ id: "pi_test_mismatched", metadata: { order_id: mismatched.id }, amount: 900 }));
    expect((await attentionOf(cancelled.id)).map((i) => i.kind)).toEqual(["refund_required"]);
    expect((await attentionOf(mismatched.id)).map((i) => i.kind)).toEqual(["amount_mismatch"]);

    await send(refundEvent("refund.updated", { paymentIntent: "pi_test_for_cancelled", amount: 1000 }));
    await send(refundEvent("refund.updated", { paymentIntent: "pi_test_mismatched", amount: 900 }));

    expect(await attentionOf(cancelled.id)).toMatchObject([{ kind: "refund_required", resolved_by: "system" }]);
    expect(await attentionOf(mismatched.id)).toMatchObject([{ kind: "amount_mismatch", resolved_by: "system" }]);
    expect((await order(mismatched.id))?.status).toBe("AWAITING_PAYMENT");
    expect(await env.DB.prepare("SELECT count(*) AS n FROM credit_notes WHERE order_id IN (?, ?)").bind(cancelled.id, mismatched.id).first()).toEqual({ n: 0 });
  });

  it("refund.failed raises one refund_failed item, however often it is delivered", async () => {
    const o = await confirmedOrder();
    const failed = refundEvent("refund.failed", { id: "re_test_failed", paymentIntent: o.pi, amount: 500, status: "failed", failureReason: "expired_or_canceled_card" });
    expect(await send(failed)).toMatchObject({ outcome: "refund_failed" });
    expect(await send(failed)).toMatchObject({ outcome: "refund_failed" });
    const items = await attentionOf(o.id);
    expect(items).toMatchObject([{ kind: "refund_failed", key: "refund_failed:stripe:re_test_failed", resolved_at: null }]);
    expect(JSON.parse(items[0]!.detail!)).toMatchObject({ refund_id: "re_test_failed", refund_cents: 500, failure_reason: "expired_or_canceled_card" });
    expect(await ledger(o.pi)).toMatchObject({ refunded_cents: 0 });
    expect(await creditNotesOf(o.id)).toEqual([]);
  });

  it("JPY: amounts are whole yen, and a full refund of 5000 JPY cancels the order", async () => {
    const o = await confirmedOrder({ currency: "jpy", unitPriceCents: 2500 });
    expect(await ledger(o.pi)).toEqual({ status: "succeeded", amount_cents: 5000, refunded_cents: 0, confirmed_order: 1 });
    expect(await send(refundEvent("refund.created", { paymentIntent: o.pi, amount: 2000, currency: "jpy" }))).toMatchObject({ outcome: "refund_recorded" });
    expect(await send(chargeRefunded({ paymentIntent: o.pi, amount: 5000, amountRefunded: 5000, currency: "jpy" }))).toMatchObject({ outcome: "order_refunded" });
    expect((await creditNotesOf(o.id)).map((n) => [n.amount_cents, n.currency])).toEqual([
      [2000, "JPY"],
      [3000, "JPY"],
    ]);
  });

  it("a refund of a payment the ledger does not know is recorded and changes nothing else", async () => {
    const before = await env.DB.prepare("SELECT count(*) AS n FROM credit_notes").first();
    expect(await send(chargeRefunded({ paymentIntent: "pi_test_never_seen", amount: 1000, amountRefunded: 1000 }))).toMatchObject({ outcome: "refund_recorded" });
    expect(await env.DB.prepare("SELECT count(*) AS n FROM credit_notes").first()).toEqual(before);
    expect(await env.DB.prepare("SELECT outcome, order_id FROM webhook_events WHERE provider_ref = 'pi_test_never_seen'").all()).toMatchObject({
      results: [{ outcome: "refund_recorded", order_id: null }],
    });
  });

  it("through the real queue, the refund's credit note is emailed to the customer once, as a PDF naming its number", async () => {
    const o = await confirmedOrder();
    const answer = await send(refundEvent("refund.created", { id: "re_test_emailed", paymentIntent: o.pi, amount: 1234 }));
    const number = answer.credit_note_number!;
    const row = await eventually(async () => {
      const r = await env.DB.prepare("SELECT status, message_id FROM credit_notes WHERE number = ?").bind(number).first<{ status: string; message_id: string | null }>();
      return r?.status === "SENT" ? r : null;
    });
    expect(row!.message_id).toEqual(expect.any(String));
    const emails = postmark.received.filter((e) => e.body.Attachments.some((a) => a.Name.includes(number)));
    expect(emails).toHaveLength(1);
    expect(emails[0]!.body.To).toContain("customer@example.test");
    expect(emails[0]!.body.Attachments[0]!.ContentType).toBe("application/pdf");
  });
});
