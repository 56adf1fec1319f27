// The tax model of invoices and credit notes (src/documents/taxSummary.ts): per line, per rate
// and in total, rounded once per rate, every sum exact to the minor unit, so the page and the
// EN 16931 XML (BR-CO-10, BR-CO-13..16, BR-S-08) can print the same numbers.
import { describe, expect, it } from "vitest";
import { allocate, divRound, summariseCreditNoteTax, summariseTax, type TaxSummary } from "../src/documents/taxSummary";

const line = (unitPriceMinor: number, rateBp: number | null, quantity = 1) => ({ unitPriceMinor, rateBp, quantity });

/** What every summary must satisfy, whatever its lines. */
function expectConsistent(summary: TaxSummary) {
  for (const rate of summary.rates) {
    const lines = summary.lines.filter((l) => l.rateBp === rate.rateBp && l.category === rate.category);
    expect(lines.reduce((s, l) => s + l.netMinor, 0)).toBe(rate.netMinor);
    expect(lines.reduce((s, l) => s + l.grossMinor, 0)).toBe(rate.grossMinor);
    expect(rate.netMinor + rate.taxMinor).toBe(rate.grossMinor);
  }
  expect(summary.lines.reduce((s, l) => s + l.netMinor, 0)).toBe(summary.netMinor);
  expect(summary.rates.reduce((s, r) => s + r.taxMinor, 0)).toBe(summary.taxMinor);
  expect(summary.netMinor + summary.taxMinor).toBe(summary.grossMinor);
}

describe("summariseTax, prices including tax", () => {
  it("splits a 7 % book and a 19 % mug per rate, to the cent (20.00 + 15.00 = 35.00)", () => {
    const summary = summariseTax({ lines: [line(2000, 700), line(1500, 1900)], pricesIncludeTax: true });

    expect(summary.rates).toEqual([
      { category: "S", rateBp: 1900, netMinor: 1261, taxMinor: 239, grossMinor: 1500 },
      { category: "S", rateBp: 700, netMinor: 1869, taxMinor: 131, grossMinor: 2000 },
    ]);
    expect([summary.netMinor, summary.taxMinor, summary.grossMinor]).toEqual([3130, 370, 3500]);
    expect(summary.lines.map((l) => [l.netMinor, l.grossMinor])).toEqual([
      [1869, 2000],
      [1261, 1500],
    ]);
    expectConsistent(summary);
  });

  it("rounds once per rate, not per line: three lines of 9.99 at 19 %", () => {
    const summary = summariseTax({ lines: [line(999, 1900), line(999, 1900), line(999, 1900)], pricesIncludeTax: true });

    // 29.97 x 19/119 = 4.7851 -> 4.79 once; per line it would be 3 x 1.60 = 4.80.
    expect(summary.rates).toEqual([{ category: "S", rateBp: 1900, netMinor: 2518, taxMinor: 479, grossMinor: 2997 }]);
    // The net's odd cent goes to the first of equal lines.
    expect(summary.lines.map((l) => l.netMinor)).toEqual([840, 839, 839]);
    expectConsistent(summary);
  });

  it("counts a quantity into the line before the rate is applied", () => {
    const summary = summariseTax({ lines: [line(2490, 1900, 2), line(150, 700, 3)], pricesIncludeTax: true });

    expect(summary.lines.map((l) => l.amountMinor)).toEqual([4980, 450]);
    expect(summary.grossMinor).toBe(5430);
    expectConsistent(summary);
  });
});

describe("summariseTax, prices excluding tax", () => {
  it("adds the tax on the net per rate: 10.00 at 19 % and 10.00 at 7 % is 32.60", () => {
    const summary = summariseTax({ lines: [line(1000, 1900), line(1000, 700)], pricesIncludeTax: false });

    expect(summary.rates).toEqual([
      { category: "S", rateBp: 1900, netMinor: 1000, taxMinor: 190, grossMinor: 1190 },
      { category: "S", rateBp: 700, netMinor: 1000, taxMinor: 70, grossMinor: 1070 },
    ]);
    expect(summary.grossMinor).toBe(2260);
    expectConsistent(summary);
  });

  it("rounds the tax of a rate's sum once: 3 x 3.33 at 19 % is 1.90 tax, not 3 x 0.63", () => {
    const summary = summariseTax({ lines: [line(333, 1900, 3)], pricesIncludeTax: false });

    expect(summary.rates[0]).toMatchObject({ netMinor: 999, taxMinor: 190, grossMinor: 1189 });
    expect(summary.lines[0]!.netMinor).toBe(999);
    expectConsistent(summary);
  });
});

