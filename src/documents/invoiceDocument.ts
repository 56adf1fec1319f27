// From database rows to the InvoiceDocument that the PDF and the email are made of.
import { sql, type SQL } from "drizzle-orm";
import type { MailConfig } from "../config";
import { rowsOf, runBatch } from "../db/client";
import type { InvoiceDocument } from "./pdf/layoutInvoice";

export interface InvoiceHeaderRow {
  number: string;
  created_at: number;
  order_number: number;
  customer_email: string;
  customer_name: string;
  currency: string;
}

export interface InvoiceLineRow {
  name: string;
  quantity: number;
  unit_price_cents: number;
}

export function toInvoiceDocument(invoice: InvoiceHeaderRow, lines: InvoiceLineRow[], config: MailConfig): InvoiceDocument {
  return {
    seller: { ...config.invoice.seller, email: config.invoice.fromEmail },
    number: invoice.number,
    // The invoice date is the confirmation: the row is written in the confirming batch.
    issuedAt: invoice.created_at,
    orderNumber: invoice.order_number,
    customer: { name: invoice.customer_name, email: invoice.customer_email },
    currency: invoice.currency,
    locale: config.invoice.locale,
    timeZone: config.invoice.timeZone,
    lines: lines.map((l) => ({ description: l.name, quantity: l.quantity, unitPriceCents: l.unit_price_cents })),
    taxRatePercent: config.invoice.taxRatePercent,
  };
}

/** The columns of an InvoiceHeaderRow, from `invoices i JOIN orders o`. */
export const invoiceHeaderColumns = sql.raw(
  "i.number, i.created_at, o.order_number, o.customer_email, o.customer_name, o.currency",
);

/** The InvoiceLineRows of the invoices `i` that `where` selects, in order. */
export const invoiceLines = (where: SQL) => sql`
  SELECT p.name, oi.quantity, oi.unit_price_cents
  FROM invoices i JOIN order_items oi ON oi.order_id = i.order_id JOIN products p ON p.id = oi.product_id
  WHERE ${where} ORDER BY oi.id`;

/** The document of an invoice by its number (one round trip), or null when there is none. */
export async function loadInvoiceDocument(d1: D1Database, number: string, config: MailConfig): Promise<InvoiceDocument | null> {
  const [header, lines] = await runBatch(d1, [
    sql`SELECT ${invoiceHeaderColumns} FROM invoices i JOIN orders o ON o.id = i.order_id WHERE i.number = ${number}`,
    invoiceLines(sql`i.number = ${number}`),
  ]);
  const row = rowsOf<InvoiceHeaderRow>(header)[0];
  return row ? toInvoiceDocument(row, rowsOf<InvoiceLineRow>(lines), config) : null;
}
