// Everything an invoice says, as strings, decided in one pure function: the PDF renderer
// only places these strings on pages, and the invoice email can print the same rows and
// totals, so the two never disagree about an amount. Every amount comes from the tax model
// (../taxSummary.ts), which the e-invoice uses too.

import { currencyCode, formatMoneyForLocale } from "../../payments/money";
import { invoiceTax, supplyDateOf, type BillingAddress, type InvoiceDocument, type InvoicePayment, type SellerDetails } from "../invoiceModel";
import { ROUNDING_RULE, type TaxSummary } from "../taxSummary";

export type { InvoiceDocument } from "../invoiceModel";

export interface InvoiceRow {
  description: string;
  quantity: string;
  unitPrice: string;
  /** the line's VAT rate ("19%"); empty for a shop that charges no VAT */
  rate: string;
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

/** One row of the VAT breakdown: per rate, its net, tax and gross. */
export interface TaxTableRow {
  rate: string;
  net: string;
  tax: string;
  gross: string;
}

export interface InvoiceLayout {
  heading: string;
  /** seller name first, then address lines, contact lines, VAT id, tax number, register entry and email */
  seller: string[];
  /** invoice number, invoice date, date of supply, order number */
  details: { label: string; value: string }[];
  billToLabel: string;
  /** customer (or billing) name, then company, address lines, country, VAT id and email */
  billTo: string[];
  /** `rate` is empty when no row shows a rate */
  columns: { description: string; quantity: string; unitPrice: string; rate: string; lineTotal: string };
  rows: InvoiceRow[];
  /** the VAT per rate (net, rate, tax, gross); absent for a shop that charges no VAT */
  taxTable?: { title: string; columns: TaxTableRow; rows: TaxTableRow[] };
  /** [Net, VAT, Total] or, for a shop that charges no VAT, [Total] */
  totals: InvoiceTotal[];
  totalCents: number;
  /** "Paid on ... via ...", printed under the totals; absent for an unpaid document */
  paid?: string;
  /** printed under the totals: the tax note, that prices include VAT, the rounding rule */
  notes: string[];
  /** INVOICE_TAX_NOTE of a shop that charges no VAT (also the first note): printed so it is not missed */
  taxNote?: string;
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
  const tax = invoiceTax(doc);
  const rateText = rateFormatter(locale);
  const exempt = tax.taxNote !== undefined;
  const net = !tax.pricesIncludeTax;

  const rows = doc.lines.map((line, index): InvoiceRow => {
    const taxed = tax.lines[index]!;
    return {
      description: line.description,
      quantity: quantityFormat.format(line.quantity),
      unitPrice: money(line.unitPriceCents),
      rate: exempt ? "" : rateText(taxed.rateBp),
      lineTotal: money(taxed.amountMinor),
      lineTotalCents: taxed.amountMinor,
    };
  });

  const { totals, notes, taxTable } = taxTotals(tax, locale, money, { label: "Total" });
  if (!exempt) {
    const rates = tax.rates.map((r) => rateText(r.rateBp));
    notes.unshift(
      rates.length === 1
        ? `Prices ${net ? "exclude" : "include"} VAT at ${rates[0]}.`
        : `Prices ${net ? "exclude" : "include"} VAT at the rate shown on each line.`,
    );
  }

