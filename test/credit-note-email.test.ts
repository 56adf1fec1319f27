// Credit notes go out through the invoices' send ledger (src/documents/sendDocument.ts): one
// email per note, Postmark's answers classified as for invoices, the outbox sweeper and the
// dead-letter queue, attention items when one fails or sticks. The orders are confirmed
// through the real webhook (which issues their invoice); the credit_notes rows are written
// directly, as the refund batch (or another tool) writes them.
import { env } from "cloudflare:workers";
import { PDFDocument } from "@cantoo/pdf-lib";
import { beforeEach, describe, expect, it } from "vitest";
import { describeAttention, type AttentionRow } from "../src/attention/describeAttention";
import { ATTENTION_SELECT } from "../src/attention/attentionQuery";
import { creditNoteJob } from "../src/documents/creditNoteJob";
import devWorker from "../src/dev/devWorker";
import { ANSWERS, postmark } from "./support/fakePostmark";
import { captureQueue, runQueue } from "./support/invoices";
import { pdfText } from "./support/pdfText";
import { attentionOf, createOrder, createProduct, deliverWithEnv, invoicesOf, runCron, webhookRequest } from "./support/shop";

const MINUTE = 60_000;
beforeEach(() => postmark.reset());

let seq = 100_000 + Math.floor(Math.random() * 800_000);

/** An order in `currency` confirmed through the generic webhook, with the invoice it issued. */
async function confirmedOrder(currency: string, unitPriceCents: number, customerEmail = "ada@example.test") {
  const productId = await createProduct({ stock: 10, reserved: 1, name: "Gooseneck kettle", priceCents: unitPriceCents });
  const { id, orderNumber } = await createOrder({
    lines: [{ productId, quantity: 1, unitPriceCents }],
    customerName: "Ada Lovelace",
    customerEmail,
  });
  await env.DB.prepare("UPDATE orders SET currency = ? WHERE id = ?").bind(currency, id).run();
  // The invoice's queue message is kept, not delivered: a real delivery would race the test
  // for the fake Postmark's scripted answers.
  const { queue } = captureQueue();
  expect((await deliverWithEnv({ INVOICE_QUEUE: queue }, webhookRequest({ order_id: id, status: "paid" }))).status).toBe(200);
  const [invoice] = await invoicesOf(id);
  return { orderId: id, orderNumber, invoice: invoice! };
}

/** A credit note row as the refund batch writes it: PENDING, due for the sweeper in two minutes. */
async function insertCreditNote(
  order: { orderId: string; invoice: { id: number } },
  amountCents: number,
  currency: string,
  opts: { reason?: string | null; createdAt?: number; nextAttemptAt?: number } = {},
) {
  const n = seq++;
  const row = await env.DB.prepare(
    `INSERT INTO credit_notes (order_id, invoice_id, refund_key, series, seq, number, amount_cents, currency, reason, next_attempt_at, created_at)
     VALUES (?, ?, ?, 'CN-2026', ?, printf('CN-2026-%06d', ?), ?, ?, ?, ?, ?) RETURNING id, number`,
  )
    .bind(
      order.orderId,
      order.invoice.id,
      `stripe:re_test_${n}`,
      n,
      n,
      amountCents,
      currency,
      opts.reason === undefined ? "requested_by_customer" : opts.reason,
      opts.nextAttemptAt ?? Date.now() + 2 * MINUTE,
      opts.createdAt ?? Date.now(),
    )
    .first<{ id: number; number: string }>();
  return row!;
}

async function creditNoteRow(id: number) {
  return (await env.DB.prepare("SELECT status, attempts, message_id, sent_at, last_error, lease_until, next_attempt_at FROM credit_notes WHERE id = ?")
    .bind(id)
    .first<{ status: string; attempts: number; message_id: string | null; sent_at: number | null; last_error: string | null; lease_until: number | null; next_attempt_at: number | null }>())!;
}

const emailsOf = (number: string) => postmark.received.filter((e) => e.body.Metadata?.credit_note_number === number);

async function attentionRow(itemId: number): Promise<AttentionRow> {
  return (await env.DB.prepare(`${ATTENTION_SELECT} WHERE a.id = ?`).bind(itemId).first<AttentionRow>())!;
}

function decodeBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

