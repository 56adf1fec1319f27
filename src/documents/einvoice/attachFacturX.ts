// The e-invoice inside the PDF (INVOICE_EINVOICE=factur-x): the invoice or credit note as EN
// 16931 XML (facturX.ts), attached to the drawn PDF as Factur-X / ZUGFeRD does it, by
// @cantoo/pdf-lib's embedFacturX: PDF/A-3b (XMP pdfaid part 3 + the fx: extension schema,
// ConformanceLevel "EN 16931", an sRGB output intent, a file /ID) and factur-x.xml as an
// associated file with AFRelationship /Alternative (the PDF and the XML are the same invoice).
//
// Loaded only by import() (src/lazyModules.ts) where a PDF is rendered and only when the setting is on, so neither
// the webhook's start-up nor a shop without the setting pays for it.
//
// The amounts come from the one tax computation the page prints (invoiceTax / creditNoteTax),
// never recomputed here, so the XML and the PDF cannot disagree.
import { embedFacturX, type PDFDocument } from "@cantoo/pdf-lib";
import type { MailConfig } from "../../config";
import { calendarDate, creditNoteTax, invoiceTax, supplyDateOf, type BillingAddress, type CreditNoteDocument, type InvoiceDocument } from "../invoiceModel";
import type { PdfFinisher } from "../pdf/renderInvoicePdf";
import { buildFacturXml, type EInvoice, type EInvoiceParty, type EInvoiceSeller } from "./facturX";

/** Why a document goes out without its XML: EN 16931 cannot say it (the README names these). */
export type Skipped = { skipped: string };

export function invoiceFinisher(doc: InvoiceDocument, config: MailConfig): PdfFinisher | Skipped {
  const invoice = invoiceEInvoice(doc, config);
  return "skipped" in invoice ? invoice : attach(buildFacturXml(invoice), doc.issuedAt);
}

export function creditNoteFinisher(doc: CreditNoteDocument, config: MailConfig): PdfFinisher | Skipped {
  const note = creditNoteEInvoice(doc, config);
  return "skipped" in note ? note : attach(buildFacturXml(note), doc.issuedAt);
}

function attach(xml: string, issuedAt: number): PdfFinisher {
  const at = new Date(issuedAt);
  return async (pdf: PDFDocument) => {
    await embedFacturX(pdf, new TextEncoder().encode(xml), {
      conformanceLevel: "EN 16931",
      description: "Factur-X / ZUGFeRD e-invoice (EN 16931)",
      creationDate: at,
      modificationDate: at,
    });
  };
}

export function invoiceEInvoice(doc: InvoiceDocument, config: MailConfig): EInvoice | Skipped {
  const parties = partiesOf(doc, config);
  if ("skipped" in parties) return parties;
  const tax = invoiceTax(doc);
  const timeZone = doc.timeZone;
  const paid = doc.payment ? tax.grossMinor : 0;
  return {
    typeCode: "380",
    number: doc.number,
    issueDate: calendarDate(doc.issuedAt, timeZone),
    supplyDate: supplyDateOf(doc),
    currency: doc.currency,
    ...parties,
    lines: doc.lines.map((line, index) => {
      const taxed = tax.lines[index]!;
      return { description: line.description, quantity: line.quantity, category: taxed.category, rateBp: taxed.rateBp, netMinor: taxed.netMinor };
    }),
    taxes: tax.rates.map((r) => ({ category: r.category, rateBp: r.rateBp, netMinor: r.netMinor, taxMinor: r.taxMinor, exemptionReason: r.exemptionReason })),
    paidMinor: paid,
    notes: doc.payment ? [`Paid on ${calendarDate(doc.payment.paidAt, timeZone)}${paymentWords(doc.payment.provider, doc.payment.reference)}.`] : [],
  };
}

/**
 * A credit note (381) for the part of the invoice that went back: the refund per rate as the
 * credit note's page says it, one line per rate (the page has one row, "Refund for order #N").
 * The amounts are positive: type 381 says which way the money goes.
 */
