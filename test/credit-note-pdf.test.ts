// The credit note PDF: the invoice renderer draws the credit note's layout (layoutCreditNote),
// so it names the invoice it corrects, the order, the customer and the refunded amount in
// the currency's own unit, with the tax split when invoices show tax.
import { env } from "cloudflare:workers";
import { PDFDocument } from "@cantoo/pdf-lib";
import { describe, expect, it } from "vitest";
import { layoutCreditNote, type CreditNoteDocument } from "../src/documents/pdf/layoutCreditNote";
import { renderCreditNotePdf } from "../src/documents/pdf/renderCreditNotePdf";
import { assetFontLoader, renderInvoicePdf } from "../src/documents/pdf/renderInvoicePdf";
import { pdfText } from "./support/pdfText";
import { sampleInvoice } from "./support/sampleInvoice";

function creditNote(overrides: Partial<CreditNoteDocument> = {}): CreditNoteDocument {
  return {
    seller: { name: "Example Shop GmbH", addressLines: ["Hauptstraße 1", "10115 Berlin"], vatId: "DE123456789", email: "billing@shop.test" },
    number: "CN-2026-000001",
    issuedAt: Date.UTC(2026, 4, 2, 9, 0),
    invoice: { number: "INV-2026-000042", issuedAt: Date.UTC(2026, 3, 20, 10, 30) },
    orderNumber: 1042,
    customer: { name: "Jane Doe", email: "jane@example.test" },
    currency: "EUR",
    amountCents: 1250,
    reason: "requested_by_customer",
    taxRatePercent: 19,
    ...overrides,
  };
}

const render = (doc: CreditNoteDocument) => renderCreditNotePdf(doc, assetFontLoader(env.ASSETS));

describe("the credit note PDF", () => {
  it("is titled Credit note and names its number, date, the invoice it corrects, the order, customer, amount and reason", async () => {
    const bytes = await render(creditNote());
    const pdf = await PDFDocument.load(bytes);
    const text = await pdfText(bytes);

    expect(pdf.getTitle()).toBe("Credit note CN-2026-000001");
    expect(pdf.getSubject()).toBe("Credit note CN-2026-000001 for order 1042, correcting invoice INV-2026-000042, Jane Doe");
    expect(text).toContain("CREDIT NOTE");
    expect(text).toMatch(/Credit note number\nCN-2026-000001/);
    expect(text).toMatch(/Credit note date\n2 May 2026/);
    expect(text).toMatch(/Corrects invoice\nINV-2026-000042/);
    expect(text).toMatch(/Order number\n1042/);
    expect(text).toContain("Jane Doe");
    expect(text).toContain("Refund for order #1042");
    expect(text).toMatch(/Total refunded\n€12\.50/);
    expect(text).toContain("This credit note corrects invoice INV-2026-000042 of 20 April 2026 by the amount refunded.");
    expect(text).toContain("Reason: requested by the customer.");
  });

  it.each([
    ["EUR", 1250, "€12.50"],
    ["JPY", 5000, "JP¥5,000"],
    ["KWD", 12345, "KWD 12.345"],
  ])("prints a %s refund of %i as %s", async (currency, amountCents, printed) => {
    const text = await pdfText(await render(creditNote({ currency, amountCents })));

    expect(text).toMatch(new RegExp(`Total refunded\\n${printed.replace(/[.$]/g, "\\$&")}\\n`));
  });

  it("splits the refund into net and VAT like the invoice does when invoices show tax", async () => {
    const doc = creditNote({ amountCents: 11900, taxRatePercent: 19 });
    const text = await pdfText(await render(doc));

    expect(text).toMatch(/Net\n€100\.00/);
    expect(text).toMatch(/VAT 19%\n€19\.00/);
    expect(text).toMatch(/Total refunded\n€119\.00/);
    expect(text).toContain("The refunded amount includes VAT at 19%.");
    // The same tax model the invoice uses (src/documents/taxSummary.ts): net + tax = the amount.
    const layout = layoutCreditNote(doc);
    expect(layout.totals.map((t) => t.cents)).toEqual([10000, 1900, 11900]);
  });

  it("prints no reason line when the provider gave none, and a reason it does not know as given", async () => {
    expect(await pdfText(await render(creditNote({ reason: null })))).not.toContain("Reason:");
    expect(await pdfText(await render(creditNote({ reason: "Kaputt angekommen" })))).toContain("Reason: Kaputt angekommen.");
    // Stripe's "fraudulent" is the merchant's judgement: never printed on the customer's document.
    expect(await pdfText(await render(creditNote({ reason: "fraudulent" })))).not.toContain("Reason:");
  });

  it("refuses an amount that is not a positive whole number of minor units", () => {
    expect(() => layoutCreditNote(creditNote({ amountCents: 0 }))).toThrow(/must be a positive integer/);
    expect(() => layoutCreditNote(creditNote({ amountCents: 12.5 }))).toThrow(/must be a positive integer/);
  });

  it("the text reader sees what the invoice renderer prints (so the tests above can fail)", async () => {
    const text = await pdfText(await renderInvoicePdf(sampleInvoice({ currency: "KWD", lines: [{ description: "Dates", quantity: 1, unitPriceCents: 12345 }] }), assetFontLoader(env.ASSETS)));
    expect(text).toContain("INVOICE");
    expect(text).toMatch(/Total\nKWD 12\.345/);
    expect(text).not.toContain("123.45");
  });
});