describe("credit note emails", () => {
  it.each([
    ["EUR", 4990, 1250, "€12.50"],
    ["JPY", 9800, 5000, "JP¥5,000"],
    ["KWD", 20000, 12345, "KWD 12.345"],
  ])("a %s credit note is emailed once, with a PDF naming the invoice it corrects and the amount", async (currency, price, refunded, printed) => {
    const order = await confirmedOrder(currency, price);
    const note = await insertCreditNote(order, refunded, currency);

    const first = await runQueue("invoice-emails", [creditNoteJob(note.id)]);
    // A redelivered message, and a second one racing it later, send nothing more.
    const again = await runQueue("invoice-emails", [creditNoteJob(note.id), creditNoteJob(note.id)], {}, 2);

    expect(first.explicitAcks).toHaveLength(1);
    expect(again.explicitAcks).toHaveLength(2);
    const emails = emailsOf(note.number);
    expect(emails).toHaveLength(1);
    const { body } = emails[0]!;
    expect(body.To).toBe("ada@example.test");
    expect(body.From).toBe("invoices@shop.example");
    expect(body.Subject).toBe(`Credit note ${note.number} for order #${order.orderNumber}`);
    expect(body.Tag).toBe("credit_note");
    expect(body.Metadata).toEqual({ credit_note_number: note.number, corrects_invoice: order.invoice.number, order_number: String(order.orderNumber) });
    const plain = printed.replace(/ /g, "\u00a0");
    expect(body.TextBody).toContain(`we have refunded ${plain} for your order #${order.orderNumber}`);
    expect(body.TextBody).toContain(`corrects your invoice ${order.invoice.number}`);
    expect(body.TextBody).toContain("Reason: requested by the customer.");
    expect(body.HtmlBody).toContain(`Total refunded</strong></td><td style="padding:4px 8px;text-align:right"><strong>${plain}</strong>`);

    expect(body.Attachments).toHaveLength(1);
    const attachment = body.Attachments[0]!;
    expect(attachment).toMatchObject({ Name: `credit-note-${note.number}.pdf`, ContentType: "application/pdf" });
    const bytes = decodeBase64(attachment.Content);
    expect((await PDFDocument.load(bytes)).getTitle()).toBe(`Credit note ${note.number}`);
    const text = await pdfText(bytes);
    expect(text).toMatch(new RegExp(`Corrects invoice\\n${order.invoice.number}`));
    expect(text).toMatch(new RegExp(`Total refunded\\n${printed.replace(/[.$]/g, "\\$&")}\\n`));
    expect(text).toContain(`Refund for order #${order.orderNumber}`);

    const row = await creditNoteRow(note.id);
    expect(row).toMatchObject({ status: "SENT", attempts: 1, last_error: null, lease_until: null, next_attempt_at: null });
    expect(row.message_id).toMatch(/^[0-9a-f-]{36}$/);
    // The order is untouched by its credit note's email.
    expect((await env.DB.prepare("SELECT status FROM orders WHERE id = ?").bind(order.orderId).first())!.status).toBe("CONFIRMED");
  });

  it("splits the refunded amount into net and VAT when invoices show tax", async () => {
    const order = await confirmedOrder("EUR", 11900);
    const note = await insertCreditNote(order, 11900, "EUR", { reason: null });

    await runQueue("invoice-emails", [creditNoteJob(note.id)], { INVOICE_TAX_RATE_PERCENT: "19" } as Partial<Env>);

    const [email] = emailsOf(note.number);
    expect(email!.body.TextBody).toContain("Net: €100.00\nVAT 19%: €19.00\nTotal refunded: €119.00");
    expect(email!.body.TextBody).not.toContain("Reason:");
    const text = await pdfText(decodeBase64(email!.body.Attachments[0]!.Content));
    expect(text).toMatch(/Net\n€100\.00\nVAT 19%\n€19\.00/);
    expect(text).toContain("The refunded amount includes VAT at 19%.");
  });

  it("an inactive recipient (422/406) ends FAILED with a credit_note_failed item; a resend that reaches SENT settles it", async () => {
    const order = await confirmedOrder("EUR", 2515, "inactive@example.test");
    const note = await insertCreditNote(order, 2515, "EUR");
    postmark.answerNext(ANSWERS.inactiveRecipient);

    const result = await runQueue("invoice-emails", [creditNoteJob(note.id)]);

    expect(result.explicitAcks).toHaveLength(1);
    const failed = await creditNoteRow(note.id);
    expect(failed.status).toBe("FAILED");
    expect(failed.last_error).toContain("406");
    const items = (await attentionOf(order.orderId)).filter((i) => i.kind === "credit_note_failed");
    expect(items).toHaveLength(1);
    expect(items[0]!.key).toBe(`credit_note_failed:${note.id}`);
    expect(items[0]!.invoice_id).toBe(order.invoice.id);
    const words = describeAttention(await attentionRow(items[0]!.id));
    expect(words.happened).toContain(`the credit note email ${note.number} (correcting invoice ${order.invoice.number}) for order ${order.orderNumber} failed: `);
    expect(words.happened).toContain("marked as inactive");
    expect(words.action).toBe(`fix the cause, then: npm run ops -- resend-invoice ${note.number}`);
    // A FAILED note is final: a redelivery sends nothing.
    const requests = postmark.requests();
    await runQueue("invoice-emails", [creditNoteJob(note.id)], {}, 2);
    expect(postmark.requests()).toBe(requests);

    // What `npm run ops -- resend-invoice <CN-...>` does, then the sweeper's message.
    await env.DB.prepare("UPDATE credit_notes SET status = 'PENDING', attempts = 0, last_error = NULL, next_attempt_at = ? WHERE id = ?")
      .bind(Date.now(), note.id)
      .run();
    await runQueue("invoice-emails", [creditNoteJob(note.id)]);

    expect((await creditNoteRow(note.id)).status).toBe("SENT");
    const [settled] = (await attentionOf(order.orderId)).filter((i) => i.kind === "credit_note_failed");
    expect(settled!.resolved_by).toBe("system");
    expect(settled!.resolution_note).toBe("settled: the credit note was sent");
    // The invoice's own items are not the credit note's: none was raised or settled.
    expect((await attentionOf(order.orderId)).filter((i) => i.kind.startsWith("invoice_"))).toEqual([]);
  });

  it("a Postmark outage (500) is retried with the ledger's backoff and the note stays PENDING", async () => {
    const order = await confirmedOrder("JPY", 5000);
    const note = await insertCreditNote(order, 5000, "JPY");
    postmark.answerNext(ANSWERS.serverError);
    const before = Date.now();

    const result = await runQueue("invoice-emails", [creditNoteJob(note.id)]);

    expect(result.retryDelays).toEqual([5]);
    const row = await creditNoteRow(note.id);
    expect(row).toMatchObject({ status: "PENDING", attempts: 1, lease_until: null });
    expect(row.last_error).toContain("500");
    expect(row.next_attempt_at!).toBeGreaterThanOrEqual(before + 5_000 + 2 * MINUTE);
    expect(emailsOf(note.number)).toHaveLength(0);
  });

  it("a bad server token (401/10) is an account problem: retried every 30 minutes, not given up at once", async () => {
    const order = await confirmedOrder("KWD", 20000);
    const note = await insertCreditNote(order, 12345, "KWD");

    const result = await runQueue("invoice-emails", [creditNoteJob(note.id)], { POSTMARK_SERVER_TOKEN: "revoked-fake-token" } as Partial<Env>);

    expect(result.retryDelays).toEqual([1800]);
    const row = await creditNoteRow(note.id);
    expect(row.status).toBe("PENDING");
    expect(row.last_error).toMatch(/401|token/i);
  });

  it("acks a job for a credit note that does not exist", async () => {
    const requests = postmark.requests();
    const result = await runQueue("invoice-emails", [creditNoteJob(987_654_321)]);
    expect(result.explicitAcks).toHaveLength(1);
    expect(postmark.requests()).toBe(requests);
  });
});

