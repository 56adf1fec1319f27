// What an invoice and a credit note say, as data: the seller, the buyer and their billing
// address, the dates, the lines with their tax rates, the payment. The PDF (pdf/layoutInvoice.ts,
// pdf/layoutCreditNote.ts) and the e-invoice (EN 16931 XML) are both made from these documents
// and from the one tax computation below (taxSummary.ts), so they never disagree.
import { summariseCreditNoteTax, summariseTax, type TaxSummary } from "./taxSummary";

export interface SellerDetails {
  name: string;
  addressLines: string[];
  /** SELLER_COUNTRY, ISO 3166-1 alpha-2 (BT-40); not printed: the address lines say it */
  countryCode?: string;
  /** SELLER_VAT_ID (EN 16931 BT-31) */
  vatId?: string;
  /** SELLER_TAX_NUMBER: the national tax number, e.g. a German Steuernummer (BT-32) */
  taxNumber?: string;
  /** SELLER_REGISTER: the register entry, e.g. "Amtsgericht Berlin-Charlottenburg HRB 12345" (BT-30 / free text) */
  registerEntry?: string;
  /** SELLER_CONTACT, "|"-separated: phone, website, managing directors... (printed as given) */
  contactLines?: string[];
  email?: string;
}

/** The customer's billing address (orders.billing_*); every part optional. */
export interface BillingAddress {
  /** the person or business to bill, when not the customer's name */
  name?: string | null;
  company?: string | null;
  line1?: string | null;
  line2?: string | null;
  postalCode?: string | null;
  city?: string | null;
  /** ISO 3166-1 alpha-2, e.g. "DE" */
  country?: string | null;
  /** the customer's VAT id (BT-48) */
  vatId?: string | null;
}

export interface InvoiceLine {
  description: string;
  quantity: number;
  /** integer in the currency's minor unit; gross or net as the document's pricesIncludeTax says */
  unitPriceCents: number;
  /** the line's own rate (order_items.tax_rate_bp); null/absent: the document's taxRatePercent */
  taxRateBp?: number | null;
}

/** How the order was paid: the confirming payment of the ledger. */
export interface InvoicePayment {
  /** unix ms the payment confirmed the order */
  paidAt: number;
  /** payments.provider: "stripe", "generic" */
  provider: string;
  /** the provider's id of the payment (Stripe's pi_...), when it gave one */
  reference?: string | null;
}

export interface InvoiceDocument {
  seller: SellerDetails;
  /** e.g. "INV-2026-000042" */
  number: string;
  /** unix ms; printed as a calendar date in timeZone */
  issuedAt: number;
  orderNumber: number;
  customer: { name: string; email: string; billingAddress?: BillingAddress | null };
  /** ISO 4217, e.g. "EUR". Amounts are integers in its minor unit (cents; yen for JPY). */
  currency: string;
  /** for Intl.NumberFormat / Intl.DateTimeFormat, default "en-GB" */
  locale?: string;
  /** IANA zone of the invoice date (INVOICE_TIME_ZONE), default UTC: the same zone picks the series year. */
  timeZone?: string;
  /** The date of supply, YYYY-MM-DD (orders.supply_date); absent: the invoice date (the confirmation). */
  supplyDate?: string | null;
  lines: InvoiceLine[];
  /** The shop's default rate (INVOICE_TAX_RATE_PERCENT) for lines without their own. */
  taxRatePercent?: number;
  /** PRICES_INCLUDE_TAX as fixed on the invoice; default true. */
  pricesIncludeTax?: boolean;
  /** INVOICE_TAX_NOTE as fixed on the invoice: the shop charges no VAT, and says why. */
  taxNote?: string | null;
  payment?: InvoicePayment | null;
}

export interface CreditNoteDocument {
  seller: SellerDetails;
  /** e.g. "CN-2026-000001" */
  number: string;
  /** unix ms: the refund was recorded (the row is written in that batch) */
  issuedAt: number;
  /** the invoice it corrects, with the lines and tax settings that invoice was issued with */
  invoice: {
    number: string;
    issuedAt: number;
    lines?: InvoiceLine[];
    supplyDate?: string | null;
  };
  orderNumber: number;
  customer: { name: string; email: string; billingAddress?: BillingAddress | null };
  /** ISO 4217; amountCents is an integer in its minor unit (src/payments/money.ts) */
  currency: string;
  /** what went back, > 0 */
  amountCents: number;
  /** the provider's reason (Stripe: requested_by_customer, duplicate, fraudulent), if any */
  reason?: string | null;
  locale?: string;
  timeZone?: string;
  /** as on the invoice */
  taxRatePercent?: number;
  pricesIncludeTax?: boolean;
  taxNote?: string | null;
}

/** INVOICE_TAX_RATE_PERCENT (8.1) as basis points (810), without float noise. */
export function percentToBp(percent: number): number {
  return Math.round(percent * 100);
}

/** The tax of an invoice: per line, per rate, totals (the numbers the page and the XML print). */
export function invoiceTax(doc: Pick<InvoiceDocument, "number" | "lines" | "taxRatePercent" | "pricesIncludeTax" | "taxNote">): TaxSummary {
  const fallback = doc.taxRatePercent === undefined ? null : percentToBp(doc.taxRatePercent);
  return summariseTax({
    lines: doc.lines.map((line) => ({
      quantity: line.quantity,
      unitPriceMinor: line.unitPriceCents,
      rateBp: line.taxRateBp ?? fallback,
    })),
    pricesIncludeTax: doc.pricesIncludeTax ?? true,
    taxNote: doc.taxNote ?? undefined,
    context: `Invoice ${doc.number}`,
  });
}

/**
 * The tax of a credit note: the refund split over the corrected invoice's rates (negative
 * amounts). Without the invoice's lines (a document built by hand), the refund is taken as one
 * line at the default rate.
 */
export function creditNoteTax(doc: CreditNoteDocument): TaxSummary {
  const lines = doc.invoice.lines ?? [{ description: "", quantity: 1, unitPriceCents: doc.amountCents }];
  const invoice = invoiceTax({
    number: doc.invoice.number,
    lines,
    taxRatePercent: doc.taxRatePercent,
    pricesIncludeTax: doc.invoice.lines ? doc.pricesIncludeTax : true,
    taxNote: doc.taxNote,
  });
  return summariseCreditNoteTax(invoice, doc.amountCents, `Credit note ${doc.number}`);
}

/** A unix ms moment as the calendar date (YYYY-MM-DD) it is in timeZone. */
export function calendarDate(at: number, timeZone = "UTC"): string {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return `${get("year")}-${get("month")}-${get("day")}`;
}

/** The date of supply, YYYY-MM-DD: the order's own, else the invoice date. */
export function supplyDateOf(doc: Pick<InvoiceDocument, "supplyDate" | "issuedAt" | "timeZone">): string {
  return doc.supplyDate ?? calendarDate(doc.issuedAt, doc.timeZone);
}
