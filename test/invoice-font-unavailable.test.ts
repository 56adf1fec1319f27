// Reading the CJK invoice font from static assets is I/O: when it fails for a moment the
// invoice is retried, not FAILED like a render error. A file of its own: the font is cached
// per isolate once loaded, and other files load it.
import { beforeEach, describe, expect, it } from "vitest";
import { postmark } from "./support/fakePostmark";
import { confirmedOrderWithInvoice, invoiceJob, invoiceRow, runQueue } from "./support/invoices";

beforeEach(() => postmark.reset());

describe("the invoice fonts", () => {
  it("an invoice font that cannot be loaded for a moment is retried, not FAILED", async () => {
    const { invoiceId } = await confirmedOrderWithInvoice({ customerName: "山田太郎" });
    const brokenAssets = { fetch: async () => new Response("unavailable", { status: 503 }) } as unknown as Fetcher;
    const result = await runQueue("invoice-emails", [invoiceJob(invoiceId)], { ASSETS: brokenAssets } as Partial<Env>);
    expect(result.retryMessages).toHaveLength(1);
    const row = await invoiceRow(invoiceId);
    expect(row.status).toBe("PENDING");
    expect(row.last_error).toMatch(/^could not load the invoice font/);
    // With the assets back, it goes out.
    await runQueue("invoice-emails", [invoiceJob(invoiceId)], {}, 2);
    expect((await invoiceRow(invoiceId)).status).toBe("SENT");
  });

});
