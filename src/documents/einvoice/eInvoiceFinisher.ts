// Whether a rendered PDF carries its e-invoice (INVOICE_EINVOICE). The XML builder and the
// PDF/A embedding are a module of their own, imported here only when the setting is on: the
// webhook's start-up never evaluates them, and a shop without the setting never loads them.
import type { MailConfig } from "../../config";
import { lazyModules } from "../../lazyModules";
import type { CreditNoteDocument, InvoiceDocument } from "../invoiceModel";
import type { PdfFinisher } from "../pdf/renderInvoicePdf";

export async function invoiceEInvoiceFinisher(doc: InvoiceDocument, config: MailConfig): Promise<PdfFinisher | undefined> {
  if (config.invoice.einvoice !== "factur-x") return undefined;
  const finisher = (await lazyModules.attachFacturX()).invoiceFinisher(doc, config);
  return "skipped" in finisher ? undefined : finisher;
}

export async function creditNoteEInvoiceFinisher(doc: CreditNoteDocument, config: MailConfig): Promise<PdfFinisher | undefined> {
  if (config.invoice.einvoice !== "factur-x") return undefined;
  const finisher = (await lazyModules.attachFacturX()).creditNoteFinisher(doc, config);
  return "skipped" in finisher ? undefined : finisher;
}
