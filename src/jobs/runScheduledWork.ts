// The Worker's scheduled() handler (cron "* * * * *"): expire reservations, ask Stripe about
// Checkout Sessions whose webhook has not come (reconcileCheckoutSessions), sweep the
// outbox (invoices and credit notes), raise attention items for stuck ones, enqueue due operator
// alerts and prune old audit rows and Idempotency-Keys. Each job runs even if another fails, and each parses only its own
// settings, so a wrong setting (even LOG_LEVEL) stops at most the job that uses it; a
// failure is logged and the next minute's run tries again (every job is idempotent).
import { alertJob } from "../attention/alertJob";
import { raiseStuckCreditNotes, raiseStuckInvoices } from "../attention/attentionItems";
import { dueAlerts } from "../attention/sendAlert";
import { readAlertConfig, readLogLevel, readPendingHoldDays, readRetentionDays } from "../config";
import { rowsOf, runBatch } from "../db/client";
import { sweepOutbox } from "../documents/sweepOutbox";
import { createLogger, errorMessage } from "../observability/log";
import { expireReservations } from "../orders/expireReservations";
import { pruneIdempotencyKeys } from "../orders/pruneIdempotencyKeys";
import { reconcileCheckoutSessions } from "../payments/reconcileCheckoutSessions";
import { pruneWebhookEvents } from "../providers/pruneWebhookEvents";

export async function runScheduledWork(controller: ScheduledController, env: Env): Promise<void> {
  const logLevel = readLogLevel(env);
  const log = createLogger(logLevel.level, { cron: controller.cron });
  if (logLevel.problem) log.error("config_invalid", { error: logLevel.problem });
  const now = controller.scheduledTime || Date.now();
  const jobs: [string, () => Promise<void>][] = [
    [
      "expire_reservations",
      async () => {
        const cancelled = await expireReservations(env.DB, now, undefined, readPendingHoldDays(env));
        if (cancelled.length > 0) {
          log.info("reservations_expired", { count: cancelled.length, order_numbers: cancelled.map((o) => o.order_number) });
        }
      },
    ],
    [
      // Never throws for what Stripe answers (an outage is one attention item): see the job.
      "reconcile_checkout_sessions",
      async () => {
        const summary = await reconcileCheckoutSessions(env, now, log);
        if (summary.checked > 0) log.info("checkout_sessions_checked", { count: summary.checked, outcomes: summary.outcomes });
      },
    ],
    [
      "sweep_outbox",
      async () => {
        const swept = await sweepOutbox(env.DB, env.INVOICE_QUEUE, now);
        const count = swept.invoices.length + swept.creditNotes.length;
        if (count > 0) {
          log.warn("outbox_reenqueued", { count, invoice_ids: swept.invoices.slice(0, 100), credit_note_ids: swept.creditNotes.slice(0, 100) });
        }
      },
    ],
    [
      "stuck_invoices",
      async () => {
        const [invoices, creditNotes] = await runBatch(env.DB, [raiseStuckInvoices(now), raiseStuckCreditNotes(now)]);
        const count = rowsOf(invoices).length;
        if (count > 0) log.error("invoices_stuck", { count, action: "npm run ops -- attention" });
        const notes = rowsOf(creditNotes).length;
        if (notes > 0) log.error("credit_notes_stuck", { count: notes, action: "npm run ops -- attention" });
      },
    ],
    [
      "operator_alerts",
      async () => {
        const { opsAlertEmail } = readAlertConfig(env);
        if (!opsAlertEmail) return;
        const ids = await dueAlerts(env.DB, now);
        if (ids.length > 0) await env.INVOICE_QUEUE.sendBatch(ids.map((id) => ({ body: alertJob(id) })));
      },
    ],
    [
      "prune_webhook_events",
      async () => {
        const deleted = await pruneWebhookEvents(env.DB, now, readRetentionDays(env));
        if (deleted > 0) log.info("webhook_events_pruned", { count: deleted });
      },
    ],
    [
      "prune_idempotency_keys",
      async () => {
        const deleted = await pruneIdempotencyKeys(env.DB, now);
        if (deleted > 0) log.info("idempotency_keys_pruned", { count: deleted });
      },
    ],
  ];
  const results = await Promise.allSettled(jobs.map(([, run]) => run()));
  const failures = results.flatMap((r, i) => (r.status === "rejected" ? [{ job: jobs[i]![0], error: errorMessage(r.reason) }] : []));
  for (const failure of failures) log.error("scheduled_job_failed", failure);
  if (failures.length > 0) throw new Error(`scheduled job(s) failed: ${failures.map((f) => f.job).join(", ")}`);
}
