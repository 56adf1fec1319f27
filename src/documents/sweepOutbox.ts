// Transition "sweep the outbox": re-enqueue invoices and credit notes (the two tables of the
// send ledger, src/documents/sendDocument.ts) whose next attempt is overdue,
// so an email is never lost because `queue.send` failed after the confirming batch
// committed, because the queue lost a message, or because a consumer died holding the lease.
//
// Every attempt writes `next_attempt_at` (confirmation: +2 min; claim: past the lease +2
// min; retryable failure: past its backoff +2 min), so only invoices whose own message is
// overdue are picked: the sweeper never cuts a retry's backoff short, and a Postmark outage
// gets no more calls than the backoff allows. A re-enqueued invoice is due again 5 minutes
// later, should that message be lost too. A duplicate message is harmless: the send ledger
// (lease, then SENT) lets one through.
//
// A backlog (a lost local queue, a long outage) drains in rounds of SWEEP_BATCH_LIMIT (the
// most one sendBatch takes) until none is overdue or the round budget is spent: at most
// SWEEP_MAX_ROUNDS x 100 = 1,000 invoices a minute.
import { sql } from "drizzle-orm";
import { rowsOf, runBatch } from "../db/client";
import { creditNoteJob } from "./creditNoteJob";
import { invoiceJob } from "./invoiceJob";

export const REENQUEUE_EVERY_MS = 5 * 60_000;
export const SWEEP_BATCH_LIMIT = 100;
export const SWEEP_MAX_ROUNDS = 10;

/** The overdue invoices nobody is sending, oldest due first. */
export const dueInvoices = (now: number, limit: number) => sql`
  SELECT id FROM invoices
  WHERE status = 'PENDING' AND next_attempt_at <= ${now}
    AND (lease_until IS NULL OR lease_until <= ${now})
  ORDER BY next_attempt_at LIMIT ${limit}`;

/** The overdue credit notes nobody is sending, oldest due first (index credit_notes_status_next_attempt_idx). */
export const dueCreditNotes = (now: number, limit: number) => sql`
  SELECT id FROM credit_notes
  WHERE status = 'PENDING' AND next_attempt_at <= ${now}
    AND (lease_until IS NULL OR lease_until <= ${now})
  ORDER BY next_attempt_at LIMIT ${limit}`;

/** The ids re-enqueued: invoices' and credit notes' (the log names both). */
export interface Swept {
  invoices: number[];
  creditNotes: number[];
}

export async function sweepOutbox(d1: D1Database, queue: Queue, now = Date.now(), limit = SWEEP_BATCH_LIMIT, rounds = SWEEP_MAX_ROUNDS): Promise<Swept> {
  const swept: Swept = { invoices: [], creditNotes: [] };
  for (let round = 0; round < rounds; round++) {
    // Both tables in one round trip; each takes up to `limit`, so neither starves the other.
    const [invoices, creditNotes] = await runBatch(d1, [
      // The index invoices_status_next_attempt_idx (status, next_attempt_at)
      // serves this in due order with no sort and no look at SENT rows.
      sql`
        UPDATE invoices SET enqueued_at = ${now}, next_attempt_at = ${now + REENQUEUE_EVERY_MS}
        WHERE id IN (${dueInvoices(now, limit)})
        RETURNING id`,
      sql`
        UPDATE credit_notes SET enqueued_at = ${now}, next_attempt_at = ${now + REENQUEUE_EVERY_MS}
        WHERE id IN (${dueCreditNotes(now, limit)})
        RETURNING id`,
    ]);
    const invoiceIds = rowsOf<{ id: number }>(invoices).map((r) => r.id);
    const creditNoteIds = rowsOf<{ id: number }>(creditNotes).map((r) => r.id);
    const messages = [
      ...invoiceIds.map((id) => ({ body: invoiceJob(id) })),
      ...creditNoteIds.map((id) => ({ body: creditNoteJob(id) })),
    ];
    // sendBatch takes at most 100 messages: two tables' worth go in two calls.
    for (let i = 0; i < messages.length; i += SWEEP_BATCH_LIMIT) await queue.sendBatch(messages.slice(i, i + SWEEP_BATCH_LIMIT));
    swept.invoices.push(...invoiceIds);
    swept.creditNotes.push(...creditNoteIds);
    if (invoiceIds.length < limit && creditNoteIds.length < limit) break;
  }
  return swept;
}
