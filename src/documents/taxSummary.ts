// The tax of an invoice or a credit note, per line and per rate, in the currency's minor unit.
// One pure function decides every amount; the PDF prints these numbers and the e-invoice
// (EN 16931) writes the same numbers, so the two never disagree and neither recomputes.
//
// The rounding rule (printed on the page, see ROUNDING_RULE):
// - per rate, never per line: all lines of one rate are added first, then the tax of that sum
//   is rounded once, half away from zero (commercial rounding) to the minor unit;
// - prices include tax (PRICES_INCLUDE_TAX=true, the default): gross per rate = sum of the
//   lines' gross; tax = round(gross x rate / (100 % + rate)); net = gross - tax;
// - prices exclude tax: net per rate = sum of the lines' net; tax = round(net x rate); gross = net + tax;
// - each line's share of its rate's net (and gross) is that rate's amount split in proportion to
//   the lines' own amounts, the cents that do not divide evenly going to the largest remainders
//   (ties to the earlier line), so the line nets of a rate add up to its net exactly.
// So on the page and in the XML: sum of line nets = total net (BR-CO-10), per rate net + tax =
// gross, sum over rates = the totals, every sum exact to the cent. Integer arithmetic only
// (BigInt where a product could pass 2^53): no float ever touches an amount.
//
// Categories (EN 16931 BT-118/BT-151): S for a rate above 0, Z for a rate of 0, E for every
// line of a shop that charges no VAT at all (INVOICE_TAX_NOTE; the note is the exemption reason,
// BT-120). A line without a rate cannot be invoiced: an invoice must state its tax rate.

/** How the page states the rule (kept next to the code that implements it). */
export const ROUNDING_RULE = "VAT is calculated per rate on the sum of that rate's lines and rounded once, half up, to the smallest currency unit.";

/** EN 16931 VAT category codes this shop uses: S standard/reduced, Z zero rated, E exempt. */
export type TaxCategory = "S" | "Z" | "E";

export interface TaxLineInput {
  quantity: number;
  /** integer, the currency's minor unit; gross or net as `pricesIncludeTax` says */
  unitPriceMinor: number;
  /** basis points: 1900 is 19 %; null when none is known (an error unless the shop is tax-free) */
  rateBp: number | null;
}

export interface TaxSummaryInput {
  lines: TaxLineInput[];
  pricesIncludeTax: boolean;
  /** INVOICE_TAX_NOTE: set for a shop that charges no VAT; every line is then category E at 0 %. */
  taxNote?: string;
  /** for error messages: "Invoice INV-2026-000042" */
  context?: string;
}

export interface TaxedLine {
  quantity: number;
  unitPriceMinor: number;
  /** the rate applied, in basis points (0 for category E) */
  rateBp: number;
  category: TaxCategory;
  /** quantity x unit price, as entered (gross when prices include tax, else net) */
  amountMinor: number;
  /** the line's net (EN 16931 BT-131); the nets of one rate add up to its netMinor */
  netMinor: number;
  /** the line's gross; the grosses of one rate add up to its grossMinor */
  grossMinor: number;
}

export interface TaxRateSummary {
  category: TaxCategory;
  rateBp: number;
  /** BT-116, the taxable amount */
  netMinor: number;
  /** BT-117 */
  taxMinor: number;
  grossMinor: number;
  /** BT-120, for category E: the shop's INVOICE_TAX_NOTE */
  exemptionReason?: string;
}

export interface TaxSummary {
  pricesIncludeTax: boolean;
  /** in the order of the input lines */
  lines: TaxedLine[];
  /** one per (category, rate), highest rate first */
  rates: TaxRateSummary[];
  /** BT-109: the sum of the rates' net (= the sum of line nets) */
  netMinor: number;
  /** BT-110 */
  taxMinor: number;
  /** BT-112: net + tax */
  grossMinor: number;
  /** the shop's INVOICE_TAX_NOTE when it charges no VAT */
  taxNote?: string;
}

