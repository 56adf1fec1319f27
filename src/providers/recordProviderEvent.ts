// Transition "record a provider event that moves no order": a Stripe event of another type,
// a delayed payment not yet paid, a payment that ended unpaid (canceled, expired), or a
// payment that names no order we can find. It is one audit row, the payment's row in the
// ledger when the event is about one (a pending payment holds its order's reservation, see
// src/orders/expireReservations.ts), and for money we cannot place its attention item, in one
// batch; the provider gets its 2xx: retrying would not change anything.
import { sql } from "drizzle-orm";
import { raiseForEvent } from "../attention/attentionItems";
import { compileBatch } from "../db/client";
import type { PaymentStatus, WebhookOutcome } from "../db/schema";
import { adoptCheckoutSession, upsertPayment } from "../payments/ledger";

export interface ProviderEvent {
  requestId: string;
  deliveryId: string;
  receivedAt: number;
  provider: "stripe";
  providerRef: string | null;
  /** The Checkout Session the event is about (checkout.session.*), whose row we may have created. */
  sessionRef?: string | null;
  orderId: string | null;
  /** What the event says of the payment: "paid", "failed", "pending", "canceled" or "ignored". */
  paymentStatus: string;
  outcome: Extract<WebhookOutcome, "ignored_event" | "payment_pending" | "unmatched_payment" | "payment_recorded">;
  detail: Record<string, unknown>;
  /** The payment's state for the ledger, when the event is about a payment. */
  ledger?: { status: PaymentStatus; amount: { cents: number; currency: string } | null } | null;
}

const ph = (name: string) => sql.placeholder(name);
/** The order's id as stored (an id stored upper-case is found too); NULL for an unknown order. */
const storedOrder = sql`(SELECT id FROM orders WHERE id IN (${ph("orderId")}, upper(${ph("orderId")})))`;

const record = compileBatch<string>([
  adoptCheckoutSession(ph("provider"), ph("providerRef"), ph("sessionRef"), ph("receivedAt")),
  sql`
    INSERT INTO webhook_events
      (received_at, request_id, delivery_id, order_id, payment_status, order_status, outcome, http_status, detail,
       provider, provider_ref)
    SELECT ${ph("receivedAt")}, ${ph("requestId")}, ${ph("deliveryId")},
      COALESCE(${storedOrder}, ${ph("orderId")}), ${ph("paymentStatus")},
      (SELECT status FROM orders WHERE id = ${storedOrder}),
      ${ph("outcome")}, 200, ${ph("detailJson")}, ${ph("provider")}, ${ph("providerRef")}`,
  sql`
    INSERT INTO payments (order_id, provider, provider_ref, ref_from_provider, status, amount_cents, currency,
      confirmed_order, created_at, updated_at)
    SELECT ${storedOrder}, ${ph("provider")}, ${ph("providerRef")}, 1, ${ph("ledgerStatus")}, ${ph("amountCents")},
      ${ph("currency")}, 0, ${ph("receivedAt")}, ${ph("receivedAt")}
    WHERE ${ph("ledgerStatus")} IS NOT NULL AND ${ph("providerRef")} IS NOT NULL
    ${upsertPayment}`,
  raiseForEvent(ph("requestId")),
]);

export async function recordProviderEvent(d1: D1Database, event: ProviderEvent): Promise<void> {
  await record(d1, {
    requestId: event.requestId,
    deliveryId: event.deliveryId,
    receivedAt: event.receivedAt,
    provider: event.provider,
    providerRef: event.providerRef,
    sessionRef: event.sessionRef ?? null,
    orderId: event.orderId,
    paymentStatus: event.paymentStatus,
    outcome: event.outcome,
    detailJson: JSON.stringify(event.detail),
    ledgerStatus: event.ledger?.status ?? null,
    amountCents: event.ledger?.amount?.cents ?? null,
    currency: event.ledger?.amount?.currency ?? null,
  });
}
