// Transition "send a document" (an invoice or a credit note): claim the ledger row, render,
// send, record the answer. One mechanism over two tables, `invoices` and `credit_notes`,
// which carry the same send-ledger columns; what differs (which rows to read, how to
// compose the email, which attention items) is a DocumentKind (src/documents/documentKinds.ts).
//
// The document's row is the send ledger and Postmark has no idempotency key, so the row
// alone keeps the customer at one email:
// - only a PENDING row whose lease is free can be claimed, by one guarded UPDATE, so two
//   consumers never send the same document at once;
// - SENT and FAILED are final: a redelivered message for them sends nothing;
// - the lease (60 s) outlives the Postmark timeout (15 s), so a live sender's lease cannot
//   lapse mid-send; a consumer that dies leaves a lease that expires, and the document is
//   sent by the next attempt.
// The order is never touched here: whatever happens to the email, its status stays.
import { sql, type SQL } from "drizzle-orm";
import type { MailConfig } from "../config";
import { rowsOf, runBatch } from "../db/client";
import { isSingleEmailAddress } from "../mail/emailAddress";
import { MailDeliveryError, type Mailer, type OutgoingEmail } from "../mail/mailer";
import { errorMessage } from "../observability/log";
import type { FontLoader } from "./pdf/renderInvoicePdf";

export const SEND_LEASE_MS = 60_000;
/** How long after an attempt was due the sweeper waits before it re-enqueues the document. */
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

/** The ledger columns every document kind's claimed-row statement selects. */
export interface ClaimedRow {
  id: number;
  status: "PENDING" | "SENT" | "FAILED";
  lease_until: number | null;
  attempts: number;
  claimed: number;
  number: string;
  customer_email: string;
}

/** What differs between an invoice and a credit note; the sending itself does not. */
export interface DocumentKind {
  /** the queue job's kind and the prefix of log events: "invoice", "credit_note" */
  name: "invoice" | "credit_note";
  /** in words: "invoice", "credit note" */
  label: string;
  /** the ledger table, `invoices` or `credit_notes` (a fixed identifier, never input) */
  table: SQL;
  /**
   * Statements that fix what the document says, run in the claiming batch right after the claim
   * and before `read` (the invoice's tax settings, src/documents/invoiceDocument.ts fixInvoiceTax).
   */
  fix?(id: number, token: string, config: MailConfig): SQL[];
  /**
   * The statements that read the document in the claiming batch, after the claim: first its
   * row (a ClaimedRow, `claimed` = the lease token is ours), then whatever `compose` needs,
   * read only when claimed.
   */
  read(id: number, token: string): SQL[];
  /** The email, PDF attached, from the rows `read` returned (the claimed row first). */
  compose(rows: [ClaimedRow, ...D1Result[]], config: MailConfig, fonts: FontLoader): Promise<OutgoingEmail>;
  /** Raise the document's "failed" attention item (the row is FAILED when this runs). */
  raiseFailed(id: number, now: number): SQL[];
  /** Settle its failed and stuck items once it is SENT. */
  settleSent(id: number, now: number): SQL;
  /** The command that puts it back in the outbox, for error texts. */
  resendCommand: string;
}

export interface SendDependencies {
  d1: D1Database;
  mailer: Mailer;
  fonts: FontLoader;
  config: MailConfig;
}

