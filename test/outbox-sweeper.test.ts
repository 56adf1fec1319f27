import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { postmark } from "./support/fakePostmark";
import { captureQueue, confirmedOrderWithInvoice, invoiceJob, invoiceRow, runQueue } from "./support/invoices";
import { createOrder, createProduct, deliverWithEnv, eventually, invoicesOf, runCron, webhookRequest } from "./support/shop";

const MINUTE = 60_000;
beforeEach(() => postmark.reset());

const brokenQueue = {
  send: async () => {
    throw new Error("queue unavailable");
  },
  sendBatch: async () => {
    throw new Error("queue unavailable");
  },
} as unknown as Queue;

describe("the outbox sweeper (cron)", () => {
  it("gets exactly one email out when the queue send failed after the commit", async () => {
    const p = await createProduct({ stock: 5, reserved: 1 });
    const { id } = await createOrder({ lines: [{ productId: p, quantity: 1 }] });
    expect((await deliverWithEnv({ INVOICE_QUEUE: brokenQueue }, webhookRequest({ order_id: id, status: "paid" }))).status).toBe(200);
    const [invoice] = await invoicesOf(id);
    expect(invoice!.status).toBe("PENDING");
    const { queue, jobs } = captureQueue();

    await runCron(Date.now(), { INVOICE_QUEUE: queue }); // too early: the normal path may still be on its way
    expect(jobs).toEqual([]);

    await runCron(Date.now() + 3 * MINUTE, { INVOICE_QUEUE: queue });
    expect(jobs).toEqual([invoiceJob(invoice!.id)]);
    await runQueue("invoice-emails", jobs.splice(0));
    expect((await invoiceRow(invoice!.id)).status).toBe("SENT");

    await runCron(Date.now() + 10 * MINUTE, { INVOICE_QUEUE: queue });
    expect(jobs).toEqual([]);
    expect(postmark.emailsFor(invoice!.number)).toHaveLength(1);
  });

  it("a consumer that crashed after claiming: once its lease expires the invoice is sent once", async () => {
    const { invoiceId, number } = await confirmedOrderWithInvoice();
    // What a consumer that died mid-send leaves behind: a claimed, unsent row, due for the
    // sweeper two minutes after its lease. Ten minutes of lease: the retry delay below must
    // stay above 50 s however slowly the steps between run on a busy machine (with one
    // minute, ten slow seconds would fail it).
    const leaseUntil = Date.now() + 10 * MINUTE;
    await env.DB.prepare("UPDATE invoices SET lease_until = ?, lease_token = 'crashed', attempts = 1, next_attempt_at = ? WHERE id = ?")
      .bind(leaseUntil, leaseUntil + 2 * MINUTE, invoiceId)
      .run();

    // While the lease holds, neither the sweeper nor a redelivered message sends it.
    await runCron(Date.now());
    const early = await runQueue("invoice-emails", [invoiceJob(invoiceId)], {}, 2);
    expect(early.retryMessages).toHaveLength(1);
    expect(early.retryDelays[0]!).toBeGreaterThan(50);
    expect(postmark.emailsFor(number)).toHaveLength(0);

    // The lease lapses (moved into the past: the clock cannot be), the sweeper re-enqueues.
    await env.DB.prepare("UPDATE invoices SET lease_until = ? WHERE id = ?").bind(Date.now() - 1, invoiceId).run();
    await runCron(leaseUntil + 2 * MINUTE);
    await eventually(async () => (await invoiceRow(invoiceId)).status === "SENT");
    const late = await runQueue("invoice-emails", [invoiceJob(invoiceId)], {}, 3);
    expect(late.explicitAcks).toHaveLength(1);
    expect(postmark.emailsFor(number)).toHaveLength(1);
  });

  it("leaves SENT and FAILED invoices alone, and bounds each run", async () => {
    const sent = await confirmedOrderWithInvoice();
    await runQueue("invoice-emails", [invoiceJob(sent.invoiceId)]);
    const failed = await confirmedOrderWithInvoice();
    await env.DB.prepare("UPDATE invoices SET status = 'FAILED' WHERE id = ?").bind(failed.invoiceId).run();
    postmark.reset();

    const stale = [await confirmedOrderWithInvoice(), await confirmedOrderWithInvoice(), await confirmedOrderWithInvoice()];
    const { sweepOutbox } = await import("../src/documents/sweepOutbox");
    const sentMessages: { body: { invoiceId: number } }[] = [];
    const capture = {
      send: async () => {},
      sendBatch: async (m: { body: { invoiceId: number } }[]) => void sentMessages.push(...m),
    } as unknown as Queue;
    const later = Date.now() + 3 * MINUTE;

    const first = (await sweepOutbox(env.DB, capture, later, 2, 1)).invoices;
    const second = (await sweepOutbox(env.DB, capture, later, 2, 1)).invoices;
    const third = (await sweepOutbox(env.DB, capture, later + MINUTE, 2, 1)).invoices;

    expect(first).toEqual([stale[0]!.invoiceId, stale[1]!.invoiceId]);
    expect(second).toEqual([stale[2]!.invoiceId]);
    expect(third).toEqual([]); // each invoice at most every 5 minutes
    const fourth = (await sweepOutbox(env.DB, capture, later + 5 * MINUTE, 2, 1)).invoices;
    expect(fourth).toEqual([stale[0]!.invoiceId, stale[1]!.invoiceId]);
    expect(sentMessages.map((m) => m.body.invoiceId)).toEqual([...first, ...second, ...fourth]);
    expect([...first, ...second]).not.toContain(sent.invoiceId);
    expect([...first, ...second]).not.toContain(failed.invoiceId);
  });

  it("drains a backlog in rounds of 100 within one run, oldest due first", async () => {
    const backlog = [];
    for (let i = 0; i < 5; i++) backlog.push(await confirmedOrderWithInvoice());
    const { sweepOutbox } = await import("../src/documents/sweepOutbox");
    const batches: number[][] = [];
    const capture = {
      sendBatch: async (m: { body: { invoiceId: number } }[]) => void batches.push(m.map((x) => x.body.invoiceId)),
    } as unknown as Queue;
    const swept = (await sweepOutbox(env.DB, capture, Date.now() + 3 * MINUTE, 2)).invoices;
    expect(batches.map((b) => b.length)).toEqual([2, 2, 1]);
    expect(swept).toEqual(expect.arrayContaining(backlog.map((b) => b.invoiceId)));
  });

  it("respects a retry's backoff: no re-enqueue before the retry is due", async () => {
    const { invoiceId } = await confirmedOrderWithInvoice();
    const { sweepOutbox } = await import("../src/documents/sweepOutbox");
    const capture = { sendBatch: async () => {} } as unknown as Queue;
    // The 7th failure backs off 5 s x 2^6 = 320 s: due 320 s + 2 minutes after it.
    const failedAt = Date.now();
    await env.DB.prepare("UPDATE invoices SET attempts = 7, next_attempt_at = ? WHERE id = ?")
      .bind(failedAt + 320_000 + 2 * MINUTE, invoiceId)
      .run();
    expect((await sweepOutbox(env.DB, capture, failedAt + 5 * MINUTE)).invoices).not.toContain(invoiceId);
    expect((await sweepOutbox(env.DB, capture, failedAt + 7.5 * MINUTE)).invoices).toContain(invoiceId);
  });

  it("a retryable failure records when the retry is due, past its backoff", async () => {
    const { invoiceId } = await confirmedOrderWithInvoice();
    const { ANSWERS } = await import("./support/fakePostmark");
    await env.DB.prepare("UPDATE invoices SET attempts = 6 WHERE id = ?").bind(invoiceId).run();
    postmark.answerNext(ANSWERS.serverError);
    const before = Date.now();
    const result = await runQueue("invoice-emails", [invoiceJob(invoiceId)], {}, 1);
    // The ledger's 7th attempt: 320 s, whatever the message's own attempt count says.
    expect(result.retryDelays).toEqual([320]);
    expect((await invoiceRow(invoiceId)).next_attempt_at!).toBeGreaterThanOrEqual(before + 320_000 + 2 * MINUTE);
  });

  it("finds due invoices through its partial index, with no scan of sent ones and no temporary sort", async () => {
    const { dueInvoices } = await import("../src/documents/sweepOutbox");
    const { toQuery } = await import("../src/db/client");
    const query = toQuery(dueInvoices(Date.now(), 100));
    const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${query.sql}`)
      .bind(...query.params)
      .all<{ detail: string }>();
    const plan = results.map((r) => r.detail).join("\n");
    expect(plan).toMatch(/USING INDEX invoices_status_next_attempt_idx/);
    expect(plan).not.toMatch(/TEMP B-TREE/);
  });
});