describe("the outbox, the dead-letter queue and the cron for credit notes", () => {
  it("the sweeper re-enqueues an overdue credit note, once per 5 minutes, and its message sends it", async () => {
    const order = await confirmedOrder("EUR", 2515);
    const note = await insertCreditNote(order, 2515, "EUR");
    const { queue, jobs } = captureQueue();

    await runCron(Date.now(), { INVOICE_QUEUE: queue }); // not yet due: its first message may be on its way
    expect(jobs).not.toContainEqual(creditNoteJob(note.id));

    const later = Date.now() + 3 * MINUTE;
    await runCron(later, { INVOICE_QUEUE: queue });
    expect(jobs.filter((j) => JSON.stringify(j) === JSON.stringify(creditNoteJob(note.id)))).toHaveLength(1);
    await runCron(later + MINUTE, { INVOICE_QUEUE: queue });
    expect(jobs.filter((j) => JSON.stringify(j) === JSON.stringify(creditNoteJob(note.id)))).toHaveLength(1);

    await runQueue("invoice-emails", [creditNoteJob(note.id)]);
    expect((await creditNoteRow(note.id)).status).toBe("SENT");
    expect(emailsOf(note.number)).toHaveLength(1);
  });

  it("the dead-letter queue ends a credit note nobody is sending as FAILED, with its item", async () => {
    const order = await confirmedOrder("EUR", 2515);
    const note = await insertCreditNote(order, 2515, "EUR");
    await env.DB.prepare("UPDATE credit_notes SET last_error = 'Postmark 500: Internal server error', attempts = 3 WHERE id = ?").bind(note.id).run();

    const result = await runQueue("invoice-emails-dlq", [creditNoteJob(note.id)]);

    expect(result.explicitAcks).toHaveLength(1);
    const row = await creditNoteRow(note.id);
    expect(row.status).toBe("FAILED");
    expect(row.last_error).toBe("Postmark 500: Internal server error (retries exhausted)");
    const [item] = (await attentionOf(order.orderId)).filter((i) => i.kind === "credit_note_failed");
    expect(JSON.parse(item!.detail!)).toEqual({ credit_note: note.number, error: "Postmark 500: Internal server error (retries exhausted)" });
  });

  it("the dead-letter queue leaves a credit note alone while a sender holds its lease", async () => {
    const order = await confirmedOrder("EUR", 2515);
    const note = await insertCreditNote(order, 2515, "EUR");
    await env.DB.prepare("UPDATE credit_notes SET lease_until = ?, lease_token = 'live' WHERE id = ?").bind(Date.now() + MINUTE, note.id).run();

    await runQueue("invoice-emails-dlq", [creditNoteJob(note.id)]);

    expect((await creditNoteRow(note.id)).status).toBe("PENDING");
  });

  it("the cron raises credit_note_stuck for a note still unsent an hour after the refund, once; SENT settles it", async () => {
    const order = await confirmedOrder("JPY", 5000);
    const note = await insertCreditNote(order, 5000, "JPY", { createdAt: Date.now() - 61 * MINUTE, nextAttemptAt: Date.now() + 10 * MINUTE });
    const { queue } = captureQueue();

    await runCron(Date.now(), { INVOICE_QUEUE: queue });
    await runCron(Date.now(), { INVOICE_QUEUE: queue });

    const stuck = (await attentionOf(order.orderId)).filter((i) => i.kind === "credit_note_stuck");
    expect(stuck).toHaveLength(1);
    const words = describeAttention(await attentionRow(stuck[0]!.id));
    expect(words.happened).toContain(`the credit note email ${note.number} (correcting invoice ${order.invoice.number}) for order ${order.orderNumber} is still unsent an hour after the refund`);

    await runQueue("invoice-emails", [creditNoteJob(note.id)]);
    const [settled] = (await attentionOf(order.orderId)).filter((i) => i.kind === "credit_note_stuck");
    expect(settled!.resolved_at).not.toBeNull();
    await runCron(Date.now(), { INVOICE_QUEUE: queue });
    expect((await attentionOf(order.orderId)).filter((i) => i.kind === "credit_note_stuck")).toHaveLength(1);
  });
});