export async function sendDocument(deps: SendDependencies, kind: DocumentKind, id: number): Promise<SendOutcome> {
  const { d1, mailer, config } = deps;
  const now = Date.now();
  const token = crypto.randomUUID();

  // One round trip: claim if free, then read the row (claimed or not) and, if claimed, what
  // its email is made of. While the lease runs, and a while after, the sweeper leaves it alone.
  const fixes = kind.fix?.(id, token, config) ?? [];
  const all = await runBatch(d1, [
    sql`UPDATE ${kind.table}
        SET lease_until = ${now + SEND_LEASE_MS}, lease_token = ${token}, attempts = attempts + 1,
            next_attempt_at = ${now + SEND_LEASE_MS + SWEEP_GRACE_MS}, updated_at = ${now}
        WHERE id = ${id} AND status = 'PENDING' AND (lease_until IS NULL OR lease_until <= ${now})`,
    ...fixes,
    ...kind.read(id, token),
  ]);
  const results = [all[0]!, ...all.slice(1 + fixes.length)];
  const row = rowsOf<ClaimedRow>(results[1])[0];
  if (!row) return { kind: "not_found" };
  if (row.status !== "PENDING") return { kind: "already_final", status: row.status };
  if (!row.claimed) {
    const remaining = Math.max(1, Math.ceil(((row.lease_until ?? now) - now) / 1000));
    return { kind: "leased_elsewhere", retryInSeconds: remaining + 1 };
  }

  // The customer's address goes to Postmark's To, which reads "a@x, b@y" as two recipients:
  // anything but exactly one address would send the document to a stranger.
  if (!isSingleEmailAddress(row.customer_email)) {
    return recordFailed(d1, kind, id, token, `customer_email is not exactly one valid email address: fix it on the order, then \`${kind.resendCommand} ${row.number}\``);
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
    email = await kind.compose([row, ...results.slice(2)], config, fonts);
  } catch (error) {
    if (fontError === undefined) {
      // The same rows render the same way every time: retrying cannot help.
      return recordFailed(d1, kind, id, token, `could not render the ${kind.label}: ${errorMessage(error)}`);
    }
    return recordRetry(d1, kind, id, token, `could not load the ${kind.label} font: ${errorMessage(fontError)}`, retryDelaySeconds(row.attempts));
  }

  let messageId: string;
  try {
    ({ messageId } = await mailer.send(email));
  } catch (error) {
    const message = errorMessage(error).slice(0, 1000);
    const errorKind = error instanceof MailDeliveryError ? error.kind : "transient";
    if (errorKind === "final") return recordFailed(d1, kind, id, token, message);
    if (errorKind === "transient" && row.attempts >= MAX_TRANSIENT_ATTEMPTS) {
      return recordFailed(d1, kind, id, token, `${message} (gave up after ${row.attempts} attempts)`);
    }
    if (errorKind === "account" && row.attempts >= MAX_ACCOUNT_ATTEMPTS) {
      return recordFailed(d1, kind, id, token, `${message} (gave up after ${row.attempts} attempts, about a day)`);
    }
    return recordRetry(d1, kind, id, token, message, errorKind === "account" ? ACCOUNT_RETRY_SECONDS : retryDelaySeconds(row.attempts));
  }

  // Postmark has accepted the email: from here on this attempt must never lead to another
  // send, so a failing SENT write is retried in place and, if D1 still refuses, the lease is
  // kept (not released) and the message acked. Only after the lease has expired and the
  // sweeper's delay has passed could the document go out again: the documented window.
  try {
    await recordSent(d1, kind, id, messageId);
    return { kind: "sent", messageId, number: row.number };
  } catch (error) {
    return { kind: "sent_unrecorded", messageId, number: row.number, error: errorMessage(error) };
  }
}

/**
 * A retry is due: free the lease at once so it can claim the row, keep the reason for
 * whoever looks, and tell the sweeper when the retry is due so it does not cut the backoff short.
 */
async function recordRetry(d1: D1Database, kind: DocumentKind, id: number, token: string, reason: string, retryInSeconds: number): Promise<SendOutcome> {
  const at = Date.now();
  const error = reason.slice(0, 1000);
  await runBatch(d1, [
    sql`UPDATE ${kind.table}
        SET last_error = ${error}, lease_until = NULL, lease_token = NULL,
            next_attempt_at = ${at + retryInSeconds * 1000 + SWEEP_GRACE_MS}, updated_at = ${at}
        WHERE id = ${id} AND lease_token = ${token}`,
  ]);
  return { kind: "failed_retryable", error, retryInSeconds };
}

/**
 * FAILED is final, for a human: written only by the holder of the lease (a sender whose
 * lease lapsed must not overwrite what a later sender did), with its attention item.
 */
async function recordFailed(d1: D1Database, kind: DocumentKind, id: number, token: string, reason: string): Promise<SendOutcome> {
  const now = Date.now();
  const error = reason.slice(0, 1000);
  await runBatch(d1, [
    sql`UPDATE ${kind.table}
        SET status = 'FAILED', last_error = ${error}, lease_until = NULL, lease_token = NULL, next_attempt_at = NULL,
            updated_at = ${now}
        WHERE id = ${id} AND status = 'PENDING' AND lease_token = ${token}`,
    ...kind.raiseFailed(id, now),
  ]);
  return { kind: "failed_permanently", error };
}

async function recordSent(d1: D1Database, kind: DocumentKind, id: number, messageId: string, attempts = 3): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const now = Date.now();
      // Guarded on status only, not on the lease: the email went out whoever holds it now.
      await runBatch(d1, [
        sql`UPDATE ${kind.table}
            SET status = 'SENT', message_id = ${messageId}, sent_at = ${now}, last_error = NULL,
                lease_until = NULL, lease_token = NULL, next_attempt_at = NULL, updated_at = ${now}
            WHERE id = ${id} AND status = 'PENDING'`,
        kind.settleSent(id, now),
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
 * retries itself (and gives up on its own), so this only ends a document that nobody is
 * sending and whose retries were exhausted; it raises the attention item.
 */
export async function markUndeliverable(d1: D1Database, kind: DocumentKind, id: number, now = Date.now()): Promise<boolean> {
  const [result] = await runBatch(d1, [
    sql`UPDATE ${kind.table}
        SET status = 'FAILED', last_error = COALESCE(last_error, 'unknown error') || ' (retries exhausted)',
            lease_until = NULL, lease_token = NULL, next_attempt_at = NULL, updated_at = ${now}
        -- A live lease means a sender is mid-send: its answer, not this verdict, decides.
        WHERE id = ${id} AND status = 'PENDING' AND (lease_until IS NULL OR lease_until <= ${now})`,
    ...kind.raiseFailed(id, now),
  ]);
  return (result?.meta.changes ?? 0) > 0;
}
