// No setting can stop work it has nothing to do with: each handler parses only what it uses.
// A wrong value in a handler's own setting fails loudly and keeps its work for later.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { postmark } from "./support/fakePostmark";
import { confirmedOrderWithInvoice, invoiceJob, invoiceRow, runQueue } from "./support/invoices";
import { createOrder, createProduct, deliverWithEnv, order, product, runCron, webhookRequest } from "./support/shop";

beforeEach(() => postmark.reset());
const MINUTE = 60_000;

const UNRELATED_BAD_SETTINGS: [string, Partial<Record<string, string>>][] = [
  ["a malformed WEBHOOK_SIGNING_SECRET", { WEBHOOK_SIGNING_SECRET: "whsec_abc!" }],
  ["an empty INVOICE_PREFIX", { INVOICE_PREFIX: "" }],
  ["LOG_LEVEL=verbose", { LOG_LEVEL: "verbose" }],
  ["a too-short WEBHOOK_SECRET", { WEBHOOK_SECRET: "a" }],
  ["a bad WEBHOOK_EVENT_RETENTION_DAYS", { WEBHOOK_EVENT_RETENTION_DAYS: "forever" }],
];

describe("configuration", () => {
  it.each(UNRELATED_BAD_SETTINGS)("%s does not stop the queue: the invoice is sent", async (_, bad) => {
    const { invoiceId } = await confirmedOrderWithInvoice();
    const result = await runQueue("invoice-emails", [invoiceJob(invoiceId)], bad as Partial<Env>);
    expect(result.explicitAcks).toHaveLength(1);
    expect((await invoiceRow(invoiceId)).status).toBe("SENT");
  });

  it.each(UNRELATED_BAD_SETTINGS.slice(0, 4))("%s does not stop the cron: reservations expire", async (_, bad) => {
    const p = await createProduct({ stock: 5, reserved: 2 });
    const { id } = await createOrder({ lines: [{ productId: p, quantity: 2 }], reservedUntil: Date.now() - MINUTE });
    await runCron(Date.now(), bad as Partial<Env>);
    expect((await order(id))?.status).toBe("CANCELLED");
    expect(await product(p)).toEqual({ stock: 5, stock_reserved: 0 });
  });

  it("a bad WEBHOOK_EVENT_RETENTION_DAYS fails its own job loudly, and the other jobs still run", async () => {
    const p = await createProduct({ stock: 5, reserved: 1 });
    const { id } = await createOrder({ lines: [{ productId: p, quantity: 1 }], reservedUntil: Date.now() - MINUTE });
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      await expect(runCron(Date.now(), { WEBHOOK_EVENT_RETENTION_DAYS: "forever", LOG_LEVEL: "error" } as Partial<Env>)).rejects.toThrow(
        /prune_webhook_events/,
      );
      expect(errors.mock.calls.map((c) => String(c[0])).join("\n")).toMatch(/WEBHOOK_EVENT_RETENTION_DAYS must be a whole number/);
    } finally {
      errors.mockRestore();
    }
    expect((await order(id))?.status).toBe("CANCELLED");
  });

  it("LOG_LEVEL=verbose does not stop the webhook either: it logs at info and says so", async () => {
    const p = await createProduct({ stock: 5, reserved: 1 });
    const { id } = await createOrder({ lines: [{ productId: p, quantity: 1 }] });
    const logs = vi.spyOn(console, "error").mockImplementation(() => {});
    const info = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      const res = await deliverWithEnv({ LOG_LEVEL: "verbose" } as Partial<Env>, webhookRequest({ order_id: id, status: "paid" }));
      expect(res.status).toBe(200);
    } finally {
      logs.mockRestore();
      info.mockRestore();
    }
  });

  it("a bad setting of the webhook's own (INVOICE_PREFIX) is a 500 naming it, and nothing is written", async () => {
    const p = await createProduct({ stock: 5, reserved: 1 });
    const { id } = await createOrder({ lines: [{ productId: p, quantity: 1 }] });
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const res = await deliverWithEnv({ INVOICE_PREFIX: "", LOG_LEVEL: "error" } as Partial<Env>, webhookRequest({ order_id: id, status: "paid" }));
      expect(res.status).toBe(500);
      expect(await res.json()).toMatchObject({ error: "Service misconfigured" });
      expect(errors.mock.calls.map((c) => String(c[0])).join("\n")).toMatch(/INVOICE_PREFIX must be 1-10 upper-case letters/);
    } finally {
      errors.mockRestore();
    }
    expect((await order(id))?.status).toBe("AWAITING_PAYMENT");
  });

  it.each([
    ["POSTMARK_API_URL over plain http to a real host", { POSTMARK_API_URL: "http://api.postmarkapp.com" }, /POSTMARK_API_URL must be https/],
    ["a bad INVOICE_TIME_ZONE", { INVOICE_TIME_ZONE: "Mars/Olympus" }, /INVOICE_TIME_ZONE must be an IANA time zone/],
  ])("%s (a setting of the consumer's own) retries every message, drops none, and names the variable", async (_, bad, message) => {
    const { invoiceId } = await confirmedOrderWithInvoice();
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const result = await runQueue("invoice-emails", [invoiceJob(invoiceId), invoiceJob(invoiceId)], { ...bad, LOG_LEVEL: "error" } as Partial<Env>);
      expect(result.retryMessages).toHaveLength(2);
      expect(result.explicitAcks).toEqual([]);
      expect(errors.mock.calls.map((c) => String(c[0])).join("\n")).toMatch(message);
    } finally {
      errors.mockRestore();
    }
    const row = await invoiceRow(invoiceId);
    expect(row.status).toBe("PENDING");
    // The retry comes back in 5 minutes: the sweeper must not add a message meanwhile.
    expect(row.next_attempt_at!).toBeGreaterThan(Date.now() + 5 * MINUTE);
    expect(row.last_error).toMatch(message);
    expect(postmark.received).toHaveLength(0);
  });

  it("a bad OPS_ALERT_EMAIL holds back alerts (retried, named in the log) but not invoices", async () => {
    const { invoiceId } = await confirmedOrderWithInvoice();
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const bad = { OPS_ALERT_EMAIL: "ops@shop.example, boss@shop.example", LOG_LEVEL: "error" } as Partial<Env>;
      const result = await runQueue("invoice-emails", [invoiceJob(invoiceId), { kind: "alert", itemId: 1 }], bad);
      expect(result.explicitAcks).toHaveLength(1);
      expect(result.retryMessages).toHaveLength(1);
      expect(errors.mock.calls.map((c) => String(c[0])).join("\n")).toMatch(/OPS_ALERT_EMAIL must be one email address/);
    } finally {
      errors.mockRestore();
    }
    expect((await invoiceRow(invoiceId)).status).toBe("SENT");
  });

  it("the dead-letter consumer works whatever the email settings say", async () => {
    const { invoiceId } = await confirmedOrderWithInvoice();
    const result = await runQueue("invoice-emails-dlq", [invoiceJob(invoiceId)], {
      POSTMARK_API_URL: "http://api.postmarkapp.com",
      WEBHOOK_SIGNING_SECRET: "whsec_abc!",
    } as Partial<Env>);
    expect(result.explicitAcks).toHaveLength(1);
    expect((await invoiceRow(invoiceId)).status).toBe("FAILED");
  });

  it("https is required for Postmark, except a local or reserved test host", async () => {
    const { readMailConfig } = await import("../src/config");
    const parse = (url: string) => () => readMailConfig({ ...env, POSTMARK_API_URL: url });
    expect(parse("https://api.postmarkapp.com")).not.toThrow();
    expect(parse("http://127.0.0.1:9999")).not.toThrow();
    expect(parse("http://localhost:9999")).not.toThrow();
    expect(parse("http://postmark.fake.test")).not.toThrow();
    expect(parse("http://api.postmarkapp.com")).toThrow(/https/);
  });
});
