// Transition "sweep the invoice outbox": re-enqueue invoices that are still PENDING a
// while after confirmation, so an email is never lost because `queue.send` failed after
// the confirming batch committed, or because a consumer died holding the send lease.
//
// Only invoices that nobody is working on are picked: lease free or expired, untouched
// for SWEEP_AFTER_MS (every claim updates updated_at, so an invoice inside its retry
// backoff is left to its own message), and not re-enqueued in the last REENQUEUE_EVERY_MS.
// A duplicate message is harmless: the send ledger (lease, then SENT) lets one through.
import { sql } from "drizzle-orm";
import { rowsOf, runBatch } from "../db/client";
import { invoiceJob } from "./invoiceJob";

export const SWEEP_AFTER_MS = 2 * 60_000;
export const REENQUEUE_EVERY_MS = 5 * 60_000;
export const SWEEP_BATCH_LIMIT = 100;

export async function sweepOutbox(d1: D1Database, queue: Queue, now = Date.now(), limit = SWEEP_BATCH_LIMIT) {
  const [marked] = await runBatch(d1, [
    sql`
      UPDATE invoices SET enqueued_at = ${now}
      WHERE id IN (
        SELECT id FROM invoices
        WHERE status = 'PENDING'
          AND updated_at <= ${now - SWEEP_AFTER_MS}
          AND (lease_until IS NULL OR lease_until <= ${now})
          AND (enqueued_at IS NULL OR enqueued_at <= ${now - REENQUEUE_EVERY_MS})
        ORDER BY id LIMIT ${limit})
      RETURNING id`,
  ]);
  const ids = rowsOf<{ id: number }>(marked).map((r) => r.id);
  // sendBatch takes at most 100 messages; SWEEP_BATCH_LIMIT keeps it to one call.
  if (ids.length > 0) await queue.sendBatch(ids.map((id) => ({ body: invoiceJob(id) })));
  return ids;
}
