// layoutInvoice decides every string and amount the invoice prints (the PDF and the email
// both use it): rows, totals, the tax breakdown, and human-formatted money and dates.
import { describe, expect, it } from "vitest";
import { layoutInvoice, type InvoiceDocument } from "../src/documents/pdf/renderInvoicePdf";
import { ROUNDING_RULE } from "../src/documents/taxSummary";
import { sampleInvoice } from "./support/sampleInvoice";

const NBSP = "\u00a0";

const invoice = sampleInvoice;

describe("layoutInvoice", () => {
  it("prints one row per line with quantity, unit price, VAT rate and line total, and the VAT of the total", () => {
    const layout = layoutInvoice(invoice());

    expect(layout.rows).toEqual([
      { description: "Espresso beans, 1 kg", quantity: "2", unitPrice: "€24.90", rate: "19%", lineTotal: "€49.80", lineTotalCents: 4980 },
      { description: "Ceramic mug", quantity: "1", unitPrice: "€12.99", rate: "19%", lineTotal: "€12.99", lineTotalCents: 1299 },
      { description: "Gift wrap", quantity: "3", unitPrice: "€1.50", rate: "19%", lineTotal: "€4.50", lineTotalCents: 450 },
    ]);
    // 67.29 at 19 %: tax = 67.29 x 19 / 119 = 10.7439 -> 10.74, net 56.55.
    expect(layout.totals).toEqual([
      { label: "Net", amount: "€56.55", cents: 5655, grand: false },
      { label: "VAT 19%", amount: "€10.74", cents: 1074, grand: false },
      { label: "Total", amount: "€67.29", cents: 6729, grand: true },
    ]);
    expect(layout.taxTable?.rows).toEqual([{ rate: "19%", net: "€56.55", tax: "€10.74", gross: "€67.29" }]);
    expect(layout.totalCents).toBe(6729);
    expect(layout.notes).toEqual(["Prices include VAT at 19%.", ROUNDING_RULE]);
  });

  it("prints the seller, the invoice details and the customer", () => {
    const layout = layoutInvoice(invoice());

    expect(layout.seller).toEqual([
      "Example Shop GmbH",
      "Hauptstraße 1",
      "10115 Berlin",
      "VAT ID: DE123456789",
      "billing@shop.test",
    ]);
    expect(layout.details).toEqual([
      { label: "Invoice number", value: "INV-2026-000042" },
      { label: "Invoice date", value: "20 April 2026" },
      { label: "Date of supply", value: "20 April 2026" },
      { label: "Order number", value: "42" },
    ]);
    expect(layout.billTo).toEqual(["Jane Doe", "jane@example.test"]);
    expect(layout.metadata).toEqual({
      title: "Invoice INV-2026-000042",
      author: "Example Shop GmbH",
      subject: "Invoice INV-2026-000042 for order 42, Jane Doe",
      creationDate: new Date(Date.UTC(2026, 3, 20, 23, 30)),
      language: "en-GB",
    });
  });

  it("leaves out the VAT id and email lines when the seller has none", () => {
    const layout = layoutInvoice(invoice({ seller: { name: "Solo Trader", addressLines: ["1 High Street"] } }));

    expect(layout.seller).toEqual(["Solo Trader", "1 High Street"]);
  });

  it("formats money, numbers and dates for the invoice's locale", () => {
    const layout = layoutInvoice(
      invoice({
        locale: "de-DE",
        lines: [{ description: "Kaffeemaschine", quantity: 1500, unitPriceCents: 123456 }],
      }),
    );

    expect(layout.rows[0]).toMatchObject({
      quantity: "1.500",
      unitPrice: `1.234,56${NBSP}€`,
      lineTotal: `1.851.840,00${NBSP}€`,
    });
    expect(layout.details[1]!.value).toBe("20. April 2026");
    expect(layout.metadata.language).toBe("de-DE");
  });

  it("reads amounts in the currency's own minor unit (none for JPY, three digits for KWD)", () => {
    const yen = layoutInvoice(invoice({ currency: "JPY", locale: "ja-JP", lines: [{ description: "抹茶", quantity: 2, unitPriceCents: 1800 }] }));
    const dinar = layoutInvoice(invoice({ currency: "KWD", lines: [{ description: "Dates", quantity: 1, unitPriceCents: 1250 }] }));

    expect(yen.rows[0]!.lineTotal).toBe("￥3,600");
    expect(yen.details[1]!.value).toBe("2026年4月20日");
    expect(dinar.rows[0]!.lineTotal).toBe(`KWD${NBSP}1.250`);
  });

  it("breaks gross prices into net and tax on the total, so they add up to it", () => {
    const layout = layoutInvoice(
      invoice({
        locale: "pl-PL",
        currency: "PLN",
        taxRatePercent: 23,
        lines: [{ description: "Kawa", quantity: 2, unitPriceCents: 4999 }],
      }),
    );

    // 9998 gross at 23 %: tax = 9998 * 23 / 123 = 1869.56 -> 1870, net = 8128.
    expect(layout.totals).toEqual([
      { label: "Net", amount: `81,28${NBSP}zł`, cents: 8128, grand: false },
      { label: "VAT 23%", amount: `18,70${NBSP}zł`, cents: 1870, grand: false },
      { label: "Total", amount: `99,98${NBSP}zł`, cents: 9998, grand: true },
    ]);
    expect(layout.notes).toEqual(["Prices include VAT at 23%.", ROUNDING_RULE]);
  });

  it("handles a fractional tax rate and a zero rate", () => {
    const swiss = layoutInvoice(invoice({ currency: "CHF", locale: "en-GB", taxRatePercent: 8.1 }));
    const zero = layoutInvoice(invoice({ taxRatePercent: 0 }));

    expect(swiss.totals.map((t) => [t.label, t.cents])).toEqual([
      ["Net", 6225],
      ["VAT 8.1%", 504],
      ["Total", 6729],
    ]);
    expect(zero.totals.map((t) => t.cents)).toEqual([6729, 0, 6729]);
  });

  it("falls back to en-GB for a malformed locale instead of refusing the invoice", () => {
    const layout = layoutInvoice(invoice({ locale: "not a locale!" }));

    expect(layout.metadata.language).toBe("en-GB");
    expect(layout.rows[0]!.unitPrice).toBe("€24.90");
  });

  it("explains a currency that is not an ISO 4217 code", () => {
    expect(() => layoutInvoice(invoice({ currency: "euro" }))).toThrow(/"euro" is not an ISO 4217 code such as "EUR"/);
  });

  it("refuses amounts that are not whole minor units", () => {
    expect(() =>
      layoutInvoice(invoice({ lines: [{ description: "Half a cent", quantity: 1, unitPriceCents: 12.5 }] })),
    ).toThrow(/line 1: the unit price must be an integer in the currency's minor unit, got 12.5/);
  });

  it("keeps descriptions exactly as given, emoji included (the email prints them too)", () => {
    const layout = layoutInvoice(invoice({ lines: [{ description: "Party pack 🎉", quantity: 1, unitPriceCents: 999 }] }));

    expect(layout.rows[0]!.description).toBe("Party pack 🎉");
  });
});
