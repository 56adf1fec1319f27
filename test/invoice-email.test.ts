import { beforeEach, describe, expect, it } from "vitest";
import { PDFDocument } from "@cantoo/pdf-lib";
import { ANSWERS, FAKE_TOKEN, postmark } from "./support/fakePostmark";
import { confirmedOrderWithInvoice, invoiceJob, invoiceRow, runQueue } from "./support/invoices";
import { eventually, order } from "./support/shop";

beforeEach(() => postmark.reset());

describe("the invoice email", () => {
  it("sends one email through Postmark with the PDF attached, and records SENT", async () => {
    const { order: o, invoiceId, number } = await confirmedOrderWithInvoice();

    const result = await runQueue("invoice-emails", [invoiceJob(invoiceId)]);

    expect(result.explicitAcks).toHaveLength(1);
    expect(result.retryMessages).toEqual([]);
    expect(postmark.received).toHaveLength(1);
    const { headers, body } = postmark.received[0]!;
    expect(headers["x-postmark-server-token"]).toBe(FAKE_TOKEN);
    expect(headers["content-type"]).toMatch(/application\/json/);
    expect(headers["accept"]).toMatch(/application\/json/);
    expect(body.From).toBe("invoices@shop.example");
    expect(body.To).toBe("ada@example.test");
    expect(body.Subject).toBe(`Your order #${o.orderNumber} - invoice ${number}`);
    expect(body.MessageStream).toBe("outbound");
    expect(body.TextBody).toContain("Espresso beans 1 kg");
    expect(body.TextBody).toMatch(/€56\.30|56\.30/);
    expect(body.HtmlBody).toContain("<table");
    expect(body.Attachments).toHaveLength(1);
    const attachment = body.Attachments[0]!;
    expect(attachment.Name).toBe(`invoice-${number}.pdf`);
    expect(attachment.ContentType).toBe("application/pdf");
    const pdfBytes = Uint8Array.from(atob(attachment.Content), (c) => c.charCodeAt(0));
    expect(new TextDecoder().decode(pdfBytes.slice(0, 5))).toBe("%PDF-");
    const pdf = await PDFDocument.load(pdfBytes);
    expect(pdf.getPageCount()).toBe(1);
    expect(pdf.getTitle()).toContain(number);

    const row = await invoiceRow(invoiceId);
    expect(row.status).toBe("SENT");
    expect(row.message_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(row.sent_at).toBeGreaterThan(0);
    expect(row.lease_until).toBeNull();
    expect((await order(o.id))?.status).toBe("CONFIRMED");
  });

  it("escapes a customer name in the HTML body", async () => {
    const { invoiceId } = await confirmedOrderWithInvoice({ customerName: "<script>alert(1)</script> & Co" });
    await runQueue("invoice-emails", [invoiceJob(invoiceId)]);
    const html = postmark.received[0]!.body.HtmlBody;
    expect(html).not.toContain("<script>");
    expect(html).toContain("&lt;script&gt;");
  });

  it.each(["Łukasz Żółć", "Jürgen Groß", "Александр Пушкин", "Αλέξανδρος", "山田太郎", "王小明", "Zoë 😀 🚀"])(
    "sends an invoice for %s",
    async (customerName) => {
      const { invoiceId } = await confirmedOrderWithInvoice({ customerName });
      const result = await runQueue("invoice-emails", [invoiceJob(invoiceId)]);
      expect(result.retryMessages).toEqual([]);
      expect((await invoiceRow(invoiceId)).status).toBe("SENT");
      expect(postmark.received[0]!.body.TextBody).toContain(customerName.replace(/\p{Extended_Pictographic}/gu, "").trim().split(" ")[0]);
    },
  );

  it("a 5xx then a success gives one email, after a retry with a short first delay", async () => {
    const { invoiceId } = await confirmedOrderWithInvoice();
    postmark.answerNext(ANSWERS.serverError);

    const first = await runQueue("invoice-emails", [invoiceJob(invoiceId)], undefined, 1);
    expect(first.explicitAcks).toEqual([]);
    expect(first.retryMessages).toHaveLength(1);
    expect(first.retryDelays[0]!).toBeGreaterThan(0);
    expect(first.retryDelays[0]!).toBeLessThanOrEqual(10);
    expect((await invoiceRow(invoiceId))).toMatchObject({ status: "PENDING", lease_until: null });
    expect((await invoiceRow(invoiceId)).last_error).toMatch(/500/);

    const second = await runQueue("invoice-emails", [invoiceJob(invoiceId)], undefined, 2);
    expect(second.explicitAcks).toHaveLength(1);
    expect(postmark.received).toHaveLength(1);
    expect((await invoiceRow(invoiceId)).status).toBe("SENT");
  });

  it.each([
    ["429", ANSWERS.rateLimited],
    ["a network error", "network-error" as const],
  ])("%s is retried with a growing delay", async (_, answer) => {
    const { invoiceId } = await confirmedOrderWithInvoice();
    postmark.answerNext(answer, answer);
    const first = await runQueue("invoice-emails", [invoiceJob(invoiceId)], undefined, 1);
    const third = await runQueue("invoice-emails", [invoiceJob(invoiceId)], undefined, 3);
    expect(first.retryMessages).toHaveLength(1);
    expect(third.retryMessages).toHaveLength(1);
    expect(third.retryDelays[0]!).toBeGreaterThan(first.retryDelays[0]!);
    expect((await invoiceRow(invoiceId)).status).toBe("PENDING");
  });

  it.each([
    ["an inactive recipient (422/406)", ANSWERS.inactiveRecipient],
    ["an invalid request (422/300)", ANSWERS.invalidRequest],
  ])("%s marks the invoice FAILED, acks, and does not retry", async (_, answer) => {
    const { order: o, invoiceId } = await confirmedOrderWithInvoice();
    postmark.answerNext(answer);
    const result = await runQueue("invoice-emails", [invoiceJob(invoiceId)]);
    expect(result.explicitAcks).toHaveLength(1);
    expect(result.retryMessages).toEqual([]);
    const row = await invoiceRow(invoiceId);
    expect(row.status).toBe("FAILED");
    expect(row.last_error).toMatch(/422/);
    expect((await order(o.id))?.status).toBe("CONFIRMED");
  });

  it("a wrong token (401, ErrorCode 10) is an account problem: retried in 30 minutes, never FAILED at once", async () => {
    const { invoiceId } = await confirmedOrderWithInvoice();
    const before = Date.now();
    const result = await runQueue("invoice-emails", [invoiceJob(invoiceId)], { POSTMARK_SERVER_TOKEN: "not-the-token" } as Partial<Env>);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryDelays).toEqual([1800]);
    const row = await invoiceRow(invoiceId);
    expect(row.status).toBe("PENDING");
    expect(row.last_error).toMatch(/401.*ErrorCode 10/);
    // The sweeper will not step in before the retry is due.
    expect(row.next_attempt_at!).toBeGreaterThanOrEqual(before + 1800_000);
    // Once the token is fixed, the retry sends it.
    const fixed = await runQueue("invoice-emails", [invoiceJob(invoiceId)], {}, 2);
    expect(fixed.explicitAcks).toHaveLength(1);
    expect((await invoiceRow(invoiceId)).status).toBe("SENT");
  });

  it.each([
    ["sender signature not confirmed (422/401)", { status: 422, ErrorCode: 401, Message: "Sender signature not confirmed" }],
    ["sender signature not found (422/400)", { status: 422, ErrorCode: 400, Message: "Sender signature not found" }],
    ["not allowed to send (422/405)", { status: 422, ErrorCode: 405, Message: "Not allowed to send" }],
    ["account pending (422/412)", { status: 422, ErrorCode: 412, Message: "Account is pending approval" }],
    ["account may not send (422/413)", { status: 422, ErrorCode: 413, Message: "Account may not send" }],
  ])("%s is an account problem: retried with a long delay, the invoice stays PENDING", async (_, answer) => {
    const { invoiceId } = await confirmedOrderWithInvoice();
    postmark.answerNext(answer);
    const result = await runQueue("invoice-emails", [invoiceJob(invoiceId)]);
    expect(result.retryDelays).toEqual([1800]);
    expect((await invoiceRow(invoiceId)).status).toBe("PENDING");
  });

  it("a transient failure is given up after 10 attempts of the ledger, not of the message", async () => {
    const { invoiceId } = await confirmedOrderWithInvoice();
    const { env } = await import("cloudflare:workers");
    await env.DB.prepare("UPDATE invoices SET attempts = 9 WHERE id = ?").bind(invoiceId).run();
    postmark.answerNext(ANSWERS.serverError);
    // A fresh message (the sweeper's), attempt 1: the ledger's count decides.
    const result = await runQueue("invoice-emails", [invoiceJob(invoiceId)], {}, 1);
    expect(result.explicitAcks).toHaveLength(1);
    const row = await invoiceRow(invoiceId);
    expect(row.status).toBe("FAILED");
    expect(row.last_error).toMatch(/500.*gave up after 10 attempts/);
  });

  it("a redelivered message after SENT sends nothing", async () => {
    const { invoiceId } = await confirmedOrderWithInvoice();
    await runQueue("invoice-emails", [invoiceJob(invoiceId)]);
    const again = await runQueue("invoice-emails", [invoiceJob(invoiceId), invoiceJob(invoiceId)]);
    expect(again.explicitAcks).toHaveLength(2);
    expect(postmark.received).toHaveLength(1);
  });

  it("two consumers racing on one invoice send it once", async () => {
    const { invoiceId } = await confirmedOrderWithInvoice();
    postmark.answerNext({ delayMs: 200, then: "ok" });
    const [a, b] = await Promise.all([
      runQueue("invoice-emails", [invoiceJob(invoiceId)]),
      runQueue("invoice-emails", [invoiceJob(invoiceId)]),
    ]);
    expect(postmark.received).toHaveLength(1);
    expect(a.explicitAcks.length + b.explicitAcks.length).toBe(1);
    const retried = [...a.retryMessages, ...b.retryMessages];
    expect(retried).toHaveLength(1);
    // The loser comes back after the lease: by then the invoice is SENT and it sends nothing.
    const late = await runQueue("invoice-emails", [invoiceJob(invoiceId)], undefined, 2);
    expect(late.explicitAcks).toHaveLength(1);
    expect(postmark.received).toHaveLength(1);
  });

  it("acks each message on its own: a bad message does not hold back a good one", async () => {
    const { invoiceId } = await confirmedOrderWithInvoice();
    const result = await runQueue("invoice-emails", [{ kind: "nonsense" }, invoiceJob(999_999_999), invoiceJob(invoiceId)]);
    expect(result.retryBatch.retry).toBe(false);
    expect(result.explicitAcks).toHaveLength(3);
    expect(postmark.received).toHaveLength(1);
  });

  it("the dead-letter queue marks a still-pending invoice FAILED and acks", async () => {
    const { order: o, invoiceId } = await confirmedOrderWithInvoice();
    postmark.answerNext(ANSWERS.serverError);
    await runQueue("invoice-emails", [invoiceJob(invoiceId)], undefined, 6);
    const dead = await runQueue("invoice-emails-dlq", [invoiceJob(invoiceId)]);
    expect(dead.explicitAcks).toHaveLength(1);
    const row = await invoiceRow(invoiceId);
    expect(row.status).toBe("FAILED");
    expect(row.last_error).toMatch(/500.*retries exhausted/);
    expect((await order(o.id))?.status).toBe("CONFIRMED");
    expect(postmark.received).toHaveLength(0);
  });

  it("the dead-letter queue leaves an invoice that was sent in the meantime SENT", async () => {
    const { invoiceId } = await confirmedOrderWithInvoice();
    await runQueue("invoice-emails", [invoiceJob(invoiceId)]);
    await runQueue("invoice-emails-dlq", [invoiceJob(invoiceId)]);
    expect((await invoiceRow(invoiceId)).status).toBe("SENT");
  });

  it("in the local development Worker without a Postmark token, the log mailer stands in and the invoice is SENT", async () => {
    const { invoiceId } = await confirmedOrderWithInvoice();
    const devWorker = (await import("../src/dev/devWorker")).default;
    const result = await runQueue("invoice-emails", [invoiceJob(invoiceId)], { POSTMARK_SERVER_TOKEN: "" } as Partial<Env>, 1, devWorker);
    expect(result.explicitAcks).toHaveLength(1);
    expect(postmark.received).toHaveLength(0);
    const row = await invoiceRow(invoiceId);
    expect(row.status).toBe("SENT");
    expect(row.message_id).toMatch(/^log-/);
  });

  it("without a Postmark token the deployed Worker marks nothing SENT, whatever DEV_MODE says: the message is retried", async () => {
    const { invoiceId } = await confirmedOrderWithInvoice();
    const result = await runQueue("invoice-emails", [invoiceJob(invoiceId)], { POSTMARK_SERVER_TOKEN: "", DEV_MODE: "true" } as Partial<Env>);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages).toHaveLength(1);
    const row = await invoiceRow(invoiceId);
    expect(row.status).toBe("PENDING");
    expect(row.last_error).toMatch(/POSTMARK_SERVER_TOKEN is not set/);
  });

  it("a wrong email setting retries every message and leaves the invoices PENDING", async () => {
    const { invoiceId } = await confirmedOrderWithInvoice();
    const result = await runQueue("invoice-emails", [invoiceJob(invoiceId)], { INVOICE_TAX_RATE_PERCENT: "lots" } as Partial<Env>);
    expect(result.retryMessages).toHaveLength(1);
    expect(result.explicitAcks).toEqual([]);
    expect((await invoiceRow(invoiceId)).status).toBe("PENDING");
    expect(postmark.received).toHaveLength(0);
  });

  it("a SENT write that D1 refuses after Postmark accepted: acked, lease kept, no second email", async () => {
    const { env } = await import("cloudflare:workers");
    const { invoiceId, number } = await confirmedOrderWithInvoice();
    const sqlOf = new WeakMap<object, string>();
    const refusingSent = new Proxy(env.DB, {
      get(target, prop) {
        if (prop === "prepare") {
          return (query: string) => {
            const statement = target.prepare(query);
            // bind() returns a new statement: remember the SQL of that one too.
            const bind = statement.bind.bind(statement);
            statement.bind = (...values: unknown[]) => {
              const bound = bind(...values);
              sqlOf.set(bound, query);
              return bound;
            };
            sqlOf.set(statement, query);
            return statement;
          };
        }
        if (prop === "batch") {
          return (statements: D1PreparedStatement[]) => {
            if (statements.some((s) => /SET status = 'SENT'/.test(sqlOf.get(s) ?? ""))) {
              return Promise.reject(new Error("D1_ERROR: Network connection lost."));
            }
            return target.batch(statements);
          };
        }
        return Reflect.get(target, prop);
      },
    });

    const result = await runQueue("invoice-emails", [invoiceJob(invoiceId)], { DB: refusingSent } as Partial<Env>);

    expect(result.explicitAcks).toHaveLength(1);
    expect(result.retryMessages).toEqual([]);
    expect(postmark.emailsFor(number)).toHaveLength(1);
    const row = await invoiceRow(invoiceId);
    expect(row.status).toBe("PENDING");
    expect(row.lease_until).toBeGreaterThan(Date.now());
    // A redelivery meanwhile finds the lease held and sends nothing.
    const again = await runQueue("invoice-emails", [invoiceJob(invoiceId)], {}, 2);
    expect(again.retryMessages).toHaveLength(1);
    expect(postmark.emailsFor(number)).toHaveLength(1);
  });

  it.each([
    ["two addresses separated by a comma", "ada@example.test, someone@else.example"],
    ["two addresses separated by a semicolon", "ada@example.test;someone@else.example"],
    ["a display name", "Ada <ada@example.test>"],
    ["no address at all", "ada at example"],
  ])("a customer_email with %s is never sent: FAILED with the reason, for a human", async (_, address) => {
    const { env } = await import("cloudflare:workers");
    const { order: o, invoiceId } = await confirmedOrderWithInvoice();
    await env.DB.prepare("UPDATE orders SET customer_email = ? WHERE id = ?").bind(address, o.id).run();
    const result = await runQueue("invoice-emails", [invoiceJob(invoiceId)]);
    expect(result.explicitAcks).toHaveLength(1);
    expect(postmark.received).toHaveLength(0);
    const row = await invoiceRow(invoiceId);
    expect(row.status).toBe("FAILED");
    expect(row.last_error).toMatch(/customer_email is not exactly one valid email address/);
    const item = await env.DB.prepare("SELECT kind FROM attention_items WHERE invoice_id = ?").bind(invoiceId).first();
    expect(item).toEqual({ kind: "invoice_failed" });
  });

  it("an invoice that cannot be rendered fails at once with the reason, not after 40 minutes of retries", async () => {
    const { env } = await import("cloudflare:workers");
    const { order: o, invoiceId } = await confirmedOrderWithInvoice();
    // Another tool wrote a currency that is not an ISO 4217 code (length 3 passes the CHECK).
    await env.DB.prepare("UPDATE orders SET currency = 'E1R' WHERE id = ?").bind(o.id).run();
    const result = await runQueue("invoice-emails", [invoiceJob(invoiceId)]);
    expect(result.retryMessages).toEqual([]);
    const row = await invoiceRow(invoiceId);
    expect(row.status).toBe("FAILED");
    expect(row.last_error).toMatch(/^could not render the invoice: .*E1R/);
    expect(postmark.received).toHaveLength(0);
  });

  it("a sender whose lease was taken over cannot write FAILED over the new holder's send", async () => {
    const { env } = await import("cloudflare:workers");
    const { invoiceId } = await confirmedOrderWithInvoice();
    // Postmark answers late with a final error; meanwhile the lease passed to another sender.
    let release!: () => void;
    postmark.answerNext({ until: new Promise<void>((r) => (release = r)), then: ANSWERS.inactiveRecipient });
    const slow = runQueue("invoice-emails", [invoiceJob(invoiceId)]);
    await eventually(async () => (await invoiceRow(invoiceId)).lease_until !== null);
    await env.DB.prepare("UPDATE invoices SET lease_token = 'the-new-holder', lease_until = ? WHERE id = ?").bind(Date.now() + 60_000, invoiceId).run();
    release();
    await slow;
    const row = await invoiceRow(invoiceId);
    expect(row.status).toBe("PENDING");
    expect(row.lease_until!).toBeGreaterThan(Date.now());
  });

  it("an account problem is given up after 48 attempts of the ledger (about a day), and a resend starts the count again", async () => {
    const { env } = await import("cloudflare:workers");
    const { invoiceId } = await confirmedOrderWithInvoice();
    await env.DB.prepare("UPDATE invoices SET attempts = 47 WHERE id = ?").bind(invoiceId).run();
    await runQueue("invoice-emails", [invoiceJob(invoiceId)], { POSTMARK_SERVER_TOKEN: "not-the-token" } as Partial<Env>);
    expect(await invoiceRow(invoiceId)).toMatchObject({ status: "FAILED", last_error: expect.stringMatching(/gave up after 48 attempts/) });
    // `npm run ops -- resend-invoice` puts it back with attempts = 0: one failure is a retry again.
    await env.DB.prepare("UPDATE invoices SET status = 'PENDING', attempts = 0, next_attempt_at = ? WHERE id = ?").bind(Date.now(), invoiceId).run();
    const again = await runQueue("invoice-emails", [invoiceJob(invoiceId)], { POSTMARK_SERVER_TOKEN: "not-the-token" } as Partial<Env>);
    expect(again.retryDelays).toEqual([1800]);
    expect((await invoiceRow(invoiceId)).status).toBe("PENDING");
  });
});
