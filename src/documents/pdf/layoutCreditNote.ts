// Everything a credit note says, as strings: the same InvoiceLayout shape, so the invoice
// renderer draws it (one renderer, one look) and its email prints the same amounts.
//
// A credit note corrects one invoice by the amount refunded. Refunds are of money, not of
// lines (Stripe refunds an amount, in part or in full), so the note has one row per VAT rate
// of that invoice: the refund split over the rates (src/documents/taxSummary.ts), with the
// reason the provider gave. The rows and totals print positive under "Total refunded" (the
// title and the reference to the corrected invoice say which way the money went); the VAT
// breakdown prints the correction of the invoice's amounts, negative, as the e-invoice has it.
import { billToLines, moneyFormatter, rateFormatter, sellerLines, taxTotals, usableLocale, type InvoiceLayout } from "./layoutInvoice";
import { creditNoteTax, type CreditNoteDocument } from "../invoiceModel";

export type { CreditNoteDocument } from "../invoiceModel";

/**
 * Stripe's refund reasons in the customer's words; any other text is printed as given.
 * `fraudulent` is the merchant's judgement, recorded for Radar, and never told to the customer
 * on a document they receive: the note then gives no reason.
 */
const REASONS: Record<string, string | null> = {
  requested_by_customer: "requested by the customer",
  duplicate: "duplicate payment",
  fraudulent: null,
  expired_uncaptured_charge: "uncaptured payment expired",
};

export function reasonInWords(reason: string | null | undefined): string | null {
  const text = reason?.trim();
  if (!text) return null;
  return text in REASONS ? REASONS[text]! : text;
}

export function layoutCreditNote(doc: CreditNoteDocument): InvoiceLayout {
  const locale = usableLocale(doc.locale);
  const money = moneyFormatter(doc.currency, locale);
  const dateFormat = new Intl.DateTimeFormat(locale, { dateStyle: "long", timeZone: doc.timeZone ?? "UTC" });
  if (!Number.isSafeInteger(doc.amountCents) || doc.amountCents <= 0) {
    throw new RangeError(`Credit note ${doc.number}: amountCents must be a positive integer in the currency's minor unit, got ${doc.amountCents}`);
  }
  const tax = creditNoteTax(doc);
  const rateText = rateFormatter(locale);
  const exempt = tax.taxNote !== undefined;

  const { totals, notes, taxTable } = taxTotals(tax, locale, money, {
    label: "Total refunded",
    sign: -1,
    breakdownTitle: `VAT correction of invoice ${doc.invoice.number}`,
  });
  if (!exempt) {
    notes.unshift(
      tax.rates.length === 1
        ? `The refunded amount includes VAT at ${rateText(tax.rates[0]!.rateBp)}.`
        : "The refunded amount is split over the invoice's VAT rates in proportion to their amounts.",
    );
  }
  const invoiceDate = dateFormat.format(new Date(doc.invoice.issuedAt));
  notes.unshift(`This credit note corrects invoice ${doc.invoice.number} of ${invoiceDate} by the amount refunded.`);
  const reason = reasonInWords(doc.reason);
  if (reason) notes.push(`Reason: ${reason}.`);

  // One row per rate: a refund is of money, not of lines, and the rates are what it corrects.
  const one = new Intl.NumberFormat(locale).format(1);
  const rows = tax.rates.map((r) => ({
    description: tax.rates.length === 1 || exempt ? `Refund for order #${doc.orderNumber}` : `Refund for order #${doc.orderNumber}, goods at ${rateText(r.rateBp)} VAT`,
    quantity: one,
    unitPrice: money(-r.grossMinor),
    rate: exempt ? "" : rateText(r.rateBp),
    lineTotal: money(-r.grossMinor),
    lineTotalCents: -r.grossMinor,
  }));

  return {
    heading: "CREDIT NOTE",
    seller: sellerLines(doc.seller),
    details: [
      { label: "Credit note number", value: doc.number },
      { label: "Credit note date", value: dateFormat.format(new Date(doc.issuedAt)) },
      { label: "Corrects invoice", value: doc.invoice.number },
      { label: "Invoice date", value: invoiceDate },
      { label: "Order number", value: String(doc.orderNumber) },
    ],
    billToLabel: "Credited to",
    billTo: billToLines(doc.customer),
    columns: { description: "Description", quantity: "Qty", unitPrice: "Unit price", rate: exempt ? "" : "VAT", lineTotal: "Amount" },
    rows,
    ...(taxTable ? { taxTable } : {}),
    totals,
    totalCents: doc.amountCents,
    notes,
    ...(tax.taxNote !== undefined ? { taxNote: tax.taxNote } : {}),
    footer: `${doc.seller.name} · Credit note ${doc.number} · corrects invoice ${doc.invoice.number}`,
    metadata: {
      title: `Credit note ${doc.number}`,
      author: doc.seller.name,
      subject: `Credit note ${doc.number} for order ${doc.orderNumber}, correcting invoice ${doc.invoice.number}, ${doc.customer.name}`,
      creationDate: new Date(doc.issuedAt),
      language: locale,
    },
  };
}
