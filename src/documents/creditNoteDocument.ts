// From database rows to the CreditNoteDocument that the PDF, the e-invoice and the email are made of.
import { sql } from "drizzle-orm";
import type { MailConfig } from "../config";
import { rowsOf, runBatch } from "../db/client";
import {
  BILLING_COLUMNS,
  billingAddressOf,
  invoiceLines,
  sellerOf,
  taxSettingsOf,
  type InvoiceLineRow,
  type OrderBillingRow,
} from "./invoiceDocument";
import type { CreditNoteDocument } from "./invoiceModel";

export interface CreditNoteHeaderRow extends OrderBillingRow {
  number: string;
  created_at: number;
  amount_cents: number;
  currency: string;
  reason: string | null;
  invoice_number: string;
  invoice_created_at: number;
  order_number: number;
  customer_email: string;
  customer_name: string;
}

export function toCreditNoteDocument(row: CreditNoteHeaderRow, lines: InvoiceLineRow[] | undefined, config: MailConfig): CreditNoteDocument {
  return {
    seller: sellerOf(config),
    number: row.number,
    // The credit note date is the refund's: the row is written in the batch that records it.
    issuedAt: row.created_at,
    invoice: {
      number: row.invoice_number,
      issuedAt: row.invoice_created_at,
      supplyDate: row.supply_date,
      // The invoice's lines as issued: the refund is split over their rates.
      ...(lines && lines.length > 0
        ? { lines: lines.map((l) => ({ description: l.name, quantity: l.quantity, unitPriceCents: l.unit_price_cents, taxRateBp: l.tax_rate_bp })) }
        : {}),
    },
    orderNumber: row.order_number,
    customer: { name: row.customer_name, email: row.customer_email, billingAddress: billingAddressOf(row) },
    // The note's own currency (the refund's), which is the invoice's: a refund in another
    // currency would be the refund batch's to refuse, not ours to convert.
    currency: row.currency,
    amountCents: row.amount_cents,
    reason: row.reason,
    locale: config.invoice.locale,
    timeZone: config.invoice.timeZone,
    ...taxSettingsOf(row, config),
  };
}

/** The columns of a CreditNoteHeaderRow, from `credit_notes c JOIN invoices i JOIN orders o`. */
export const creditNoteHeaderColumns = sql.raw(
  "c.number, c.created_at, c.amount_cents, c.currency, c.reason, i.number AS invoice_number, " +
    `i.created_at AS invoice_created_at, o.order_number, o.customer_email, o.customer_name, ${BILLING_COLUMNS}`,
);
export const creditNoteJoins = sql.raw("credit_notes c JOIN invoices i ON i.id = c.invoice_id JOIN orders o ON o.id = c.order_id");

/** The document of a credit note by its number (one round trip), or null when there is none. */
export async function loadCreditNoteDocument(d1: D1Database, number: string, config: MailConfig): Promise<CreditNoteDocument | null> {
  const [header, lines] = await runBatch(d1, [
    sql`SELECT ${creditNoteHeaderColumns} FROM ${creditNoteJoins} WHERE c.number = ${number}`,
    invoiceLines(sql`i.id = (SELECT invoice_id FROM credit_notes WHERE number = ${number})`),
  ]);
  const row = rowsOf<CreditNoteHeaderRow>(header)[0];
  return row ? toCreditNoteDocument(row, rowsOf<InvoiceLineRow>(lines), config) : null;
}