export class TaxSummaryError extends RangeError {
  override name = "TaxSummaryError";
}

const MAX_RATE_BP = 10_000;

/** The tax of an invoice's lines, per line and per rate. Throws TaxSummaryError for a line it cannot tax. */
export function summariseTax(input: TaxSummaryInput): TaxSummary {
  const context = input.context ?? "Invoice";
  const note = input.taxNote?.trim() || undefined;
  const lines = input.lines.map((line, index) => {
    const where = `${context} line ${index + 1}`;
    if (!Number.isSafeInteger(line.unitPriceMinor)) {
      throw new TaxSummaryError(`${where}: the unit price must be an integer in the currency's minor unit, got ${line.unitPriceMinor}`);
    }
    if (!Number.isSafeInteger(line.quantity) || line.quantity < 0) {
      throw new TaxSummaryError(`${where}: the quantity must be a whole number >= 0, got ${line.quantity}`);
    }
    let rateBp: number;
    if (note !== undefined) rateBp = 0;
    else if (line.rateBp === null || line.rateBp === undefined) {
      throw new TaxSummaryError(
        `${where} has no tax rate: set the product's tax_rate_bp or INVOICE_TAX_RATE_PERCENT (or INVOICE_TAX_NOTE for a shop that charges no VAT)`,
      );
    } else if (!Number.isSafeInteger(line.rateBp) || line.rateBp < 0 || line.rateBp > MAX_RATE_BP) {
      throw new TaxSummaryError(`${where}: the tax rate must be whole basis points from 0 to ${MAX_RATE_BP} (1900 is 19 %), got ${line.rateBp}`);
    } else rateBp = line.rateBp;
    const amount = BigInt(line.quantity) * BigInt(line.unitPriceMinor);
    const category: TaxCategory = note !== undefined ? "E" : rateBp === 0 ? "Z" : "S";
    return { index, quantity: line.quantity, unitPriceMinor: line.unitPriceMinor, rateBp, category, amount };
  });

  const groups = new Map<string, typeof lines>();
  for (const line of lines) {
    const key = `${line.category}:${line.rateBp}`;
    const group = groups.get(key);
    if (group) group.push(line);
    else groups.set(key, [line]);
  }

  const taxed: TaxedLine[] = new Array(lines.length);
  const rates: TaxRateSummary[] = [];
  for (const group of groups.values()) {
    const { category, rateBp } = group[0]!;
    const sum = group.reduce((total, line) => total + line.amount, 0n);
    const rate = BigInt(rateBp);
    let net: bigint, tax: bigint, gross: bigint;
    if (input.pricesIncludeTax) {
      gross = sum;
      tax = divRound(gross * rate, 10_000n + rate);
      net = gross - tax;
    } else {
      net = sum;
      tax = divRound(net * rate, 10_000n);
      gross = net + tax;
    }
    const weights = group.map((line) => line.amount);
    const nets = allocate(net, weights);
    const grosses = allocate(gross, weights);
    group.forEach((line, i) => {
      taxed[line.index] = {
        quantity: line.quantity,
        unitPriceMinor: line.unitPriceMinor,
        rateBp,
        category,
        amountMinor: toSafe(line.amount, context),
        netMinor: toSafe(nets[i]!, context),
        grossMinor: toSafe(grosses[i]!, context),
      };
    });
    rates.push({
      category,
      rateBp,
      netMinor: toSafe(net, context),
      taxMinor: toSafe(tax, context),
      grossMinor: toSafe(gross, context),
      ...(category === "E" ? { exemptionReason: note } : {}),
    });
  }
  rates.sort((a, b) => b.rateBp - a.rateBp);
  return totalsOf(rates, { pricesIncludeTax: input.pricesIncludeTax, lines: taxed, taxNote: note, context });
}

