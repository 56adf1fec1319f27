// The credit note email: subject, text and HTML bodies, and the PDF attached. Amounts come
// from the same layout the PDF prints, so the email and the PDF never disagree.
import type { OutgoingEmail } from "../mail/mailer";
import { escapeHtml, toBase64 } from "./composeInvoiceEmail";
import { layoutCreditNote, reasonInWords, type CreditNoteDocument } from "./pdf/layoutCreditNote";

export function creditNoteFileName(number: string): string {
  return `credit-note-${number}.pdf`;
}

export function composeCreditNoteEmail(
  doc: CreditNoteDocument,
  pdf: Uint8Array,
  opts: { from: string; messageStream: string },
): OutgoingEmail {
  const layout = layoutCreditNote(doc);
  const refunded = layout.totals.at(-1)!.amount;
  const subject = `Credit note ${doc.number} for order #${doc.orderNumber}`;
  const greeting = doc.customer.name.trim() ? `Hello ${doc.customer.name},` : "Hello,";
  const intro =
    `we have refunded ${refunded} for your order #${doc.orderNumber}. ` +
    `Credit note ${doc.number}, attached as a PDF, corrects your invoice ${doc.invoice.number} by that amount.`;
  const reason = reasonInWords(doc.reason);
  const timing = "The money goes back to the way you paid; your bank may take a few days to show it.";

  const text = [
    greeting,
    "",
    intro,
    ...(reason ? [`Reason: ${reason}.`] : []),
    "",
    ...layout.totals.map((t) => `${t.label}: ${t.amount}`),
    "",
    timing,
    "",
    doc.seller.name,
  ].join("\n");

  const num = 'style="padding:4px 8px;text-align:right"';
  const html = `<!doctype html>
<html lang="${escapeHtml(layout.metadata.language)}"><body style="font-family:sans-serif;color:#222">
<p>${escapeHtml(greeting)}</p>
<p>${escapeHtml(intro)}</p>
${reason ? `<p>Reason: ${escapeHtml(reason)}.</p>` : ""}
<table style="border-collapse:collapse">
${layout.totals.map((t) => `<tr><td ${num}>${t.grand ? "<strong>" : ""}${escapeHtml(t.label)}${t.grand ? "</strong>" : ""}</td><td ${num}>${t.grand ? "<strong>" : ""}${escapeHtml(t.amount)}${t.grand ? "</strong>" : ""}</td></tr>`).join("\n")}
</table>
<p>${escapeHtml(timing)}</p>
<p>${escapeHtml(doc.seller.name)}</p>
</body></html>`;

  return {
    from: opts.from,
    to: doc.customer.email,
    subject,
    textBody: text,
    htmlBody: html,
    messageStream: opts.messageStream,
    tag: "credit_note",
    // Not `invoice_number`: that key names the invoice email itself (Postmark search, tests).
    metadata: { credit_note_number: doc.number, corrects_invoice: doc.invoice.number, order_number: String(doc.orderNumber) },
    attachments: [{ name: creditNoteFileName(doc.number), contentType: "application/pdf", contentBase64: toBase64(pdf) }],
  };
}
