// Money is stored as an integer in the currency's minor unit as Stripe's API counts it, and
// src/payments/money.ts is the one place that knows how many digits that unit has. These run
// inside workerd, where the Worker formats, so its Intl data is the one checked.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { describeAttention, type AttentionRow } from "../src/attention/describeAttention";
import { layoutInvoice } from "../src/documents/pdf/layoutInvoice";
import { currencyCode, formatMoney, formatMoneyForLocale, minorUnitDigits, parseMoney } from "../src/payments/money";
import { postmark } from "./support/fakePostmark";
import { runQueue } from "./support/invoices";
import { sampleInvoice } from "./support/sampleInvoice";
import { attentionOf, createOrder, createProduct, deliver } from "./support/shop";

const NBSP = "\u00a0";

describe("minorUnitDigits", () => {
  it.each([
    ["EUR", 2],
    ["usd", 2],
    ["JPY", 0],
    ["KRW", 0],
    ["UGX", 0],
    ["KWD", 3],
    ["BHD", 3],
    ["TND", 3],
    // Stripe's special cases: its API unit, not ISO 4217's and not Intl's display digits.
    ["ISK", 2], // ISO 0; Stripe: 100 is 1 króna
    ["HUF", 2], // Intl says 0; Stripe's API is two-decimal (payouts are whole forints)
    ["TWD", 2],
    ["MGA", 0], // ISO 2; Stripe zero-decimal
    ["IDR", 2], // Intl says 0
  ])("%s has %i", (currency, digits) => {
    expect(minorUnitDigits(currency)).toBe(digits);
  });

  it("refuses a code that is no currency instead of guessing", () => {
    expect(() => minorUnitDigits("XYZ")).toThrow(/"XYZ" is not an ISO 4217 currency code/);
    expect(() => minorUnitDigits("euro")).toThrow(RangeError);
    expect(currencyCode(" eur ")).toBe("EUR");
    expect(currencyCode("€")).toBeNull();
  });
});

describe("formatMoney, for the operator", () => {
  it.each([
    [5000, "JPY", "5,000 JPY"],
    [12345, "KWD", "12.345 KWD"],
    [1250, "EUR", "12.50 EUR"],
    [5, "eur", "0.05 EUR"],
    [123456789, "EUR", "1,234,567.89 EUR"],
    [-1250, "EUR", "-12.50 EUR"],
    [100000, "HUF", "1,000.00 HUF"],
    [100050, "HUF", "1,000.50 HUF"],
    [50050, "ISK", "500.50 ISK"],
    [50000, "ISK", "500 ISK"],
    [9007199254740991, "EUR", "90,071,992,547,409.91 EUR"],
  ])("%i %s reads %s", (minor, currency, words) => {
    expect(formatMoney(minor, currency)).toBe(words);
  });

  it("shows an unknown code's integer as it is, saying so, and never throws", () => {
    expect(formatMoney(1234, "XYZ")).toBe("1234 (minor units of XYZ)");
    expect(formatMoney(1234, null)).toBe("1234 (minor units of an unknown currency)");
    expect(formatMoney(1234, "<b>")).toBe("1234 (minor units of an unknown currency)");
  });
});

describe("formatMoneyForLocale, for the customer", () => {
  it("writes the locale's own currency style with the unit's digits", () => {
    expect(formatMoneyForLocale(5000, "JPY", "en-GB")).toBe("JP¥5,000");
    expect(formatMoneyForLocale(12345, "KWD", "en-GB")).toBe(`KWD${NBSP}12.345`);
    expect(formatMoneyForLocale(1250, "EUR", "de-DE")).toBe(`12,50${NBSP}€`);
    expect(formatMoneyForLocale(1250, "EUR", "en-GB")).toBe("€12.50");
  });

  it("refuses what a document must not print", () => {
    expect(() => formatMoneyForLocale(12.5, "EUR", "en-GB")).toThrow(/integer/);
    expect(() => formatMoneyForLocale(1, "XYZ", "en-GB")).toThrow(/ISO 4217/);
  });
});

