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
import { raiseInvoiceFailed, settleInvoiceItems } from "../attention/attentionItems";
import { isSingleEmailAddress } from "../mail/emailAddress";
import { MailDeliveryError, type Mailer, type OutgoingEmail } from "../mail/mailer";
import { errorMessage } from "../observability/log";
import { composeInvoiceEmail } from "./composeInvoiceEmail";
import { invoiceHeaderColumns, invoiceLines, toInvoiceDocument, type InvoiceHeaderRow, type InvoiceLineRow } from "./invoiceDocument";
import { renderInvoicePdf, type FontLoader } from "./pdf/renderInvoicePdf";

export const SEND_LEASE_MS = 60_000;
/** How long after an attempt was due the sweeper waits before it re-enqueues the invoice. */
export const SWEEP_GRACE_MS = 2 * 60_000;
/** Transient failures (429, 5xx, network): 5 s, 10 s, 20 s ... capped at 10 minutes. */
const FIRST_RETRY_SECONDS = 5;
const MAX_RETRY_SECONDS = 600;
/** After this many attempts a transient failure is given up: about half an hour of trouble. */
export const MAX_TRANSIENT_ATTEMPTS = 10;
/**
 * Account problems (bad token, unconfirmed sender): every 30 minutes, for about a day (48
 * attempts of the ledger; `npm run ops -- resend-invoice` starts the count again).
 */
export const ACCOUNT_RETRY_SECONDS = 30 * 60;
export const MAX_ACCOUNT_ATTEMPTS = 48;

/** The backoff of transient failures by the ledger's attempt count (not the message's). */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** Math.max(0, attempts - 1));
}

export type SendOutcome =
  | { kind: "sent"; messageId: string; number: string }
  /** Postmark accepted the email but D1 would not take the SENT: see recordSent. */
  | { kind: "sent_unrecorded"; messageId: string; number: string; error: string }
  | { kind: "already_final"; status: "SENT" | "FAILED" }
  | { kind: "leased_elsewhere"; retryInSeconds: number }
  | { kind: "not_found" }
  | { kind: "failed_permanently"; error: string }
  | { kind: "failed_retryable"; error: string; retryInSeconds: number };

interface ClaimedInvoiceRow extends InvoiceHeaderRow {
  id: number;
  status: "PENDING" | "SENT" | "FAILED";
  lease_until: number | null;
  attempts: number;
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

