// From database rows to the CreditNoteDocument that the PDF and the email are made of.
import { sql } from "drizzle-orm";
import type { MailConfig } from "../config";
import { rowsOf, runBatch } from "../db/client";
import type { CreditNoteDocument } from "./pdf/layoutCreditNote";

export interface CreditNoteHeaderRow {
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

export function toCreditNoteDocument(row: CreditNoteHeaderRow, config: MailConfig): CreditNoteDocument {
  return {
    seller: { ...config.invoice.seller, email: config.invoice.fromEmail },
    number: row.number,
    // The credit note date is the refund's: the row is written in the batch that records it.
    issuedAt: row.created_at,
    invoice: { number: row.invoice_number, issuedAt: row.invoice_created_at },
    orderNumber: row.order_number,
    customer: { name: row.customer_name, email: row.customer_email },
    // The note's own currency (the refund's), which is the invoice's: a refund in another
    // currency would be the refund batch's to refuse, not ours to convert.
    currency: row.currency,
    amountCents: row.amount_cents,
    reason: row.reason,
    locale: config.invoice.locale,
    timeZone: config.invoice.timeZone,
    taxRatePercent: config.invoice.taxRatePercent,
  };
}

/** The columns of a CreditNoteHeaderRow, from `credit_notes c JOIN invoices i JOIN orders o`. */
export const creditNoteHeaderColumns = sql.raw(
  "c.number, c.created_at, c.amount_cents, c.currency, c.reason, i.number AS invoice_number, " +
    "i.created_at AS invoice_created_at, o.order_number, o.customer_email, o.customer_name",
);
export const creditNoteJoins = sql.raw("credit_notes c JOIN invoices i ON i.id = c.invoice_id JOIN orders o ON o.id = c.order_id");

/** The document of a credit note by its number (one round trip), or null when there is none. */
export async function loadCreditNoteDocument(d1: D1Database, number: string, config: MailConfig): Promise<CreditNoteDocument | null> {
  const [header] = await runBatch(d1, [sql`SELECT ${creditNoteHeaderColumns} FROM ${creditNoteJoins} WHERE c.number = ${number}`]);
  const row = rowsOf<CreditNoteHeaderRow>(header)[0];
  return row ? toCreditNoteDocument(row, config) : null;
}
