// Transition "send an invoice": claim the ledger row, render, send, record the answer.
//
// The `invoices` row is the send ledger and Postmark has no idempotency key, so the row
// alone keeps the customer at one email:
// - only a PENDING row whose lease is free can be claimed, by one guarded UPDATE, so two
//   consumers never send the same invoice at once;
// - SENT and FAILED are final: a redelivered message for them sends nothing;
// - the lease (60 s) outlives the Postmark timeout (15 s), so a live sender's lease cannot
//   lapse mid-send; a consumer that dies leaves a lease that expires, and the invoice is
//   sent by the next attempt.
// The order is never touched here: whatever happens to the email, it stays CONFIRMED.
import { sql } from "drizzle-orm";
import type { MailConfig } from "../config";
import { rowsOf, runBatch } from "../db/client";
import { MailDeliveryError, type Mailer } from "../mail/mailer";
import { composeInvoiceEmail } from "./composeInvoiceEmail";
import { invoiceHeaderColumns, invoiceLines, toInvoiceDocument, type InvoiceHeaderRow, type InvoiceLineRow } from "./invoiceDocument";
import { renderInvoicePdf, type FontLoader } from "./pdf/renderInvoicePdf";

export const SEND_LEASE_MS = 60_000;

export type SendOutcome =
  | { kind: "sent"; messageId: string; number: string }
  /** Postmark accepted the email but D1 would not take the SENT: see recordSent. */
  | { kind: "sent_unrecorded"; messageId: string; number: string; error: string }
  | { kind: "already_final"; status: "SENT" | "FAILED" }
  | { kind: "leased_elsewhere"; retryInSeconds: number }
  | { kind: "not_found" }
  | { kind: "failed_permanently"; error: string }
  | { kind: "failed_retryable"; error: string };

interface ClaimedInvoiceRow extends InvoiceHeaderRow {
  id: number;
  status: "PENDING" | "SENT" | "FAILED";
  lease_until: number | null;
  claimed: number;
}

export interface SendDependencies {
  d1: D1Database;
  mailer: Mailer;
  fonts: FontLoader;
  config: MailConfig;
}

export async function sendInvoice(deps: SendDependencies, invoiceId: number): Promise<SendOutcome> {
  const { d1, mailer, config } = deps;
  const now = Date.now();
  const token = crypto.randomUUID();

  // One round trip: claim if free, then read the row (claimed or not) and, if claimed, its lines.
  const results = await runBatch(d1, [
    sql`UPDATE invoices
        SET lease_until = ${now + SEND_LEASE_MS}, lease_token = ${token}, attempts = attempts + 1, updated_at = ${now}
        WHERE id = ${invoiceId} AND status = 'PENDING' AND (lease_until IS NULL OR lease_until <= ${now})`,
    sql`SELECT i.id, i.status, i.lease_until, i.lease_token IS ${token} AS claimed, ${invoiceHeaderColumns}
        FROM invoices i JOIN orders o ON o.id = i.order_id WHERE i.id = ${invoiceId}`,
    invoiceLines(sql`i.id = ${invoiceId} AND i.lease_token IS ${token}`),
  ]);
  const invoice = rowsOf<ClaimedInvoiceRow>(results[1])[0];
  if (!invoice) return { kind: "not_found" };
  if (invoice.status !== "PENDING") return { kind: "already_final", status: invoice.status };
  if (!invoice.claimed) {
    const remaining = Math.max(1, Math.ceil(((invoice.lease_until ?? now) - now) / 1000));
    return { kind: "leased_elsewhere", retryInSeconds: remaining + 1 };
  }

  let messageId: string;
  try {
    const document = toInvoiceDocument(invoice, rowsOf<InvoiceLineRow>(results[2]), config);
    const pdf = await renderInvoicePdf(document, deps.fonts);
    const email = composeInvoiceEmail(document, pdf, {
      from: config.invoice.fromEmail,
      messageStream: config.postmark.messageStream,
    });
    ({ messageId } = await mailer.send(email));
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).slice(0, 1000);
    if (error instanceof MailDeliveryError && !error.retryable) {
      await runBatch(d1, [
        sql`UPDATE invoices
            SET status = 'FAILED', last_error = ${message}, lease_until = NULL, lease_token = NULL, updated_at = ${Date.now()}
            WHERE id = ${invoiceId} AND status = 'PENDING'`,
      ]);
      return { kind: "failed_permanently", error: message };
    }
    // Free the lease at once so the retry can claim it; keep the reason for whoever looks.
    await runBatch(d1, [
      sql`UPDATE invoices
          SET last_error = ${message}, lease_until = NULL, lease_token = NULL, updated_at = ${Date.now()}
          WHERE id = ${invoiceId} AND lease_token = ${token}`,
    ]);
    return { kind: "failed_retryable", error: message };
  }

  // Postmark has accepted the email: from here on this attempt must never lead to another
  // send, so a failing SENT write is retried in place and, if D1 still refuses, the lease is
  // kept (not released) and the message acked. Only after the lease has expired and the
  // sweeper's delay has passed could the invoice go out again: the documented window.
  try {
    await recordSent(d1, invoiceId, messageId);
    return { kind: "sent", messageId, number: invoice.number };
  } catch (error) {
    return { kind: "sent_unrecorded", messageId, number: invoice.number, error: error instanceof Error ? error.message : String(error) };
  }
}

async function recordSent(d1: D1Database, invoiceId: number, messageId: string, attempts = 3): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const now = Date.now();
      // Guarded on status only, not on the lease: the email went out whoever holds it now.
      await runBatch(d1, [
        sql`UPDATE invoices
            SET status = 'SENT', message_id = ${messageId}, sent_at = ${now}, last_error = NULL,
                lease_until = NULL, lease_token = NULL, updated_at = ${now}
            WHERE id = ${invoiceId} AND status = 'PENDING'`,
      ]);
      return;
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * 3 ** attempt));
    }
  }
}

/** The dead-letter queue's verdict: retries are exhausted, a human must look. */
export async function markInvoiceUndeliverable(d1: D1Database, invoiceId: number, now = Date.now()): Promise<boolean> {
  const [result] = await runBatch(d1, [
    sql`UPDATE invoices
        SET status = 'FAILED', last_error = COALESCE(last_error, 'unknown error') || ' (retries exhausted)',
            lease_until = NULL, lease_token = NULL, updated_at = ${now}
        -- A live lease means a sender is mid-send: its answer, not this verdict, decides.
        WHERE id = ${invoiceId} AND status = 'PENDING' AND (lease_until IS NULL OR lease_until <= ${now})`,
  ]);
  return (result?.meta.changes ?? 0) > 0;
}
