// What an EU accountant reads on the invoice and credit note PDFs (issue 19): per rate the net,
// the rate, the tax and the gross, the totals, each exact to the cent; the rounding rule; the
// billing address in any script; the date of supply; Paid with date and how; the seller's
// register, tax number and contact lines; a tax-free shop's note instead of VAT. Read back
// from the PDF's own text (test/support/pdfText.ts), not from the layout.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { CreditNoteDocument, InvoiceDocument } from "../src/documents/invoiceModel";
import { renderCreditNotePdf } from "../src/documents/pdf/renderCreditNotePdf";
import { assetFontLoader, renderInvoicePdf } from "../src/documents/pdf/renderInvoicePdf";
import { ROUNDING_RULE } from "../src/documents/taxSummary";
import { pdfText, pdfTexts } from "./support/pdfText";

const fonts = assetFontLoader(env.ASSETS);

const seller = {
  name: "Demo Coffee Roasters GmbH",
  addressLines: ["Röstereistraße 1", "10115 Berlin"],
  contactLines: ["Phone +49 30 1234567"],
  vatId: "DE123456789",
  taxNumber: "30/123/45678",
  registerEntry: "Amtsgericht Berlin-Charlottenburg HRB 123456",
  email: "invoices@demo.example",
};

/** A book at 7 % and a mug at 19 % (the basket), plus beans at 7 %. */
function basket(overrides: Partial<InvoiceDocument> = {}): InvoiceDocument {
  return {
    seller,
    number: "INV-2026-000042",
    issuedAt: Date.UTC(2026, 10, 29, 10, 0),
    orderNumber: 1042,
    customer: { name: "Ada Lovelace", email: "ada@example.test" },
    currency: "EUR",
    supplyDate: "2026-11-27",
    lines: [
      { description: "The Coffee Book", quantity: 1, unitPriceCents: 2000, taxRateBp: 700 },
      { description: "Ceramic mug", quantity: 2, unitPriceCents: 1500, taxRateBp: 1900 },
      { description: "Espresso beans", quantity: 1, unitPriceCents: 2490, taxRateBp: 700 },
    ],
    taxRatePercent: 19,
    pricesIncludeTax: true,
    payment: { paidAt: Date.UTC(2026, 10, 29, 9, 58), provider: "stripe", reference: "pi_test_basket" },
    ...overrides,
  };
}

/** Amounts as printed ("€1,234.56", "-€10.10", "￥3,600") back to minor units. */
function minor(printed: string, digits = 2): number {
  const negative = /^-|−/.test(printed);
  const number = printed.replace(/[^\d.]/g, "");
  const [whole, fraction = ""] = number.split(".");
  const value = Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, "0") || 0);
  return negative ? -value : value;
}

/** The VAT breakdown rows read back from the page: rate, net, tax, gross (in minor units). */
function breakdown(text: string, digits = 2) {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => /^(VAT BREAKDOWN|VAT CORRECTION OF INVOICE)/.test(l));
  expect(start, "the page has a VAT breakdown").toBeGreaterThan(-1);
  expect(lines.slice(start + 1, start + 5)).toEqual(["VAT rate", "Net", "VAT", "Gross"]);
  const rows = [];
  for (let i = start + 5; /%$/.test(lines[i] ?? ""); i += 4) {
    rows.push({ rate: lines[i]!, net: minor(lines[i + 1]!, digits), tax: minor(lines[i + 2]!, digits), gross: minor(lines[i + 3]!, digits) });
  }
  return rows;
}

function totals(text: string, label: string, digits = 2) {
  // The last match: the breakdown's header has "Net" and "VAT" too, the totals come after it.
  const after = (name: RegExp) => {
    const match = [...text.matchAll(new RegExp(`\\n${name.source}\\n([^\\n]+)\\n`, "g"))].at(-1);
    expect(match, `${name.source} on the page`).toBeDefined();
    return minor(match![1]!, digits);
  };
  return { net: after(/Net/), tax: after(/VAT(?: [\d.,]+ ?%)?/), gross: after(new RegExp(label)) };
}

function expectSumsToTheCent(text: string, label = "Total", digits = 2) {
  const rows = breakdown(text, digits);
  const sums = totals(text, label, digits);
  for (const row of rows) expect(row.net + row.tax, `net + VAT = gross at ${row.rate}`).toBe(row.gross);
  // A credit note's breakdown is negative (it corrects the invoice), its totals the positive refund.
  expect(Math.abs(rows.reduce((s, r) => s + r.net, 0))).toBe(Math.abs(sums.net));
  expect(Math.abs(rows.reduce((s, r) => s + r.tax, 0))).toBe(Math.abs(sums.tax));
  expect(Math.abs(rows.reduce((s, r) => s + r.gross, 0))).toBe(Math.abs(sums.gross));
  return { rows, sums };
}