export function creditNoteEInvoice(doc: CreditNoteDocument, config: MailConfig): EInvoice | Skipped {
  const parties = partiesOf(doc, config);
  if ("skipped" in parties) return parties;
  const tax = creditNoteTax(doc);
  const rates = tax.rates.filter((r) => r.grossMinor !== 0 || r.taxMinor !== 0);
  const several = rates.length > 1;
  return {
    typeCode: "381",
    number: doc.number,
    issueDate: calendarDate(doc.issuedAt, doc.timeZone),
    ...(doc.invoice.supplyDate ? { supplyDate: doc.invoice.supplyDate } : {}),
    precedingInvoice: { number: doc.invoice.number, issueDate: calendarDate(doc.invoice.issuedAt, doc.timeZone) },
    currency: doc.currency,
    ...parties,
    lines: rates.map((r) => ({
      description: `Refund for order #${doc.orderNumber}${several ? ` (${r.category === "S" ? `${r.rateBp / 100} %` : r.category})` : ""}`,
      quantity: 1,
      category: r.category,
      rateBp: r.rateBp,
      netMinor: -r.netMinor,
    })),
    taxes: rates.map((r) => ({ category: r.category, rateBp: r.rateBp, netMinor: -r.netMinor, taxMinor: -r.taxMinor, exemptionReason: r.exemptionReason })),
    // Refunded when the note is issued: nothing is due either way.
    paidMinor: -tax.grossMinor,
    notes: [
      `Corrects invoice ${doc.invoice.number}: refunded on ${calendarDate(doc.issuedAt, doc.timeZone)} to the payment it was paid with.`,
      ...(doc.reason ? [`Reason: ${doc.reason}`] : []),
    ],
  };
}

function partiesOf(
  doc: Pick<InvoiceDocument, "seller" | "customer">,
  config: MailConfig,
): { seller: EInvoiceSeller; buyer: EInvoiceParty } | Skipped {
  const countryCode = doc.seller.countryCode ?? config.invoice.seller.countryCode;
  // readMailConfig refuses factur-x without SELLER_COUNTRY; this is for a document built by hand.
  if (!countryCode) return { skipped: "SELLER_COUNTRY is not set" };
  const address: BillingAddress = doc.customer.billingAddress ?? {};
  const buyerCountry = address.country?.trim().toUpperCase();
  // EN 16931 requires the buyer's country (BR-11): an order without a billing address (a
  // B2C sale that needs no e-invoice) gets the plain PDF rather than an invented country.
  if (!buyerCountry || !/^[A-Z]{2}$/.test(buyerCountry)) return { skipped: "the order has no billing country" };
  const seller = doc.seller;
  return {
    seller: {
      name: seller.name,
      addressLines: threeLines(seller.addressLines),
      countryCode,
      vatId: seller.vatId,
      taxNumber: seller.taxNumber,
      registerEntry: seller.registerEntry,
      email: seller.email,
    },
    buyer: {
      name: address.company?.trim() || address.name?.trim() || doc.customer.name,
      addressLines: [address.line1 ?? "", address.line2 ?? ""],
      postalCode: address.postalCode?.trim() || undefined,
      city: address.city?.trim() || undefined,
      countryCode: buyerCountry,
      vatId: address.vatId?.trim() || undefined,
      email: doc.customer.email,
    },
  };
}

/** SELLER_ADDRESS's lines in the three lines CII has: the rest joined onto the third. */
function threeLines(lines: string[]): string[] {
  return lines.length <= 3 ? lines : [lines[0]!, lines[1]!, lines.slice(2).join(", ")];
}

function paymentWords(provider: string, reference: string | null | undefined): string {
  const via = provider === "stripe" ? " via Stripe" : provider ? ` via ${provider}` : "";
  return `${via}${reference ? ` (${reference})` : ""}`;
}
