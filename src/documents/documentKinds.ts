// The two documents the send ledger (sendDocument.ts) sends: what each reads, how its email
// is made, and which attention items it raises and settles. Everything else (claim, lease,
// Postmark's error classes, retries, SENT/FAILED, the dead-letter verdict) is shared.
import { sql } from "drizzle-orm";
import {
  raiseCreditNoteFailed,
  raiseInvoiceFailed,
  settleCreditNoteItems,
  settleInvoiceItems,
} from "../attention/attentionItems";
import { rowsOf } from "../db/client";
import { composeCreditNoteEmail } from "./composeCreditNoteEmail";
import { composeInvoiceEmail } from "./composeInvoiceEmail";
import { creditNoteEInvoiceFinisher, invoiceEInvoiceFinisher } from "./einvoice/eInvoiceFinisher";
import { creditNoteHeaderColumns, creditNoteJoins, toCreditNoteDocument, type CreditNoteHeaderRow } from "./creditNoteDocument";
import {
  fixInvoiceTax,
  invoiceHeaderColumns,
  invoiceLines,
  toInvoiceDocument,
  type InvoiceHeaderRow,
  type InvoiceLineRow,
} from "./invoiceDocument";
import { renderCreditNotePdf } from "./pdf/renderCreditNotePdf";
import { renderInvoicePdf } from "./pdf/renderInvoicePdf";
import type { DocumentKind } from "./sendDocument";

export const INVOICE: DocumentKind = {
  name: "invoice",
  label: "invoice",
  table: sql.raw("invoices"),
  // Only the claimer fixes the tax: a lease held elsewhere reads what that sender fixed.
  fix: (id, token, config) => fixInvoiceTax(sql`(SELECT id FROM invoices WHERE id = ${id} AND lease_token = ${token})`, config),
  read: (id, token) => [
    sql`SELECT i.id, i.status, i.lease_until, i.attempts, i.lease_token IS ${token} AS claimed, ${invoiceHeaderColumns}
        FROM invoices i JOIN orders o ON o.id = i.order_id WHERE i.id = ${id}`,
    invoiceLines(sql`i.id = ${id} AND i.lease_token IS ${token}`),
  ],
  async compose([row, lines], config, fonts) {
    const document = toInvoiceDocument(row as unknown as InvoiceHeaderRow, rowsOf<InvoiceLineRow>(lines!), config);
    const pdf = await renderInvoicePdf(document, fonts, await invoiceEInvoiceFinisher(document, config));
    return composeInvoiceEmail(document, pdf, { from: config.invoice.fromEmail, messageStream: config.postmark.messageStream });
  },
  raiseFailed: raiseInvoiceFailed,
  settleSent: (id, now) => settleInvoiceItems(id, now, ["invoice_failed", "invoice_stuck"], "settled: the invoice was sent"),
  resendCommand: "npm run ops -- resend-invoice",
};

export const CREDIT_NOTE: DocumentKind = {
  name: "credit_note",
  label: "credit note",
  table: sql.raw("credit_notes"),
  // The corrected invoice's tax is fixed first if no rendering of it has yet (a refund can
  // come before the invoice's email went out): the note splits the refund over its rates.
  fix: (id, token, config) =>
    fixInvoiceTax(sql`(SELECT invoice_id FROM credit_notes WHERE id = ${id} AND lease_token = ${token})`, config),
  read: (id, token) => [
    sql`SELECT c.id, c.status, c.lease_until, c.attempts, c.lease_token IS ${token} AS claimed, ${creditNoteHeaderColumns}
        FROM ${creditNoteJoins} WHERE c.id = ${id}`,
    invoiceLines(sql`i.id = (SELECT invoice_id FROM credit_notes WHERE id = ${id} AND lease_token IS ${token})`),
  ],
  async compose([row, lines], config, fonts) {
    const document = toCreditNoteDocument(row as unknown as CreditNoteHeaderRow, rowsOf<InvoiceLineRow>(lines!), config);
    const pdf = await renderCreditNotePdf(document, fonts, await creditNoteEInvoiceFinisher(document, config));
    return composeCreditNoteEmail(document, pdf, { from: config.invoice.fromEmail, messageStream: config.postmark.messageStream });
  },
  raiseFailed: raiseCreditNoteFailed,
  settleSent: (id, now) => settleCreditNoteItems(id, now, ["credit_note_failed", "credit_note_stuck"], "settled: the credit note was sent"),
  resendCommand: "npm run ops -- resend-invoice",
};