describe("the invoice PDF of a mixed-rate basket", () => {
  it("prices including VAT: shows each line's rate, net, VAT and gross per rate, and totals that add up to the cent", async () => {
    const text = await pdfText(await renderInvoicePdf(basket(), fonts));

    const { rows, sums } = expectSumsToTheCent(text);
    // 19 %: 30.00 gross -> VAT 30.00 x 19/119 = 4.79; 7 %: 44.90 gross -> VAT 44.90 x 7/107 = 2.94.
    expect(rows).toEqual([
      { rate: "19%", net: 2521, tax: 479, gross: 3000 },
      { rate: "7%", net: 4196, tax: 294, gross: 4490 },
    ]);
    expect(sums).toEqual({ net: 6717, tax: 773, gross: 7490 });
    // A row's numbers are drawn before its description: quantity, unit price, rate, amount.
    expect(text).toMatch(/\n1\n€20\.00\n7%\n€20\.00\nThe Coffee Book\n/);
    expect(text).toMatch(/\n2\n€15\.00\n19%\n€30\.00\nCeramic mug\n/);
    expect(text).toContain("Prices include VAT at the rate shown on each line.");
    expect(text).toContain(ROUNDING_RULE);
  });

  it("prices excluding VAT: the lines are net, the VAT is added per rate, and the totals add up to the cent", async () => {
    const text = await pdfText(await renderInvoicePdf(basket({ pricesIncludeTax: false }), fonts));

    const { rows, sums } = expectSumsToTheCent(text);
    // 19 %: 30.00 net + 5.70; 7 %: 44.90 net + 3.143 -> 3.14.
    expect(rows).toEqual([
      { rate: "19%", net: 3000, tax: 570, gross: 3570 },
      { rate: "7%", net: 4490, tax: 314, gross: 4804 },
    ]);
    expect(sums).toEqual({ net: 7490, tax: 884, gross: 8374 });
    expect(text).toContain("Unit price (net)");
    expect(text).toContain("Amount (net)");
    expect(text).toContain("Prices exclude VAT at the rate shown on each line.");
  });

  it("shows the invoice date and the date of supply, Paid with the date and how, and the seller's register, tax number and contact lines", async () => {
    const text = await pdfText(await renderInvoicePdf(basket(), fonts));

    expect(text).toMatch(/Invoice date\n29 November 2026\nDate of supply\n27 November 2026/);
    expect(text).toContain("Paid on 29 November 2026 via Stripe, reference pi_test_basket.");
    for (const line of ["Phone +49 30 1234567", "VAT ID: DE123456789", "Tax number: 30/123/45678", "Amtsgericht Berlin-Charlottenburg HRB 123456"]) {
      expect(text).toContain(line);
    }
  });

  it("uses the invoice date as the date of supply when the order names none, and prints no Paid line for an unpaid document", async () => {
    const text = await pdfText(await renderInvoicePdf(basket({ supplyDate: null, payment: null }), fonts));

    expect(text).toMatch(/Invoice date\n29 November 2026\nDate of supply\n29 November 2026/);
    expect(text).not.toContain("Paid on");
  });
});

describe("a long invoice", () => {
  it.each([30, 34, 38, 42])("keeps the VAT breakdown and the totals on one page (%i lines)", async (count) => {
    const lines = Array.from({ length: count }, (_, i) => ({
      description: `Item ${i + 1}${i % 9 === 0 ? " with a description long enough to wrap onto a second line of the table" : ""}`,
      quantity: (i % 3) + 1,
      unitPriceCents: 990 + i * 37,
      taxRateBp: i % 2 ? 700 : 1900,
    }));
    const pages = await pdfTexts(await renderInvoicePdf(basket({ lines }), fonts));

    const breakdownPage = pages.findIndex((page) => page.includes("VAT BREAKDOWN"));
    const totalPage = pages.findIndex((page) => page.includes("Total"));
    expect(pages.length).toBeGreaterThan(1);
    expect(breakdownPage).toBeGreaterThan(-1);
    expect(totalPage).toBe(breakdownPage);
  });
});

