// The invoice email: subject, text and HTML bodies, and the PDF attached. Amounts come from
// the same layout the PDF prints, so the email and the PDF never disagree.
import type { OutgoingEmail } from "../mail/mailer";
import { layoutInvoice, type InvoiceDocument } from "./pdf/layoutInvoice";

export function invoiceFileName(number: string): string {
  return `invoice-${number}.pdf`;
}

export function composeInvoiceEmail(
  doc: InvoiceDocument,
  pdf: Uint8Array,
  opts: { from: string; messageStream: string },
): OutgoingEmail {
  const layout = layoutInvoice(doc);
  const subject = `Your order #${doc.orderNumber} - invoice ${doc.number}`;
  const greeting = doc.customer.name.trim() ? `Hello ${doc.customer.name},` : "Hello,";
  const intro = `thank you for your order #${doc.orderNumber}. Your invoice ${doc.number} is attached as a PDF.`;

  const text = [
    greeting,
    "",
    intro,
    "",
    ...layout.rows.map((r) => `  ${r.quantity} × ${r.description} — ${r.lineTotal}${r.rate ? ` (VAT ${r.rate})` : ""}`),
    "",
    ...(layout.taxTable?.rows ?? []).map((r) => `VAT ${r.rate}: net ${r.net}, VAT ${r.tax}, gross ${r.gross}`),
    ...layout.totals.map((t) => `${t.label}: ${t.amount}`),
    ...(layout.paid ? [layout.paid] : []),
    ...layout.notes,
    "",
    "Thank you for shopping with us.",
    doc.seller.name,
  ].join("\n");

  const cell = 'style="padding:4px 8px;border-bottom:1px solid #ddd"';
  const num = 'style="padding:4px 8px;border-bottom:1px solid #ddd;text-align:right"';
  const withRate = layout.columns.rate !== "";
  const rateCell = (value: string) => (withRate ? `<td ${num}>${escapeHtml(value)}</td>` : "");
  const html = `<!doctype html>
<html lang="${escapeHtml(layout.metadata.language)}"><body style="font-family:sans-serif;color:#222">
<p>${escapeHtml(greeting)}</p>
<p>${escapeHtml(intro)}</p>
<table style="border-collapse:collapse">
<thead><tr><th ${cell}>${escapeHtml(layout.columns.description)}</th><th ${num}>${escapeHtml(layout.columns.quantity)}</th><th ${num}>${escapeHtml(layout.columns.unitPrice)}</th>${withRate ? `<th ${num}>${escapeHtml(layout.columns.rate)}</th>` : ""}<th ${num}>${escapeHtml(layout.columns.lineTotal)}</th></tr></thead>
<tbody>
${layout.rows.map((r) => `<tr><td ${cell}>${escapeHtml(r.description)}</td><td ${num}>${escapeHtml(r.quantity)}</td><td ${num}>${escapeHtml(r.unitPrice)}</td>${rateCell(r.rate)}<td ${num}>${escapeHtml(r.lineTotal)}</td></tr>`).join("\n")}
</tbody>
<tfoot>
${layout.totals.map((t) => `<tr><td colspan="${withRate ? 4 : 3}" ${num}>${t.grand ? "<strong>" : ""}${escapeHtml(t.label)}${t.grand ? "</strong>" : ""}</td><td ${num}>${t.grand ? "<strong>" : ""}${escapeHtml(t.amount)}${t.grand ? "</strong>" : ""}</td></tr>`).join("\n")}
</tfoot>
</table>
${layout.paid ? `<p><strong>${escapeHtml(layout.paid)}</strong></p>` : ""}
${layout.notes.map((n) => `<p>${escapeHtml(n)}</p>`).join("\n")}
<p>Thank you for shopping with us.<br>${escapeHtml(doc.seller.name)}</p>
</body></html>`;

  const name = invoiceFileName(doc.number);
  return {
    from: opts.from,
    to: doc.customer.email,
    subject,
    textBody: text,
    htmlBody: html,
    messageStream: opts.messageStream,
    tag: "invoice",
    metadata: { invoice_number: doc.number, order_number: String(doc.orderNumber) },
    attachments: [{ name, contentType: "application/pdf", contentBase64: toBase64(pdf) }],
  };
}

export function escapeHtml(value: string): string {
  const entities: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  return value.replace(/[&<>"']/g, (c) => entities[c]!);
}

export function toBase64(bytes: Uint8Array): string {
  // Chunked: String.fromCharCode(...bytes) overflows the stack for a PDF of a few hundred KB.
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