describe("parseMoney, what an operator types", () => {
  it.each([
    ["12.50", "EUR", 1250],
    ["12.5", "EUR", 1250],
    ["12", "eur", 1200],
    ["5000", "JPY", 5000],
    ["12.345", "KWD", 12345],
    ["12.3", "KWD", 12300],
    [" 7 ", "ISK", 700],
  ])("%s %s is %i", (input, currency, minor) => {
    expect(parseMoney(input, currency)).toEqual({ ok: true, minor });
  });

  it.each([
    ["12.505", "EUR", 'EUR has 2 decimals: "12.505" has 3, e.g. 12.50'],
    ["50.5", "JPY", 'JPY has no decimals: "50.5" has 1, e.g. 5000'],
    ["12.3456", "KWD", 'KWD has 3 decimals: "12.3456" has 4, e.g. 12.500'],
    ["-1", "EUR", '"-1" is not an amount: write it in EUR with a dot for decimals, e.g. 12.50'],
    ["1e3", "EUR", '"1e3" is not an amount: write it in EUR with a dot for decimals, e.g. 12.50'],
    ["1,000", "EUR", '"1,000" is not an amount: write it in EUR with a dot for decimals, e.g. 12.50'],
    ["12.", "EUR", '"12." is not an amount: write it in EUR with a dot for decimals, e.g. 12.50'],
    ["0.00", "EUR", "the amount must be more than 0 EUR"],
    ["99999999999999999", "EUR", '"99999999999999999" is too large an amount'],
    ["5", "XYZ", '"XYZ" is not an ISO 4217 currency code such as "EUR"'],
  ])("refuses %s %s", (input, currency, error) => {
    expect(parseMoney(input, currency)).toEqual({ ok: false, error });
  });
});

function attentionRow(overrides: Partial<AttentionRow>): AttentionRow {
  return {
    id: 1, kind: "refund_required", order_id: "0195f0e4-0000-7000-8000-000000000001", invoice_id: null, detail: null,
    created_at: 0, resolved_at: null, resolved_by: null, resolution_note: null, order_number: 1042,
    order_status: "CANCELLED", customer_email: "jane@example.test", customer_name: "Jane", currency: "EUR",
    order_total_cents: 1250, invoice_number: null, provider: "stripe", provider_ref: "pi_1", delivery_id: "evt_1",
    ...overrides,
  };
}

describe("attention words", () => {
  it("say a refund of 5000 JPY as 5,000 JPY, not 50.00", () => {
    const { action } = describeAttention(attentionRow({ currency: "JPY", order_total_cents: 5000 }));
    expect(action).toContain("refund 5,000 JPY to jane@example.test");
  });

  it("say 12345 KWD as 12.345 KWD in an amount mismatch", () => {
    const detail = JSON.stringify({ paid_cents: 12345, paid_currency: "KWD", order_cents: 12000, order_currency: "KWD" });
    const { happened } = describeAttention(attentionRow({ kind: "amount_mismatch", detail }));
    expect(happened).toContain("was paid 12.345 KWD but totals 12.000 KWD");
  });

  it("say an unknown currency's amount without inventing a unit", () => {
    const detail = JSON.stringify({ reason: "no order id", amount_cents: 999, currency: "XYZ" });
    const { happened } = describeAttention(attentionRow({ kind: "unmatched_payment", detail }));
    expect(happened).toContain("a payment of 999 (minor units of XYZ) names no order");
  });
});

describe("invoice layout", () => {
  it("prints HUF as Stripe counts it: 150000 is 1,500 forints, not 150,000", () => {
    const layout = layoutInvoice(sampleInvoice({ currency: "HUF", locale: "en-GB", lines: [{ description: "Kávé", quantity: 1, unitPriceCents: 150000 }] }));
    expect(layout.totals.at(-1)!.amount).toBe(`HUF${NBSP}1,500.00`);
  });
});

describe("the alert email", () => {
  it.each([
    ["JPY", 5000, "refund 5,000 JPY to"],
    ["KWD", 12345, "refund 12.345 KWD to"],
  ])("says a %s refund in the currency's own unit", async (currency, unitPriceCents, words) => {
    const productId = await createProduct({ stock: 5 });
    const { id } = await createOrder({ status: "CANCELLED", customerEmail: "ada@example.test", lines: [{ productId, quantity: 1, unitPriceCents }] });
    await env.DB.prepare("UPDATE orders SET currency = ? WHERE id = ?").bind(currency, id).run();
    await deliver({ order_id: id, status: "paid" });
    const [item] = await attentionOf(id);

    await runQueue("invoice-emails", [{ kind: "alert", itemId: item!.id }], { OPS_ALERT_EMAIL: "ops@shop.example" } as Partial<Env>);

    const [email] = postmark.received.filter((e) => e.body.Metadata?.attention_item === String(item!.id));
    expect(email!.body.TextBody).toContain(`${words} ada@example.test`);
    expect(email!.body.TextBody).not.toMatch(/50\.00 JPY|123\.45 KWD/);
  });
});
