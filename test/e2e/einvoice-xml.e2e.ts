// The e-invoice XML against the official EN 16931 rules (test/e2e/support/en16931Validator.ts):
// the CII syntax (XSD) and the business rules (Schematron), for the baskets issue 19 names.
// Plain Node: the builder is plain TypeScript without Node built-ins; the PDF that carries the
// XML is checked from the Worker's own path in einvoice-pdf.e2e.ts.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildFacturXml } from "../../src/documents/einvoice/facturX";
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