describe("the invoice PDF of other shops", () => {
  it("a tax-free shop prints its note instead of any VAT", async () => {
    const note = "No VAT charged under §19 UStG (small business).";
    const text = await pdfText(await renderInvoicePdf(basket({ taxNote: note, taxRatePercent: undefined, seller: { name: "Kleine Rösterei", addressLines: ["Hauptstraße 5"] } }), fonts));

    expect(text).toContain(note);
    expect(text).not.toMatch(/VAT(?! charged)/);
    expect(text).not.toMatch(/\d+%/);
    expect(text).toMatch(/Total\n€74\.90/);
  });

  it("prints a billing address in non-Latin scripts (the CJK fallback font for Han and kana)", async () => {
    const text = await pdfText(
      await renderInvoicePdf(
        basket({
          customer: {
            name: "山田太郎",
            email: "taro@example.jp",
            billingAddress: {
              company: "山田商事株式会社",
              line1: "東京都千代田区丸の内1-1",
              line2: "Łódź, ul. Żółta 7",
              postalCode: "100-0005",
              city: "東京",
              country: "JP",
              vatId: "T1234567890123",
            },
          },
        }),
        fonts,
      ),
    );

    // Each font run is its own string in the PDF (CJK and Latin parts of a line apart), so the
    // block is compared with its line breaks taken out.
    const block = text.slice(text.indexOf("BILL TO"), text.indexOf("Description")).replace(/\n/g, "");
    expect(block).toBe(
      ["BILL TO", "山田太郎", "山田商事株式会社", "東京都千代田区丸の内1-1", "Łódź, ul. Żółta 7", "100-0005 東京", "Japan", "VAT ID: T1234567890123", "taro@example.jp"].join(""),
    );
  });

  it("prints yen, which has no minor unit, to the yen", async () => {
    const text = await pdfText(
      await renderInvoicePdf(
        basket({
          currency: "JPY",
          lines: [
            { description: "Matcha 100 g", quantity: 3, unitPriceCents: 1200, taxRateBp: 800 },
            { description: "Teapot", quantity: 1, unitPriceCents: 5500, taxRateBp: 1000 },
          ],
        }),
        fonts,
      ),
    );

    const { rows, sums } = expectSumsToTheCent(text, "Total", 0);
    // 10 %: 5,500 -> VAT 500; 8 %: 3,600 -> VAT 266.67 -> 267.
    expect(rows).toEqual([
      { rate: "10%", net: 5000, tax: 500, gross: 5500 },
      { rate: "8%", net: 3333, tax: 267, gross: 3600 },
    ]);
    expect(sums).toEqual({ net: 8333, tax: 767, gross: 9100 });
    expect(text).not.toMatch(/¥[\d,]+\.\d/);
  });
});

describe("the credit note PDF", () => {
  function note(amountCents: number, overrides: Partial<CreditNoteDocument> = {}): CreditNoteDocument {
    const invoice = basket();
    return {
      seller,
      number: "CN-2026-000007",
      issuedAt: Date.UTC(2026, 11, 2),
      invoice: { number: invoice.number, issuedAt: invoice.issuedAt, lines: invoice.lines },
      orderNumber: 1042,
      customer: invoice.customer,
      currency: "EUR",
      amountCents,
      taxRatePercent: 19,
      pricesIncludeTax: true,
      ...overrides,
    };
  }

  it("corrects the invoice per rate with negative amounts that add up to the refund, and names the invoice", async () => {
    const text = await pdfText(await renderCreditNotePdf(note(3000), fonts));

    expect(text).toContain("VAT CORRECTION OF INVOICE INV-2026-000042");
    const { rows, sums } = expectSumsToTheCent(text, "Total refunded");
    // 30.00 of 74.90, split in proportion to the rates' gross (30.00 and 44.90).
    expect(rows).toEqual([
      { rate: "19%", net: -1010, tax: -192, gross: -1202 },
      { rate: "7%", net: -1680, tax: -118, gross: -1798 },
    ]);
    expect(sums.gross).toBe(3000);
    expect(text).toMatch(/Corrects invoice\nINV-2026-000042\nInvoice date\n29 November 2026/);
  });

  it("negates the invoice's VAT exactly for a full refund", async () => {
    const text = await pdfText(await renderCreditNotePdf(note(7490), fonts));

    expect(breakdown(text)).toEqual([
      { rate: "19%", net: -2521, tax: -479, gross: -3000 },
      { rate: "7%", net: -4196, tax: -294, gross: -4490 },
    ]);
  });

  it("of a tax-free shop prints its note and no VAT", async () => {
    const text = await pdfText(await renderCreditNotePdf(note(1000, { taxNote: "No VAT charged under §19 UStG." }), fonts));

    expect(text).toContain("No VAT charged under §19 UStG.");
    // Only the seller's own VAT id and the note speak of VAT.
    expect(text).not.toMatch(/VAT(?! charged| ID: DE123456789)/);
    expect(text).not.toMatch(/\d+%/);
  });
});
