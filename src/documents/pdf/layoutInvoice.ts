// Everything an invoice says, as strings, decided in one pure function: the PDF renderer
// only places these strings on pages, and the invoice email can print the same rows and
// totals, so the two never disagree about an amount.

import { currencyCode, formatMoneyForLocale } from "../../payments/money";

import type { InvoiceDocument } from "../invoiceModel";

export type { InvoiceDocument } from "../invoiceModel";

export interface InvoiceRow {
  description: string;
  quantity: string;
  unitPrice: string;
  lineTotal: string;
  lineTotalCents: number;
}

export interface InvoiceTotal {
  label: string;
  amount: string;
  cents: number;
  /** the amount due, printed larger */
  grand: boolean;
}

export interface InvoiceLayout {
  heading: string;
  /** seller name first, then address lines, VAT id and email */
  seller: string[];
  /** invoice number, invoice date, order number */
  details: { label: string; value: string }[];
  billToLabel: string;
  /** customer name, then email */
  billTo: string[];
  columns: { description: string; quantity: string; unitPrice: string; lineTotal: string };
  rows: InvoiceRow[];
  /** [Total] or, with a tax rate, [Net, VAT n %, Total] */
  totals: InvoiceTotal[];
  totalCents: number;
  /** printed under the totals, e.g. that prices include VAT; may be empty */
  notes: string[];
  /** printed at the foot of every page, before "Page n of m" */
  footer: string;
  metadata: { title: string; author: string; subject: string; creationDate: Date; language: string };
}

export const DEFAULT_LOCALE = "en-GB";

export function layoutInvoice(doc: InvoiceDocument): InvoiceLayout {
  const locale = usableLocale(doc.locale);
  const money = moneyFormatter(doc.currency, locale);
  const quantityFormat = new Intl.NumberFormat(locale, { maximumFractionDigits: 3 });
  const dateFormat = new Intl.DateTimeFormat(locale, { dateStyle: "long", timeZone: doc.timeZone ?? "UTC" });

  const rows = doc.lines.map((line, index): InvoiceRow => {
    if (!Number.isSafeInteger(line.unitPriceCents)) {
      throw new RangeError(
        `Invoice ${doc.number} line ${index + 1}: unitPriceCents must be an integer amount in the currency's minor unit, got ${line.unitPriceCents}`,
      );
    }
    if (!Number.isFinite(line.quantity) || line.quantity < 0) {
      throw new RangeError(`Invoice ${doc.number} line ${index + 1}: quantity must be a finite number >= 0, got ${line.quantity}`);
    }
    const lineTotalCents = Math.round(line.quantity * line.unitPriceCents);
    return {
      description: line.description,
      quantity: quantityFormat.format(line.quantity),
      unitPrice: money(line.unitPriceCents),
      lineTotal: money(lineTotalCents),
      lineTotalCents,
    };
  });
  const totalCents = rows.reduce((sum, row) => sum + row.lineTotalCents, 0);
  if (!Number.isSafeInteger(totalCents)) {
    throw new RangeError(`Invoice ${doc.number}: the total ${totalCents} is too large to add up exactly`);
  }

  const { totals, notes } = grossTotals(totalCents, doc.taxRatePercent, locale, money, { label: "Total", context: `Invoice ${doc.number}` });

  const seller = sellerLines(doc.seller);
  const issuedOn = dateFormat.format(new Date(doc.issuedAt));
  return {
    heading: "INVOICE",
    seller,
    details: [
      { label: "Invoice number", value: doc.number },
      { label: "Invoice date", value: issuedOn },
      { label: "Order number", value: String(doc.orderNumber) },
    ],
    billToLabel: "Bill to",
    billTo: [doc.customer.name, doc.customer.email],
    columns: { description: "Description", quantity: "Qty", unitPrice: "Unit price", lineTotal: "Amount" },
    rows,
    totals,
    totalCents,
    notes,
    footer: `${doc.seller.name} · Invoice ${doc.number}`,
    metadata: {
      title: `Invoice ${doc.number}`,
      author: doc.seller.name,
      subject: `Invoice ${doc.number} for order ${doc.orderNumber}, ${doc.customer.name}`,
      creationDate: new Date(doc.issuedAt),
      language: locale,
    },
  };
}

/**
 * The totals of a gross amount: [Total] or, with a tax rate, [Net, VAT n %, Total], and the
 * note that prices include VAT. Shared by invoices and credit notes, so a credit note splits
 * its refund exactly as the invoice it corrects split the price.
 */
export function grossTotals(
  totalCents: number,
  taxRatePercent: number | undefined,
  locale: string,
  money: (minorUnits: number) => string,
  opts: { label: string; context: string; note?: (rateText: string) => string },
): { totals: InvoiceTotal[]; notes: string[] } {
  const totals: InvoiceTotal[] = [];
  const notes: string[] = [];
  if (taxRatePercent !== undefined) {
    const rate = taxRatePercent;
    if (!Number.isFinite(rate) || rate < 0) {
      throw new RangeError(`${opts.context}: taxRatePercent must be a finite number >= 0, got ${rate}`);
    }
    // Gross prices: the tax is the part of the total above the net, computed once on the
    // total (not per line) so net + tax always equals the total printed.
    const taxCents = Math.round((totalCents * rate) / (100 + rate));
    const rateText = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 2 }).format(rate / 100);
    totals.push({ label: "Net", amount: money(totalCents - taxCents), cents: totalCents - taxCents, grand: false });
    totals.push({ label: `VAT ${rateText}`, amount: money(taxCents), cents: taxCents, grand: false });
    notes.push(opts.note ? opts.note(rateText) : `Prices include VAT at ${rateText}.`);
  }
  totals.push({ label: opts.label, amount: money(totalCents), cents: totalCents, grand: true });
  return { totals, notes };
}

export function sellerLines(seller: InvoiceDocument["seller"]): string[] {
  const lines = [seller.name, ...seller.addressLines];
  if (seller.vatId) lines.push(`VAT ID: ${seller.vatId}`);
  if (seller.email) lines.push(seller.email);
  return lines;
}

// The locale usually comes from the customer's browser: a malformed tag must not stop
// an invoice from being issued, so it falls back to the default instead of throwing.
export function usableLocale(locale: string | undefined): string {
  if (!locale) return DEFAULT_LOCALE;
  try {
    return Intl.getCanonicalLocales(locale)[0] ?? DEFAULT_LOCALE;
  } catch {
    return DEFAULT_LOCALE;
  }
}

export function moneyFormatter(currency: string, locale: string): (minorUnits: number) => string {
  // Amounts are stored in the currency's minor unit as Stripe's API counts it; money.ts knows
  // how many digits that is (2 for EUR, 0 for JPY, 3 for KWD, 2 for ISK), Intl alone does not.
  if (currencyCode(currency) === null) {
    throw new RangeError(`Invoice currency "${currency}" is not an ISO 4217 code such as "EUR"`);
  }
  return (minorUnits) => formatMoneyForLocale(minorUnits, currency, locale);
}
