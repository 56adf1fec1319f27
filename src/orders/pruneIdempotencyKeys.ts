// Transition "forget old Idempotency-Keys": a key answers retries of its order for at least
// IDEMPOTENCY_KEY_HOURS (24, as Stripe keeps them), then the cron deletes it, oldest first, in
// bounded rounds. The order itself is never touched; only a retry after that long could
// create a second order, and a storefront does not retry a checkout a day later.
import { sql } from "drizzle-orm";
import { runBatch } from "../db/client";

export const IDEMPOTENCY_KEY_HOURS = 24;
const PRUNE_BATCH = 1000;

export async function pruneIdempotencyKeys(d1: D1Database, now: number, limit = PRUNE_BATCH): Promise<number> {
  const cutoff = now - IDEMPOTENCY_KEY_HOURS * 3_600_000;
  const [result] = await runBatch(d1, [
    sql`
      DELETE FROM order_idempotency_keys WHERE key IN (
        SELECT key FROM order_idempotency_keys WHERE created_at < ${cutoff} ORDER BY created_at LIMIT ${limit})`,
  ]);
  return result?.meta.changes ?? 0;
}
