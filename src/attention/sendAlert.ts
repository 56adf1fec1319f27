// Transition "alert the operator": one short plain-text email per attention item to
// OPS_ALERT_EMAIL, through the same mailer as invoices, never from the webhook's request.
//
// The cron enqueues items whose alert is due (enqueueAlerts); the consumer sends them here.
// The item's alert_* columns are the ledger, as the invoice row is for invoices: a lease
// claimed by one guarded UPDATE lets one sender through, alert_sent_at is final, so a
// repeated or concurrent message sends nothing more. An item settled before its alert went
// out (a not_ready that the next retry confirmed) is not sent at all. Once the mailer has
// accepted an alert, nothing in this attempt releases the lease (see recordAlertSent).
import { sql } from "drizzle-orm";
import { rowsOf, runBatch } from "../db/client";
import { MailDeliveryError, type Mailer } from "../mail/mailer";
import { errorMessage } from "../observability/log";
import { ATTENTION_SELECT } from "./attentionQuery";
import { describeAttention, type AttentionRow } from "./describeAttention";

const ALERT_LEASE_MS = 60_000;
/** After this many failed sends an alert is given up (the item stays on the list). */
export const MAX_ALERT_ATTEMPTS = 10;
/** Items older than this when alerts are first switched on are not emailed (no flood). */
export const ALERT_MAX_AGE_MS = 24 * 60 * 60_000;
const REENQUEUE_EVERY_MS = 5 * 60_000;

export type AlertOutcome =
  | { kind: "sent"; messageId: string }
  /** Postmark accepted the alert but D1 would not record it: acked, the lease kept. */
  | { kind: "sent_unrecorded"; messageId: string; error: string }
  | { kind: "skipped"; reason: string }
  | { kind: "failed_retryable"; error: string }
  | { kind: "failed_permanently"; error: string };

export async function sendAlert(d1: D1Database, mailer: Mailer, itemId: number, to: string, from: string, stream: string): Promise<AlertOutcome> {
  const now = Date.now();
  const token = crypto.randomUUID();
  const [, read] = await runBatch(d1, [
    sql`UPDATE attention_items
        SET alert_lease_until = ${now + ALERT_LEASE_MS}, alert_lease_token = ${token}, alert_attempts = alert_attempts + 1
        WHERE id = ${itemId} AND resolved_at IS NULL AND alert_sent_at IS NULL AND alert_attempts < ${MAX_ALERT_ATTEMPTS}
          AND (alert_lease_until IS NULL OR alert_lease_until <= ${now})`,
    sql`${sql.raw(ATTENTION_SELECT)} WHERE a.id = ${itemId} AND a.alert_lease_token = ${token}`,
  ]);
  const item = rowsOf<AttentionRow>(read)[0];
  if (!item) return { kind: "skipped", reason: "already sent, being sent, settled or given up" };

  const { happened, action } = describeAttention(item);
  const email = {
    from,
    to,
    subject: `Needs attention: ${item.kind.replaceAll("_", " ")}${item.order_number !== null ? `, order ${item.order_number}` : ""}`,
    textBody: [
      `What happened: ${happened}.`,
      `What to do: ${action}.`,
      "",
      `Item ${item.id}, raised ${new Date(item.created_at).toISOString()}.`,
      "See every open item:    npm run ops -- attention --remote",
      `Mark this one settled:  npm run ops -- resolve ${item.id} --remote --note "what you did"`,
    ].join("\n"),
    messageStream: stream,
    tag: "ops-alert",
    metadata: { attention_item: String(item.id) },
  };

  let messageId: string;
  try {
    ({ messageId } = await mailer.send(email));
  } catch (error) {
    const message = errorMessage(error).slice(0, 500);
    const final = error instanceof MailDeliveryError && error.kind === "final";
    await runBatch(d1, [
      sql`UPDATE attention_items
          SET alert_error = ${message}, alert_lease_until = NULL, alert_lease_token = NULL,
              alert_attempts = CASE WHEN ${final ? 1 : 0} = 1 THEN ${MAX_ALERT_ATTEMPTS} ELSE alert_attempts END
          WHERE id = ${itemId} AND alert_lease_token = ${token}`,
    ]);
    return final ? { kind: "failed_permanently", error: message } : { kind: "failed_retryable", error: message };
  }

  // Postmark has accepted the email: from here on this attempt must never lead to another
  // send (the invoice's rule, src/documents/sendDocument.ts). A failing write is retried in
  // place; if D1 still refuses, the lease is kept, not released, and the message acked, so
  // the alert could go out again only after the lease and the cron's next enqueue.
  try {
    await recordAlertSent(d1, itemId, messageId);
    return { kind: "sent", messageId };
  } catch (error) {
    return { kind: "sent_unrecorded", messageId, error: errorMessage(error).slice(0, 500) };
  }
}

async function recordAlertSent(d1: D1Database, itemId: number, messageId: string, attempts = 3): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      // Guarded on nothing but the item: the email went out whoever holds the lease now.
      await runBatch(d1, [
        sql`UPDATE attention_items
            SET alert_sent_at = ${Date.now()}, alert_message_id = ${messageId}, alert_error = NULL,
                alert_lease_until = NULL, alert_lease_token = NULL
            WHERE id = ${itemId}`,
      ]);
      return;
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * 3 ** attempt));
    }
  }
}

/**
 * The cron's part: the ids of items whose alert is due (open, unsent, not given up, not
 * leased, not enqueued in the last 5 minutes, raised in the last day), marked as enqueued.
 */
export async function dueAlerts(d1: D1Database, now: number, limit = 100): Promise<number[]> {
  const [marked] = await runBatch(d1, [
    sql`UPDATE attention_items SET alert_enqueued_at = ${now}
        WHERE id IN (
          SELECT id FROM attention_items
          WHERE resolved_at IS NULL AND created_at >= ${now - ALERT_MAX_AGE_MS}
            AND alert_sent_at IS NULL AND alert_attempts < ${MAX_ALERT_ATTEMPTS}
            AND (alert_lease_until IS NULL OR alert_lease_until <= ${now})
            AND (alert_enqueued_at IS NULL OR alert_enqueued_at <= ${now - REENQUEUE_EVERY_MS})
          ORDER BY id LIMIT ${limit})
        RETURNING id`,
  ]);
  return rowsOf<{ id: number }>(marked).map((r) => r.id);
}