  // One round trip: claim if free, then read the row (claimed or not) and, if claimed, its
  // lines. While the lease runs, and a while after, the sweeper leaves the row alone.
  const results = await runBatch(d1, [
    sql`UPDATE invoices
        SET lease_until = ${now + SEND_LEASE_MS}, lease_token = ${token}, attempts = attempts + 1,
            next_attempt_at = ${now + SEND_LEASE_MS + SWEEP_GRACE_MS}, updated_at = ${now}
        WHERE id = ${invoiceId} AND status = 'PENDING' AND (lease_until IS NULL OR lease_until <= ${now})`,
    sql`SELECT i.id, i.status, i.lease_until, i.attempts, i.lease_token IS ${token} AS claimed, ${invoiceHeaderColumns}
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

  // The customer's address goes to Postmark's To, which reads "a@x, b@y" as two recipients:
  // anything but exactly one address would send the invoice to a stranger.
  if (!isSingleEmailAddress(invoice.customer_email)) {
    return recordFailed(d1, invoiceId, token, "customer_email is not exactly one valid email address: fix it on the order, then `npm run ops -- resend-invoice`");
  }

  let email: OutgoingEmail;
  let fontError: unknown;
  // Reading the CJK font from static assets is I/O that can fail for a moment: that, unlike
  // the rendering itself, is worth a retry.
  const fonts: FontLoader = {
    loadCjk: () =>
      deps.fonts.loadCjk().catch((error: unknown) => {
        fontError = error;
        throw error;
      }),
  };
  try {
    const document = toInvoiceDocument(invoice, rowsOf<InvoiceLineRow>(results[2]), config);
    const pdf = await renderInvoicePdf(document, fonts);
    email = composeInvoiceEmail(document, pdf, { from: config.invoice.fromEmail, messageStream: config.postmark.messageStream });
  } catch (error) {
    if (fontError === undefined) {
      // The same rows render the same way every time: retrying cannot help.
      return recordFailed(d1, invoiceId, token, `could not render the invoice: ${errorMessage(error)}`);
    }
    return recordRetry(d1, invoiceId, token, `could not load the invoice font: ${errorMessage(fontError)}`, retryDelaySeconds(invoice.attempts));
  }

  let messageId: string;
  try {
    ({ messageId } = await mailer.send(email));
  } catch (error) {
    const message = errorMessage(error).slice(0, 1000);
    const kind = error instanceof MailDeliveryError ? error.kind : "transient";
    if (kind === "final") return recordFailed(d1, invoiceId, token, message);
    if (kind === "transient" && invoice.attempts >= MAX_TRANSIENT_ATTEMPTS) {
      return recordFailed(d1, invoiceId, token, `${message} (gave up after ${invoice.attempts} attempts)`);
    }
    if (kind === "account" && invoice.attempts >= MAX_ACCOUNT_ATTEMPTS) {
      return recordFailed(d1, invoiceId, token, `${message} (gave up after ${invoice.attempts} attempts, about a day)`);
    }
    return recordRetry(d1, invoiceId, token, message, kind === "account" ? ACCOUNT_RETRY_SECONDS : retryDelaySeconds(invoice.attempts));
  }

  // Postmark has accepted the email: from here on this attempt must never lead to another
  // send, so a failing SENT write is retried in place and, if D1 still refuses, the lease is
  // kept (not released) and the message acked. Only after the lease has expired and the
  // sweeper's delay has passed could the invoice go out again: the documented window.
  try {
    await recordSent(d1, invoiceId, messageId);
    return { kind: "sent", messageId, number: invoice.number };
  } catch (error) {
    return { kind: "sent_unrecorded", messageId, number: invoice.number, error: errorMessage(error) };
  }
}

/**
 * A retry is due: free the lease at once so it can claim the row, keep the reason for
 * whoever looks, and tell the sweeper when the retry is due so it does not cut the backoff short.
 */
async function recordRetry(d1: D1Database, invoiceId: number, token: string, reason: string, retryInSeconds: number): Promise<SendOutcome> {
  const at = Date.now();
  const error = reason.slice(0, 1000);
  await runBatch(d1, [
    sql`UPDATE invoices
        SET last_error = ${error}, lease_until = NULL, lease_token = NULL,
            next_attempt_at = ${at + retryInSeconds * 1000 + SWEEP_GRACE_MS}, updated_at = ${at}
        WHERE id = ${invoiceId} AND lease_token = ${token}`,
  ]);
  return { kind: "failed_retryable", error, retryInSeconds };
}

/**
 * FAILED is final, for a human: written only by the holder of the lease (a sender whose
 * lease lapsed must not overwrite what a later sender did), with its attention item.
 */
async function recordFailed(d1: D1Database, invoiceId: number, token: string, reason: string): Promise<SendOutcome> {
  const now = Date.now();
  const error = reason.slice(0, 1000);
  await runBatch(d1, [
    sql`UPDATE invoices
        SET status = 'FAILED', last_error = ${error}, lease_until = NULL, lease_token = NULL, next_attempt_at = NULL,
            updated_at = ${now}
        WHERE id = ${invoiceId} AND status = 'PENDING' AND lease_token = ${token}`,
    ...raiseInvoiceFailed(invoiceId, now),
  ]);
  return { kind: "failed_permanently", error };
}

async function recordSent(d1: D1Database, invoiceId: number, messageId: string, attempts = 3): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const now = Date.now();
      // Guarded on status only, not on the lease: the email went out whoever holds it now.
      await runBatch(d1, [
        sql`UPDATE invoices
            SET status = 'SENT', message_id = ${messageId}, sent_at = ${now}, last_error = NULL,
                lease_until = NULL, lease_token = NULL, next_attempt_at = NULL, updated_at = ${now}
            WHERE id = ${invoiceId} AND status = 'PENDING'`,
        settleInvoiceItems(invoiceId, now, ["invoice_failed", "invoice_stuck"], "settled: the invoice was sent"),
      ]);
      return;
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * 3 ** attempt));
    }
  }
}

/**
 * The dead-letter queue's verdict: the queue gave up on this message. The ledger decides
 * retries itself (and gives up on its own), so this only ends an invoice that nobody is
 * sending and whose retries were exhausted; it raises the attention item.
 */
export async function markInvoiceUndeliverable(d1: D1Database, invoiceId: number, now = Date.now()): Promise<boolean> {
  const [result] = await runBatch(d1, [
    sql`UPDATE invoices
        SET status = 'FAILED', last_error = COALESCE(last_error, 'unknown error') || ' (retries exhausted)',
            lease_until = NULL, lease_token = NULL, next_attempt_at = NULL, updated_at = ${now}
        -- A live lease means a sender is mid-send: its answer, not this verdict, decides.
        WHERE id = ${invoiceId} AND status = 'PENDING' AND (lease_until IS NULL OR lease_until <= ${now})`,
    ...raiseInvoiceFailed(invoiceId, now),
  ]);
  return (result?.meta.changes ?? 0) > 0;
}