  const issuedOn = dateFormat.format(new Date(doc.issuedAt));
  return {
    heading: "INVOICE",
    seller: sellerLines(doc.seller),
    details: [
      { label: "Invoice number", value: doc.number },
      { label: "Invoice date", value: issuedOn },
      { label: "Date of supply", value: formatCalendarDate(supplyDateOf(doc), dateFormat) },
      { label: "Order number", value: String(doc.orderNumber) },
    ],
    billToLabel: "Bill to",
    billTo: billToLines(doc.customer),
    columns: {
      description: "Description",
      quantity: "Qty",
      unitPrice: net ? "Unit price (net)" : "Unit price",
      rate: exempt ? "" : "VAT",
      lineTotal: net ? "Amount (net)" : "Amount",
    },
    rows,
    ...(taxTable ? { taxTable } : {}),
    totals,
    totalCents: tax.grossMinor,
    ...(doc.payment ? { paid: paidLine(doc.payment, dateFormat) } : {}),
    notes,
    ...(tax.taxNote !== undefined ? { taxNote: tax.taxNote } : {}),
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
 * The totals of a tax summary ([Net, VAT, Total], or [Total] for a shop that charges no VAT),
 * its VAT breakdown per rate, and the notes that go with them. Shared by invoices and credit
 * notes. `sign` -1 prints a credit note's (negative) amounts as the positive amounts refunded;
 * its breakdown keeps the sign, since it corrects the invoice's.
 */
export function taxTotals(
  tax: TaxSummary,
  locale: string,
  money: (minorUnits: number) => string,
  opts: { label: string; sign?: 1 | -1; breakdownTitle?: string },
): { totals: InvoiceTotal[]; notes: string[]; taxTable?: InvoiceLayout["taxTable"] } {
  const sign = opts.sign ?? 1;
  const rateText = rateFormatter(locale);
  const total = (label: string, cents: number, grand = false): InvoiceTotal => ({ label, amount: money(sign * cents), cents: sign * cents, grand });
  if (tax.taxNote !== undefined) {
    return { totals: [total(opts.label, tax.grossMinor, true)], notes: [tax.taxNote] };
  }
  const vatLabel = tax.rates.length === 1 ? `VAT ${rateText(tax.rates[0]!.rateBp)}` : "VAT";
  return {
    totals: [total("Net", tax.netMinor), total(vatLabel, tax.taxMinor), total(opts.label, tax.grossMinor, true)],
    notes: [ROUNDING_RULE],
    taxTable: {
      title: opts.breakdownTitle ?? "VAT breakdown",
      columns: { rate: "VAT rate", net: "Net", tax: "VAT", gross: "Gross" },
      rows: tax.rates.map((r) => ({ rate: rateText(r.rateBp), net: money(r.netMinor), tax: money(r.taxMinor), gross: money(r.grossMinor) })),
    },
  };
}

/** Basis points as the locale writes a percentage: 1900 → "19%" (en-GB), "19 %" (de-DE); 810 → "8.1%". */
export function rateFormatter(locale: string): (rateBp: number) => string {
  const format = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 2 });
  // 1900 bp is 0.19 exactly in decimal; as a string Intl formats it without float noise.
  return (rateBp) => format.format(`${rateBp < 0 ? "-" : ""}0.${String(Math.abs(rateBp)).padStart(4, "0")}` as unknown as number);
}

export function sellerLines(seller: SellerDetails): string[] {
  const lines = [seller.name, ...seller.addressLines, ...(seller.contactLines ?? [])];
  if (seller.vatId) lines.push(`VAT ID: ${seller.vatId}`);
  if (seller.taxNumber) lines.push(`Tax number: ${seller.taxNumber}`);
  if (seller.registerEntry) lines.push(seller.registerEntry);
  if (seller.email) lines.push(seller.email);
  return lines;
}

/** Who is billed: the billing address when the order has one, and always the email. */
export function billToLines(customer: { name: string; email: string; billingAddress?: BillingAddress | null }): string[] {
  const a = customer.billingAddress;
  const part = (value: string | null | undefined) => (value ?? "").trim();
  if (!a) return [customer.name, customer.email];
  const cityLine = [part(a.postalCode), part(a.city)].filter(Boolean).join(" ");
  const lines = [
    part(a.name) || customer.name,
    part(a.company),
    part(a.line1),
    part(a.line2),
    cityLine,
    countryName(part(a.country)),
    part(a.vatId) ? `VAT ID: ${part(a.vatId)}` : "",
    customer.email,
  ];
  return lines.filter((line) => line !== "");
}

/** "DE" → "Germany" (in English, as the rest of the page); an unknown code prints as given. */
function countryName(code: string): string {
  if (!/^[A-Za-z]{2}$/.test(code)) return code;
  try {
    return new Intl.DisplayNames(["en"], { type: "region", fallback: "code" }).of(code.toUpperCase()) ?? code;
  } catch {
    return code;
  }
}

const PROVIDERS: Record<string, string> = { stripe: "Stripe", generic: "the payment provider" };

export function paidLine(payment: InvoicePayment, dateFormat: Intl.DateTimeFormat): string {
  const via = PROVIDERS[payment.provider] ?? (payment.provider || "the payment provider");
  const reference = payment.reference ? `, reference ${payment.reference}` : "";
  return `Paid on ${dateFormat.format(new Date(payment.paidAt))} via ${via}${reference}.`;
}

/** A YYYY-MM-DD calendar date in the page's date style (it names a day, not a moment: UTC noon). */
export function formatCalendarDate(date: string, dateFormat: Intl.DateTimeFormat): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) return date;
  const utcFormat = new Intl.DateTimeFormat(dateFormat.resolvedOptions().locale, { dateStyle: "long", timeZone: "UTC" });
  return utcFormat.format(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]), 12));
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