/**
 * A credit note's tax: the refunded amount split over the rates of the invoice it corrects, in
 * proportion to each rate's gross (largest remainder), and each rate's tax in proportion to that
 * rate's tax on the invoice. A refund of the whole invoice is exactly its rates, negated. All
 * amounts are negative (a correction of the invoice); the lines are the invoice's, unchanged.
 */
export function summariseCreditNoteTax(invoice: TaxSummary, refundMinor: number, context = "Credit note"): TaxSummary {
  if (!Number.isSafeInteger(refundMinor) || refundMinor <= 0) {
    throw new TaxSummaryError(`${context}: the refunded amount must be a positive integer in the currency's minor unit, got ${refundMinor}`);
  }
  if (refundMinor > invoice.grossMinor) {
    throw new TaxSummaryError(`${context}: the refund (${refundMinor}) is more than the invoice's total (${invoice.grossMinor})`);
  }
  const grosses = allocate(BigInt(refundMinor), invoice.rates.map((r) => BigInt(r.grossMinor)));
  const rates = invoice.rates.map((r, i): TaxRateSummary => {
    const gross = grosses[i]!;
    const tax = r.grossMinor === 0 ? 0n : divRound(BigInt(r.taxMinor) * gross, BigInt(r.grossMinor));
    return {
      ...r,
      grossMinor: -toSafe(gross, context),
      taxMinor: -toSafe(tax, context),
      netMinor: -toSafe(gross - tax, context),
    };
  });
  return totalsOf(rates, { pricesIncludeTax: invoice.pricesIncludeTax, lines: invoice.lines, taxNote: invoice.taxNote, context });
}

function totalsOf(
  rates: TaxRateSummary[],
  rest: { pricesIncludeTax: boolean; lines: TaxedLine[]; taxNote: string | undefined; context: string },
): TaxSummary {
  const sum = (pick: (r: TaxRateSummary) => number) => toSafe(rates.reduce((total, r) => total + BigInt(pick(r)), 0n), rest.context);
  return {
    pricesIncludeTax: rest.pricesIncludeTax,
    lines: rest.lines,
    rates,
    netMinor: sum((r) => r.netMinor),
    taxMinor: sum((r) => r.taxMinor),
    grossMinor: sum((r) => r.grossMinor),
    ...(rest.taxNote !== undefined ? { taxNote: rest.taxNote } : {}),
  };
}

/** a / b rounded half away from zero (b > 0). */
export function divRound(a: bigint, b: bigint): bigint {
  const negative = a < 0n;
  const abs = negative ? -a : a;
  const q = (2n * abs + b) / (2n * b);
  return negative ? -q : q;
}

/**
 * `total` split in proportion to `weights` (all >= 0, same sign as total or zero), in whole
 * units: each share is floored, and the units left over go one each to the largest remainders
 * (ties to the earlier entry). The shares add up to `total` exactly.
 */
export function allocate(total: bigint, weights: bigint[]): bigint[] {
  const sum = weights.reduce((a, b) => a + b, 0n);
  if (weights.length === 0) return [];
  if (sum === 0n) return weights.map((_, i) => (i === 0 ? total : 0n));
  const negative = total < 0n;
  const abs = negative ? -total : total;
  const shares = weights.map((w) => (abs * w) / sum);
  const remainders = weights.map((w, i) => ({ i, r: (abs * w) % sum }));
  let left = abs - shares.reduce((a, b) => a + b, 0n);
  remainders.sort((x, y) => (y.r > x.r ? 1 : y.r < x.r ? -1 : x.i - y.i));
  for (const { i } of remainders) {
    if (left === 0n) break;
    shares[i]! += 1n;
    left -= 1n;
  }
  return negative ? shares.map((s) => -s) : shares;
}

function toSafe(value: bigint, context: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new TaxSummaryError(`${context}: an amount (${value}) is too large to add up exactly`);
  return n;
}
