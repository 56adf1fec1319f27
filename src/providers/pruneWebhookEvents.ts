// Transition "prune the audit log": webhook_events older than the retention
// (WEBHOOK_EVENT_RETENTION_DAYS, default 400: a year of disputes and a margin) are deleted,
// oldest first, in bounded rounds, except rows that an open attention item still points to.
// Attention items themselves are never deleted; they keep their own copy of the detail.
import { sql } from "drizzle-orm";
import { runBatch } from "../db/client";

const PRUNE_BATCH = 1000;

export async function pruneWebhookEvents(d1: D1Database, now: number, retentionDays: number, limit = PRUNE_BATCH): Promise<number> {
  const cutoff = now - retentionDays * 86_400_000;
  const [result] = await runBatch(d1, [
    sql`
      DELETE FROM webhook_events WHERE id IN (
        SELECT e.id FROM webhook_events e
        WHERE e.received_at < ${cutoff}
          AND NOT EXISTS (SELECT 1 FROM attention_items a WHERE a.event_id = e.id AND a.resolved_at IS NULL)
        ORDER BY e.received_at LIMIT ${limit})`,
  ]);
  return result?.meta.changes ?? 0;
}
