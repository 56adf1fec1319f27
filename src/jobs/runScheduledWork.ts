// The Worker's scheduled() handler (cron "* * * * *"): expire reservations, then sweep
// the invoice outbox. Each job runs even if the other fails; a failure is logged and the
// next minute's run tries again (both jobs are idempotent).
import { readConfig } from "../config";
import { sweepOutbox } from "../invoices/sweepOutbox";
import { createLogger, errorMessage } from "../observability/log";
import { expireReservations } from "../orders/expireReservations";

export async function runScheduledWork(controller: ScheduledController, env: Env): Promise<void> {
  const log = createLogger(readConfig(env).logLevel, { cron: controller.cron });
  const now = controller.scheduledTime || Date.now();
  const jobs = await Promise.allSettled([
    expireReservations(env.DB, now).then((cancelled) => {
      if (cancelled.length > 0) {
        log.info("reservations_expired", { count: cancelled.length, order_numbers: cancelled.map((o) => o.order_number) });
      }
    }),
    sweepOutbox(env.DB, env.INVOICE_QUEUE, now).then((ids) => {
      if (ids.length > 0) log.warn("outbox_reenqueued", { count: ids.length, invoice_ids: ids });
    }),
  ]);
  const failures = jobs.filter((j): j is PromiseRejectedResult => j.status === "rejected");
  for (const failure of failures) log.error("scheduled_job_failed", { error: errorMessage(failure.reason) });
  if (failures.length > 0) throw new Error(`${failures.length} scheduled job(s) failed`);
}
