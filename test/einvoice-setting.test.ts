// INVOICE_EINVOICE inside workerd, through the real queue consumer: the PDF carries factur-x.xml
// only when the setting says so and the order has what EN 16931 needs; a wrong value is the
// consumer's configuration error like its other settings. (The XML's validity against the
// official EN 16931 rules is checked in Node: test/e2e/einvoice-*.e2e.ts.)
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { readFacturX } from "./e2e/support/facturXPdf";
import { postmark } from "./support/fakePostmark";
import { confirmedOrderWithInvoice, invoiceJob, invoiceRow, runQueue } from "./support/invoices";

beforeEach(() => postmark.reset());

const ON = { INVOICE_EINVOICE: "factur-x", SELLER_COUNTRY: "DE" } as Partial<Env>;

async function sentPdf(): Promise<Uint8Array> {
  expect(postmark.received).toHaveLength(1);
  const attachment = postmark.received[0]!.body.Attachments[0]!;
  return Uint8Array.from(atob(attachment.Content), (c) => c.charCodeAt(0));
}

async function withBillingCountry(orderId: string, country: string) {
  await env.DB.prepare("UPDATE orders SET billing_line1 = 'Unter den Linden 1', billing_postal_code = '10117', billing_city = 'Berlin', billing_country = ? WHERE id = ?")
    .bind(country, orderId)
    .run();
}

describe("INVOICE_EINVOICE", () => {
  it("reads unset as off, and refuses an unknown value or factur-x without SELLER_COUNTRY", async () => {
    const { readMailConfig } = await import("../src/config");
    expect(readMailConfig({ ...env }).invoice.einvoice).toBe("off");
    expect(readMailConfig({ ...env, ...ON }).invoice).toMatchObject({ einvoice: "factur-x", seller: { countryCode: "DE" } });
    expect(() => readMailConfig({ ...env, INVOICE_EINVOICE: "zugferd" })).toThrow(/INVOICE_EINVOICE must be "factur-x"/);
    expect(() => readMailConfig({ ...env, INVOICE_EINVOICE: "factur-x", SELLER_COUNTRY: "" })).toThrow(/SELLER_COUNTRY must be set/);
    expect(() => readMailConfig({ ...env, ...ON, SELLER_COUNTRY: "Germany" })).toThrow(/SELLER_COUNTRY must be a two-letter/);
  });

  it("a wrong value is a consumer configuration error: the invoice stays PENDING, retried, nothing sent", async () => {
    const { invoiceId } = await confirmedOrderWithInvoice();
    const result = await runQueue("invoice-emails", [invoiceJob(invoiceId)], { INVOICE_EINVOICE: "xrechnung" } as Partial<Env>);
    expect(result.retryMessages).toHaveLength(1);
    expect((await invoiceRow(invoiceId)).status).toBe("PENDING");
    expect(postmark.received).toHaveLength(0);
  });

  it("off (the default): the PDF has no embedded file and claims no PDF/A", async () => {
    const { order, invoiceId } = await confirmedOrderWithInvoice();
    await withBillingCountry(order.id, "DE");
    await runQueue("invoice-emails", [invoiceJob(invoiceId)]);
    const contents = await readFacturX(await sentPdf());
    expect(contents.fileNames).toEqual([]);
    expect(contents.xmp).not.toContain("pdfaid");
  });

  it("factur-x: the emailed PDF carries factur-x.xml for this invoice, as PDF/A-3B EN 16931", async () => {
    const { order, invoiceId, number } = await confirmedOrderWithInvoice();
    await withBillingCountry(order.id, "DE");
    const result = await runQueue("invoice-emails", [invoiceJob(invoiceId)], ON);
    expect(result.explicitAcks).toHaveLength(1);
    const contents = await readFacturX(await sentPdf());
    expect(contents.fileNames).toEqual(["factur-x.xml"]);
    expect(contents.afRelationship).toBe("/Alternative");
    expect(contents.inCatalogAF).toBe(true);
    expect(contents.xml).toContain(`<ram:ID>${number}</ram:ID>`);
    expect(contents.xml).toContain("<ram:ID>urn:cen.eu:en16931:2017</ram:ID>");
    expect(contents.xmp).toMatch(/pdfaid:part(>|=")3/);
    expect(contents.xmp).toMatch(/<fx:ConformanceLevel>EN 16931<\/fx:ConformanceLevel>/);
    expect((await invoiceRow(invoiceId)).status).toBe("SENT");
  });

  it("factur-x, but the order has no billing country: the plain PDF goes out, without XML", async () => {
    const { invoiceId } = await confirmedOrderWithInvoice();
    await runQueue("invoice-emails", [invoiceJob(invoiceId)], ON);
    const contents = await readFacturX(await sentPdf());
    expect(contents.fileNames).toEqual([]);
    expect((await invoiceRow(invoiceId)).status).toBe("SENT");
  });
});
