// What every payment route does once the transition has decided: hand a confirmed order's
// invoice to the queue, and answer the provider, the same way for every source.
import type { Context } from "hono";
import type { AppEnv } from "../http/appEnv";
import type { CreditNoteJob } from "../documents/creditNoteJob";
import type { InvoiceJob } from "../documents/invoiceJob";
import { errorMessage } from "../observability/log";
import type { PaymentResult } from "../orders/applyPayment";

/**
 * After the batch has committed: the invoice of a confirmation, the credit note of a refund.
 * The document's row is its outbox, so if the send fails the sweeper re-sends it, and the
 * provider gets its 200 either way.
 */
export async function enqueueDocument<E extends AppEnv>(c: Context<E>, job: InvoiceJob | CreditNoteJob): Promise<void> {
  try {
    await c.env.INVOICE_QUEUE.send(job);
  } catch (error) {
    c.get("log").error(`${job.kind}_enqueue_failed`, { job, error: errorMessage(error) });
  }
}

/** The answer to a payment, the same for every provider's route. */
export function answerPayment<E extends AppEnv>(c: Context<E>, orderId: string, result: PaymentResult) {
  const log = c.get("log");
  const base = { order_id: orderId, outcome: result.outcome };
  switch (result.outcome) {
    case "not_found":
      return c.json({ error: "Order not found", ...base }, 404);
    case "insufficient_stock":
      // Money was taken but the goods are not there: a human must act (refund or restock).
      log.error("insufficient_stock", { order_id: orderId, shortages: result.shortages, action: "npm run ops -- attention" });
      return c.json({ error: "Insufficient stock", details: result.shortages, ...base }, 400);
    case "not_ready":
      // Not "done": the provider retries with its own backoff until checkout has reserved stock.
      log.warn("payment_not_ready", { order_id: orderId, order_status: result.orderStatus });
      return c.json({ error: "Order is not awaiting payment yet", ...base, order_status: result.orderStatus }, 409);
    case "data_error":
      log.error("payment_data_error", { order_id: orderId, reason: result.reason, action: "npm run ops -- attention" });
      return c.json({ error: "Order data is invalid", details: { reason: result.reason }, ...base }, 422);
    case "paid_twice":
      log.error("paid_twice", { order_id: orderId, action: "refund the second payment (npm run ops -- attention)" });
      return c.json({ message: "Webhook received", ...base, order_status: result.orderStatus }, 200);
    case "refund_required":
      log.error("refund_required", { order_id: orderId, action: "refund the payment (npm run ops -- attention)" });
      return c.json({ message: "Webhook received", ...base, order_status: result.orderStatus }, 200);
    case "amount_mismatch":
      // The money is real: acknowledged (a retry would not change it), not confirmed, for a human.
      log.error("amount_mismatch", { order_id: orderId, ...result.detail, action: "npm run ops -- attention" });
      return c.json({ message: "Webhook received", ...base, order_status: result.orderStatus, details: result.detail }, 200);
    case "confirmed":
      return c.json({ message: "Webhook received", ...base, invoice_number: result.invoice.number }, 200);
    default:
      return c.json({ message: "Webhook received", ...base, order_status: result.orderStatus }, 200);
  }
}
