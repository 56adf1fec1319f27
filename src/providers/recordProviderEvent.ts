// Transition "record a provider event that moves no order": a Stripe event of another type,
// a delayed payment not yet paid, or a payment that names no order we can find. It is one
// audit row (and, for money we cannot place, its attention item) in one batch, and the
// provider gets its 2xx: retrying would not change anything.
import { sql } from "drizzle-orm";
import { raiseForEvent } from "../attention/attentionItems";
import { compileBatch } from "../db/client";
import type { WebhookOutcome } from "../db/schema";

export interface ProviderEvent {
  requestId: string;
  deliveryId: string;
  receivedAt: number;
  provider: "stripe";
  providerRef: string | null;
  orderId: string | null;
  /** What the event says of the payment: "paid", "failed", "pending" or "ignored". */
  paymentStatus: string;
  outcome: Extract<WebhookOutcome, "ignored_event" | "payment_pending" | "unmatched_payment">;
  detail: Record<string, unknown>;
}

const record = compileBatch<keyof ProviderEvent | "detailJson">([
  sql`
    INSERT INTO webhook_events
      (received_at, request_id, delivery_id, order_id, payment_status, order_status, outcome, http_status, detail,
       provider, provider_ref)
    SELECT ${sql.placeholder("receivedAt")}, ${sql.placeholder("requestId")}, ${sql.placeholder("deliveryId")},
      ${sql.placeholder("orderId")}, ${sql.placeholder("paymentStatus")},
      (SELECT status FROM orders WHERE id = ${sql.placeholder("orderId")}),
      ${sql.placeholder("outcome")}, 200, ${sql.placeholder("detailJson")}, ${sql.placeholder("provider")},
      ${sql.placeholder("providerRef")}`,
  raiseForEvent(sql.placeholder("requestId")),
]);

export async function recordProviderEvent(d1: D1Database, event: ProviderEvent): Promise<void> {
  await record(d1, { ...event, detailJson: JSON.stringify(event.detail) });
}
