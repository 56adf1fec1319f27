// The e-invoice XML against the official EN 16931 rules (test/e2e/support/en16931Validator.ts):
// the CII syntax (XSD) and the business rules (Schematron), for the baskets issue 19 names.
// Plain Node: the builder is plain TypeScript without Node built-ins; the PDF that carries the
// XML is checked from the Worker's own path in einvoice-pdf.e2e.ts.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { MailConfig } from "../../src/config";
import { creditNoteEInvoice, invoiceEInvoice } from "../../src/documents/einvoice/attachFacturX";
import { buildFacturXml } from "../../src/documents/einvoice/facturX";
import type { CreditNoteDocument, InvoiceDocument } from "../../src/documents/invoiceModel";
import { validateEn16931 } from "./support/en16931Validator";
import { CREDIT_NOTE, JPY, MIXED_RATES, TAX_FREE, ZERO_RATED } from "./support/einvoiceSamples";

const EXAMPLE = fs.readFileSync(path.resolve(import.meta.dirname, "../../vendor/en16931-cii/examples/CII_example1.xml"), "utf8");

describe("the EN 16931 validator itself", () => {
  it("passes the official CII example", async () => {
    const report = await validateEn16931(EXAMPLE);
    expect(report.schemaErrors).toEqual([]);
    expect(report.fatal).toEqual([]);
  });

  it("fails the official example with a changed grand total (BR-CO-15, BR-CO-16)", async () => {
    const broken = EXAMPLE.replace(/<ram:GrandTotalAmount>[^<]*</, "<ram:GrandTotalAmount>999.99<");
    expect(broken).not.toBe(EXAMPLE);
    const report = await validateEn16931(broken);
    expect(report.fatal).toEqual(expect.arrayContaining(["BR-CO-15", "BR-CO-16"]));
  });

  it("fails an element the CII schema does not know", async () => {
    const report = await validateEn16931(EXAMPLE.replace("</rsm:ExchangedDocument>", "<ram:Bogus>1</ram:Bogus></rsm:ExchangedDocument>"));
    expect(report.schemaErrors.join("\n")).toMatch(/Bogus/);
  });
});

describe("our e-invoice XML passes the EN 16931 schema and rules", () => {
  for (const [name, invoice] of Object.entries({ MIXED_RATES, TAX_FREE, JPY, ZERO_RATED, CREDIT_NOTE })) {
    it(name, async () => {
      const report = await validateEn16931(buildFacturXml(invoice));
      expect(report.schemaErrors).toEqual([]);
      expect(report.rules.filter((r) => r.flag === "fatal")).toEqual([]);
    });
  }

  it("says what the PDF says: two rates, their sums to the cent, paid, dates, escaped text", () => {
    const xml = buildFacturXml(MIXED_RATES);
    expect(xml).toContain("<ram:ID>urn:cen.eu:en16931:2017</ram:ID>");
    expect(xml).toContain("<ram:BasisAmount>18.69</ram:BasisAmount>");
    expect(xml).toContain("<ram:CalculatedAmount>2.39</ram:CalculatedAmount>");
    expect(xml).toContain("<ram:GrandTotalAmount>35.00</ram:GrandTotalAmount>");
    expect(xml).toContain("<ram:DuePayableAmount>0.00</ram:DuePayableAmount>");
    expect(xml).toContain('<udt:DateTimeString format="102">20261128</udt:DateTimeString>');
    expect(xml).toContain("Book &quot;Kaffee &amp; Kuchen&quot; &lt;2nd ed.&gt;");
    expect(buildFacturXml(JPY)).toContain("<ram:GrandTotalAmount>3300</ram:GrandTotalAmount>");
    expect(buildFacturXml(CREDIT_NOTE)).toMatch(/<ram:TypeCode>381<\/ram:TypeCode>[\s\S]*<ram:IssuerAssignedID>INV-2026-000042</);
  });

  it("fails the rules when our own total is changed (BR-CO-15, BR-CO-16)", async () => {
    const xml = buildFacturXml(MIXED_RATES);
    const broken = xml.replace("<ram:GrandTotalAmount>35.00<", "<ram:GrandTotalAmount>35.01<");
    expect(broken).not.toBe(xml);
    expect((await validateEn16931(broken)).fatal).toEqual(expect.arrayContaining(["BR-CO-15", "BR-CO-16"]));
  });

  it("fails the rules when an exempt rate has no reason (BR-E-10)", async () => {
    const xml = buildFacturXml(TAX_FREE);
    const broken = xml.replace(/<ram:ExemptionReason>[^<]*<\/ram:ExemptionReason>/, "");
    expect(broken).not.toBe(xml);
    expect((await validateEn16931(broken)).fatal).toContain("BR-E-10");
    expect(() => buildFacturXml({ ...TAX_FREE, taxes: [{ ...TAX_FREE.taxes[0]!, exemptionReason: " " }] })).toThrow(/BT-120/);
  });
});

