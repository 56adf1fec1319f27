// "Needs attention": each kind appears in the batch that records its cause, once per key
// however often the cause repeats, settles itself when what it waited for happens, and is
// resolved with a note by a human otherwise. Items are never deleted.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { ANSWERS, postmark } from "./support/fakePostmark";
import { captureQueue, confirmedOrderWithInvoice, invoiceJob, runQueue } from "./support/invoices";
import { attentionOf, createOrder, createProduct, deliver, deliverWithEnv, runCron, webhookRequest } from "./support/shop";

beforeEach(() => postmark.reset());
const HOUR = 60 * 60_000;

/** What `npm run ops -- resolve` writes. */
const resolve = (id: number, by: string, note: string) =>
  env.DB.prepare("UPDATE attention_items SET resolved_at = ?, resolved_by = ?, resolution_note = ? WHERE id = ? AND resolved_at IS NULL")
    .bind(Date.now(), by, note, id)
    .run();

describe("the attention list", () => {
  it("insufficient stock raises one item per order, settled when a later delivery confirms", async () => {
    const p = await createProduct({ stock: 1, reserved: 1 });
    const { id } = await createOrder({ lines: [{ productId: p, quantity: 2 }] });
    expect((await deliver({ order_id: id, status: "paid" })).status).toBe(400);
    expect((await deliver({ order_id: id, status: "paid" })).status).toBe(400);
    const [item] = await attentionOf(id);
    expect(await attentionOf(id)).toHaveLength(1);
    expect(item).toMatchObject({ kind: "insufficient_stock", key: `insufficient_stock:${id}`, resolved_at: null });
    expect(JSON.parse(item!.detail!)).toMatchObject([{ product_id: p, requested: 2 }]);

    await env.DB.prepare("UPDATE products SET stock = 5, stock_reserved = 2 WHERE id = ?").bind(p).run();
    expect(await (await deliver({ order_id: id, status: "paid" })).json()).toMatchObject({ outcome: "confirmed" });
    expect(await attentionOf(id)).toMatchObject([{ kind: "insufficient_stock", resolved_by: "system" }]);
  });

  it("a refund is one item per delivery, resolved by a human with a note, and never deleted", async () => {
    const { id } = await createOrder({ status: "CANCELLED" });
    await deliver({ order_id: id, status: "paid" }, { headers: { "webhook-id": "msg_refund_1" } });
    await deliver({ order_id: id, status: "paid" }, { headers: { "webhook-id": "msg_refund_1" } }); // the same payment again
    await deliver({ order_id: id, status: "paid" }, { headers: { "webhook-id": "msg_refund_2" } }); // a second payment
    const items = await attentionOf(id);
    expect(items.map((i) => i.key)).toEqual([`refund_required:${id}:msg_refund_1`, `refund_required:${id}:msg_refund_2`]);

    await resolve(items[0]!.id, "ada", "refunded in the provider dashboard");
    // A resolution needs a note.
    await expect(
      env.DB.prepare("UPDATE attention_items SET resolved_at = 1 WHERE id = ?").bind(items[1]!.id).run(),
    ).rejects.toThrow(/attention_items_resolution_noted/);
    const after = await attentionOf(id);
    expect(after).toHaveLength(2);
    expect(after[0]).toMatchObject({ resolved_by: "ada", resolution_note: "refunded in the provider dashboard" });
    expect(after[1]!.resolved_at).toBeNull();
  });

  it("concurrent deliveries that raise the same item raise it once", async () => {
    const { id } = await createOrder({ status: "CANCELLED" });
    await Promise.all(Array.from({ length: 6 }, () => deliver({ order_id: id, status: "paid" }, { headers: { "webhook-id": "msg_same" } })));
    expect(await attentionOf(id)).toHaveLength(1);
  });

  it("an invoice that ends FAILED raises invoice_failed, settled when a resend reaches SENT", async () => {
    const { order: o, invoiceId } = await confirmedOrderWithInvoice();
    postmark.answerNext(ANSWERS.inactiveRecipient);
    await runQueue("invoice-emails", [invoiceJob(invoiceId)]);
    expect(await attentionOf(o.id)).toMatchObject([{ kind: "invoice_failed", invoice_id: invoiceId, resolved_at: null }]);

    // `npm run ops -- resend-invoice` puts it back in the outbox; this time Postmark takes it.
    await env.DB.prepare("UPDATE invoices SET status = 'PENDING', last_error = NULL, attempts = 0, next_attempt_at = ? WHERE id = ?")
      .bind(Date.now(), invoiceId)
      .run();
    await runQueue("invoice-emails", [invoiceJob(invoiceId)]);
    expect(await attentionOf(o.id)).toMatchObject([{ kind: "invoice_failed", resolved_by: "system" }]);
  });

  it("an invoice still PENDING an hour after confirmation raises invoice_stuck once, settled by SENT", async () => {
    const { order: o, invoiceId } = await confirmedOrderWithInvoice();
    await env.DB.prepare("UPDATE invoices SET created_at = ?, last_error = 'Postmark 500' WHERE id = ?").bind(Date.now() - 2 * HOUR, invoiceId).run();
    const quiet = { INVOICE_QUEUE: { sendBatch: async () => {}, send: async () => {} } as unknown as Queue };

    await runCron(Date.now(), quiet);
    await runCron(Date.now(), quiet);
    expect(await attentionOf(o.id)).toMatchObject([{ kind: "invoice_stuck", detail: "Postmark 500", resolved_at: null }]);

    await runQueue("invoice-emails", [invoiceJob(invoiceId)]);
    expect(await attentionOf(o.id)).toMatchObject([{ kind: "invoice_stuck", resolved_by: "system" }]);
  });

  it("an invoice_stuck a human resolved is not raised again by the next cron", async () => {
    const { order: o, invoiceId } = await confirmedOrderWithInvoice();
    await env.DB.prepare("UPDATE invoices SET created_at = ? WHERE id = ?").bind(Date.now() - 2 * HOUR, invoiceId).run();
    const quiet = { INVOICE_QUEUE: { sendBatch: async () => {}, send: async () => {} } as unknown as Queue };
    await runCron(Date.now(), quiet);
    const [item] = await attentionOf(o.id);
    await resolve(item!.id, "ada", "Postmark support ticket open");
    await runCron(Date.now(), quiet);
    expect(await attentionOf(o.id)).toHaveLength(1);
  });

  it("a not_found item settles when the order turns up stored upper-case and a retry confirms it", async () => {
    const p = await createProduct({ stock: 5, reserved: 1 });
    const id = crypto.randomUUID();
    // The provider pays before the shop has written the order: 404, and an item to refund it.
    expect((await deliver({ order_id: id, status: "paid" })).status).toBe(404);
    expect(await attentionOf(id)).toMatchObject([{ kind: "not_found", resolved_at: null }]);

    // The shop writes it late, with its id in upper case (as some tools store UUIDs).
    const stored = id.toUpperCase();
    await env.DB.batch([
      env.DB.prepare("INSERT INTO orders (id, order_number, status, customer_email, customer_name) VALUES (?, ?, 'AWAITING_PAYMENT', 'late@example.test', 'Late Order')").bind(
        stored,
        900_000 + Math.floor(Math.random() * 90_000),
      ),
      env.DB.prepare("INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents) VALUES (?, ?, 1, 1999)").bind(stored, p),
    ]);
    // The invoice job stays with the test: no real queue message outlives it.
    const { queue } = captureQueue();
    const retry = await deliverWithEnv({ INVOICE_QUEUE: queue }, webhookRequest({ order_id: id, status: "paid" }));
    expect(await retry.json()).toMatchObject({ outcome: "confirmed" });
    expect(await attentionOf(id)).toMatchObject([{ kind: "not_found", resolved_by: "system" }]);
    expect((await attentionOf(id))[0]!.resolution_note).toMatch(/^settled: the order was confirmed by delivery /);
  });

  it("a resent invoice older than an hour is not stuck the minute after; an hour after the resend it is", async () => {
    const { order: o, invoiceId } = await confirmedOrderWithInvoice();
    postmark.answerNext(ANSWERS.inactiveRecipient);
    await runQueue("invoice-emails", [invoiceJob(invoiceId)]);
    // Confirmed and failed three hours ago.
    await env.DB.prepare("UPDATE invoices SET created_at = ? WHERE id = ?").bind(Date.now() - 3 * HOUR, invoiceId).run();
    // What `npm run ops -- resend-invoice` writes (scripts/lib/ops/resendInvoice.mjs).
    const resentAt = Date.now();
    await env.DB.prepare(
      "UPDATE invoices SET status = 'PENDING', last_error = NULL, attempts = 0, lease_until = NULL, lease_token = NULL, next_attempt_at = ?, outbox_since = ?, updated_at = ? WHERE id = ? AND status = 'FAILED'",
    )
      .bind(resentAt, resentAt, resentAt, invoiceId)
      .run();
    const quiet = { INVOICE_QUEUE: { sendBatch: async () => {}, send: async () => {} } as unknown as Queue };

    await runCron(resentAt + 60_000, quiet);
    expect((await attentionOf(o.id)).map((i) => i.kind)).toEqual(["invoice_failed"]);

    await runCron(resentAt + HOUR + 60_000, quiet);
    expect((await attentionOf(o.id)).map((i) => i.kind)).toEqual(["invoice_failed", "invoice_stuck"]);
  });

  it("a cause that a confirmation settles raises nothing once the order is confirmed (a retry won the race)", async () => {
    const { raiseForEvent } = await import("../src/attention/attentionItems");
    const { runBatch } = await import("../src/db/client");
    const { id } = await createOrder({ status: "CONFIRMED" });
    const requestId = crypto.randomUUID();
    // What a rolled-back batch's second batch records when the order was confirmed meanwhile.
    await env.DB.prepare(
      "INSERT INTO webhook_events (request_id, order_id, payment_status, order_status, outcome, http_status) VALUES (?, ?, 'paid', 'CONFIRMED', 'insufficient_stock', 400)",
    )
      .bind(requestId, id)
      .run();
    await runBatch(env.DB, [raiseForEvent(requestId)]);
    expect(await attentionOf(id)).toEqual([]);
  });
});