describe("/dev/credit-notes/<number>.pdf", () => {
  async function devFetch(url: string) {
    const { createExecutionContext, waitOnExecutionContext } = await import("cloudflare:test");
    const ctx = createExecutionContext();
    const res = await devWorker.fetch!(new Request(url) as Parameters<NonNullable<typeof devWorker.fetch>>[0], env, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  }

  it("serves the credit note PDF on a loopback host only, beside the invoices", async () => {
    const order = await confirmedOrder("KWD", 20000);
    const note = await insertCreditNote(order, 12345, "KWD");

    const on = await devFetch(`http://127.0.0.1:8787/dev/credit-notes/${note.number}.pdf`);
    expect(on.status).toBe(200);
    expect(on.headers.get("Content-Type")).toBe("application/pdf");
    expect(on.headers.get("Content-Disposition")).toBe(`inline; filename="credit-note-${note.number}.pdf"`);
    const text = await pdfText(new Uint8Array(await on.arrayBuffer()));
    expect(text).toMatch(/Total refunded\nKWD 12\.345/);

    const missing = await devFetch("http://127.0.0.1:8787/dev/credit-notes/CN-1999-000001.pdf");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: "Credit note not found" });
    const elsewhere = await devFetch(`https://shop.example/dev/credit-notes/${note.number}.pdf`);
    expect(elsewhere.status).toBe(404);
    expect(await elsewhere.json()).toEqual({ error: "Not found" });
  });
});