describe("the invoice model mapped to EN 16931 (attachFacturX.ts), validated", () => {
  const config = { invoice: { seller: { countryCode: "DE" }, einvoice: "factur-x" } } as unknown as MailConfig;
  const invoice: InvoiceDocument = {
    seller: { name: "Example Coffee GmbH", addressLines: ["Kaffeestraße 1", "10115 Berlin", "Germany", "Hinterhaus"], vatId: "DE000000000", email: "invoices@shop.example" },
    number: "INV-2026-000050",
    issuedAt: Date.UTC(2026, 10, 29, 23, 30),
    orderNumber: 50,
    customer: { name: "Ada Lovelace", email: "ada@example.com", billingAddress: { company: "Analytical Engines Ltd", line1: "1 St James's Square", postalCode: "SW1Y 4JU", city: "London", country: "gb" } },
    currency: "EUR",
    timeZone: "Europe/Berlin",
    lines: [
      { description: "Espresso beans 1 kg", quantity: 3, unitPriceCents: 1999, taxRateBp: 700 },
      { description: "Grinder", quantity: 1, unitPriceCents: 8999, taxRateBp: 1900 },
      { description: "Gift card", quantity: 1, unitPriceCents: 2500, taxRateBp: 0 },
    ],
    taxRatePercent: 19,
    pricesIncludeTax: false,
    payment: { paidAt: Date.UTC(2026, 10, 29, 23, 0), provider: "stripe", reference: "pi_3Example" },
  };

  it("an invoice with net prices over three rates (7, 19, zero-rated), the date in the shop's zone", async () => {
    const einvoice = invoiceEInvoice(invoice, config);
    if ("skipped" in einvoice) throw new Error(einvoice.skipped);
    expect(einvoice.issueDate).toBe("2026-11-30"); // 23:30 UTC is the next day in Berlin
    expect(einvoice.buyer).toMatchObject({ name: "Analytical Engines Ltd", countryCode: "GB" });
    expect(einvoice.seller.addressLines).toEqual(["Kaffeestraße 1", "10115 Berlin", "Germany, Hinterhaus"]);
    const report = await validateEn16931(buildFacturXml(einvoice));
    expect(report.schemaErrors).toEqual([]);
    expect(report.rules.filter((r) => r.flag === "fatal")).toEqual([]);
  });

  it("a one-cent refund: only the rate it fell on is credited, and it validates", async () => {
    const note: CreditNoteDocument = {
      seller: invoice.seller,
      number: "CN-2026-000009",
      issuedAt: Date.UTC(2026, 11, 3),
      invoice: { number: invoice.number, issuedAt: invoice.issuedAt, lines: invoice.lines },
      orderNumber: 50,
      customer: invoice.customer,
      currency: "EUR",
      amountCents: 1,
      reason: "requested_by_customer",
      taxRatePercent: 19,
      pricesIncludeTax: false,
    };
    const einvoice = creditNoteEInvoice(note, config);
    if ("skipped" in einvoice) throw new Error(einvoice.skipped);
    expect(einvoice.lines).toHaveLength(1);
    const report = await validateEn16931(buildFacturXml(einvoice));
    expect(report.schemaErrors).toEqual([]);
    expect(report.rules.filter((r) => r.flag === "fatal")).toEqual([]);
  });

  it("no billing country: no e-invoice rather than an invented one", () => {
    expect(invoiceEInvoice({ ...invoice, customer: { name: "Ada", email: "ada@example.com" } }, config)).toEqual({ skipped: "the order has no billing country" });
  });
});