describe("summariseTax, other shops", () => {
  it("works in yen, which has no minor unit: 1,000 yen at 10 % holds 91 yen of tax", () => {
    const summary = summariseTax({ lines: [line(1000, 1000), line(550, 800, 2)], pricesIncludeTax: true });

    expect(summary.rates).toEqual([
      { category: "S", rateBp: 1000, netMinor: 909, taxMinor: 91, grossMinor: 1000 },
      { category: "S", rateBp: 800, netMinor: 1019, taxMinor: 81, grossMinor: 1100 },
    ]);
    expectConsistent(summary);
  });

  it("makes every line exempt (category E, no tax) for a shop with a tax note, whatever the rates", () => {
    const note = "No VAT charged under §19 UStG.";
    const summary = summariseTax({ lines: [line(2000, 700), line(1500, null)], pricesIncludeTax: true, taxNote: note });

    expect(summary.rates).toEqual([{ category: "E", rateBp: 0, netMinor: 3500, taxMinor: 0, grossMinor: 3500, exemptionReason: note }]);
    expect(summary.taxNote).toBe(note);
    expectConsistent(summary);
  });

  it("keeps a rate of 0 as zero rated (Z), apart from the taxed lines", () => {
    const summary = summariseTax({ lines: [line(1000, 0), line(1190, 1900)], pricesIncludeTax: true });

    expect(summary.rates.map((r) => [r.category, r.rateBp, r.taxMinor])).toEqual([
      ["S", 1900, 190],
      ["Z", 0, 0],
    ]);
    expectConsistent(summary);
  });

  it("refuses a line without a rate, naming the settings that give it one", () => {
    expect(() => summariseTax({ lines: [line(1000, null)], pricesIncludeTax: true, context: "Invoice INV-2026-000001" })).toThrow(
      /Invoice INV-2026-000001 line 1 has no tax rate: set the product's tax_rate_bp or INVOICE_TAX_RATE_PERCENT/,
    );
  });

  it.each([[-1], [10_001], [19.5]])("refuses a rate of %s basis points", (rateBp) => {
    expect(() => summariseTax({ lines: [line(1000, rateBp)], pricesIncludeTax: true })).toThrow(/whole basis points from 0 to 10000/);
  });

  it("stays exact past 2^53 in the intermediate products, and refuses a total that is not", () => {
    // 1e5 x 1e10 = 1e15 minor units; x 1900 would lose digits as a float.
    const big = summariseTax({ lines: [line(10_000_000_000, 1900, 100_000)], pricesIncludeTax: true });
    expect(big.rates[0]).toMatchObject({ grossMinor: 1e15, taxMinor: 159_663_865_546_218 });
    expectConsistent(big);

    expect(() => summariseTax({ lines: [line(10_000_000_000, 1900, 1_000_000)], pricesIncludeTax: true })).toThrow(/too large/);
  });

  it("holds its sums for random baskets, and the tax per rate is the basis x rate within one minor unit (BR-CO-17)", () => {
    let seed = 20261129;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const rates = [0, 500, 700, 1000, 1900, 2100, 2300, 2500, 810];
    for (let i = 0; i < 300; i++) {
      const lines = Array.from({ length: 1 + Math.floor(random() * 12) }, () =>
        line(Math.floor(random() * 100_000), rates[Math.floor(random() * rates.length)]!, 1 + Math.floor(random() * 5)),
      );
      for (const pricesIncludeTax of [true, false]) {
        const summary = summariseTax({ lines, pricesIncludeTax });
        expectConsistent(summary);
        for (const r of summary.rates) {
          const exact = Number(divRound(BigInt(r.netMinor) * BigInt(r.rateBp), 10_000n));
          expect(Math.abs(r.taxMinor - exact)).toBeLessThanOrEqual(1);
        }
      }
    }
  });
});

describe("summariseCreditNoteTax", () => {
  const invoice = summariseTax({ lines: [line(2000, 700), line(1500, 1900)], pricesIncludeTax: true });

  it("negates the invoice's rates exactly for a full refund", () => {
    const note = summariseCreditNoteTax(invoice, 3500);

    expect(note.rates).toEqual(invoice.rates.map((r) => ({ ...r, netMinor: -r.netMinor, taxMinor: -r.taxMinor, grossMinor: -r.grossMinor })));
    expect([note.netMinor, note.taxMinor, note.grossMinor]).toEqual([-3130, -370, -3500]);
  });

  it("splits a part refund over the rates in proportion to their gross, to the cent", () => {
    const note = summariseCreditNoteTax(invoice, 1000);

    // 10.00 of 35.00: 4.29 of the 19 % part (15.00) and 5.71 of the 7 % part (20.00).
    expect(note.rates.map((r) => [r.rateBp, r.grossMinor, r.taxMinor, r.netMinor])).toEqual([
      [1900, -429, -68, -361],
      [700, -571, -37, -534],
    ]);
    expect(note.grossMinor).toBe(-1000);
    expect(note.netMinor + note.taxMinor).toBe(note.grossMinor);
  });

  it("refuses a refund larger than the invoice", () => {
    expect(() => summariseCreditNoteTax(invoice, 3501)).toThrow(/more than the invoice's total/);
  });
});

describe("allocate", () => {
  it("gives the units that do not divide to the largest remainders, ties to the earlier", () => {
    expect(allocate(100n, [1n, 1n, 1n])).toEqual([34n, 33n, 33n]);
    expect(allocate(-100n, [1n, 2n])).toEqual([-33n, -67n]);
    expect(allocate(5n, [0n, 0n])).toEqual([5n, 0n]);
  });

  it("rounds half away from zero", () => {
    expect([divRound(5n, 2n), divRound(-5n, 2n), divRound(4n, 3n), divRound(-4n, 3n)]).toEqual([3n, -3n, 1n, -1n]);
  });
});
