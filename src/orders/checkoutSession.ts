// Transition "start a Stripe Checkout Session for an order": POST /api/orders (and the binding's
// createOrder) with `checkout: { provider: "stripe", ... }`. The order is written and reserved
// first (src/orders/reserveOrder.ts), then Stripe is asked for a session, then the session is
// recorded; Stripe's call is an outside round trip, so no D1 batch is held across it and each
// side of it is one guarded batch.
//
// Invariants kept here:
// - one session per order: Stripe's Idempotency-Key is derived from the order id, so a retry
//   (ours, the client's, a replayed create) can only get the first session back, and the ledger
//   row is keyed by the session (UNIQUE provider, provider_ref and checkout_session_ref).
// - the session asks for exactly the order's total: its lines are the order's lines at the
//   prices stored in the order, in the order's currency, so the webhook's amount check passes.
// - nothing half-made: when Stripe does not create the session the order is cancelled in one
//   batch (its reservation released once, guarded on AWAITING_PAYMENT as cancelOrder does) and
//   its shop Idempotency-Key forgotten, so the shop's retry creates a new order and session.
// - the session closes no later than the reservation: expires_at is reserved_until (Stripe
//   allows 30 minutes to 24 hours, so a checkout order is reserved at least
//   MIN_CHECKOUT_RESERVATION_MINUTES), and its ledger row holds nothing beyond it
//   (checkout_expires_at; src/orders/expireReservations.ts).
import { sql } from "drizzle-orm";
import type { StripeApiConfig } from "../config";
import { compileBatch, rowsOf } from "../db/client";
import { lazyModules } from "../lazyModules";
import type { StripeFailure } from "../providers/stripe/stripeApi";
import { selectOrderView, toOrderBody, type OrderBody, type OrderRow } from "./orderView";

/** Stripe's least expires_at is 30 minutes after creation; one more absorbs clock skew and latency. */
export const MIN_CHECKOUT_RESERVATION_MINUTES = 31;
/** Stripe's greatest expires_at: 24 hours after creation. */
const MAX_SESSION_SECONDS = 24 * 3600;
/** Reconciliation first asks about a session this long after it was made (issue 18: 15 minutes). */
export const RECONCILE_AFTER_MS = 15 * 60_000;

export interface CheckoutRequest {
  provider: "stripe";
  success_url: string;
  cancel_url: string;
}

export type CheckoutResult =
  | { outcome: "session_created" | "session_exists"; order: OrderBody; checkoutUrl: string }
  | { outcome: "stripe_failed"; order: OrderBody | null; failure: StripeFailure };

/** How long an order created with Checkout holds its stock: as configured, and at least as long as its session. */
export function checkoutReservationMinutes(configured: number): number {
  return Math.max(configured, MIN_CHECKOUT_RESERVATION_MINUTES);
}

/** Stripe's Idempotency-Key for the order's session. */
export const sessionIdempotencyKey = (orderId: string) => `order-checkout-session:${orderId}`;

/** The parameters of stripe.checkout.sessions.create for `order` (typed by the package where it is loaded). */
export function checkoutSessionParams(order: OrderBody, checkout: CheckoutRequest, now: number) {
  const reservedUntil = order.reserved_until === null ? now + MAX_SESSION_SECONDS * 1000 : Date.parse(order.reserved_until);
  const metadata = { order_id: order.order_id, order_number: String(order.order_number) };
  return {
    mode: "payment" as const,
    line_items: order.lines.map((line) => ({
      quantity: line.quantity,
      price_data: {
        currency: order.currency.toLowerCase(),
        unit_amount: line.unit_price_cents,
        product_data: { name: line.product_name ?? `Product ${line.product_id}` },
      },
    })),
    client_reference_id: order.order_id,
    metadata,
    // payment_intent.* events and refunds carry the intent's metadata, not the session's.
    payment_intent_data: { metadata },
    customer_email: order.customer_email,
    expires_at: Math.min(Math.floor(reservedUntil / 1000), Math.floor(now / 1000) + MAX_SESSION_SECONDS),
    success_url: checkout.success_url,
    cancel_url: checkout.cancel_url,
  };
}

const p = {
  now: sql.placeholder("now"),
  orderId: sql.placeholder("orderId"),
  sessionRef: sql.placeholder("sessionRef"),
  url: sql.placeholder("url"),
  expiresAt: sql.placeholder("expiresAt"),
  reconcileAfter: sql.placeholder("reconcileAfter"),
  key: sql.placeholder("key"),
};

const recordBatch = compileBatch<Exclude<keyof typeof p, "key">>([
  // The session is the order's pending payment, for exactly the order's total. Recorded whatever
  // the order became meanwhile: the session exists at Stripe and may be paid, and a payment of a
  // cancelled order is then refund_required like any other.
  sql`
    INSERT INTO payments (order_id, provider, provider_ref, ref_from_provider, status, amount_cents, currency,
      confirmed_order, checkout_session_ref, checkout_url, checkout_expires_at, reconcile_after, created_at, updated_at)
    SELECT o.id, 'stripe', ${p.sessionRef}, 1, 'pending',
      (SELECT COALESCE(SUM(quantity * unit_price_cents), 0) FROM order_items WHERE order_id = o.id), o.currency,
      0, ${p.sessionRef}, ${p.url}, ${p.expiresAt}, ${p.reconcileAfter}, ${p.now}, ${p.now}
    FROM orders o WHERE o.id = ${p.orderId}
    ON CONFLICT DO NOTHING`,
  selectOrderView(p.orderId),
]);

const releaseBatch = compileBatch<"now" | "orderId" | "key">([
  // Release what the order reserved, while it still awaits payment (cancelOrder's guard).
  sql`
    UPDATE products
    SET stock_reserved = MAX(products.stock_reserved - line.qty, 0), updated_at = ${p.now}
    FROM (SELECT product_id, SUM(quantity) AS qty FROM order_items
          WHERE order_id = (SELECT id FROM orders WHERE id = ${p.orderId} AND status = 'AWAITING_PAYMENT')
          GROUP BY product_id) AS line
    WHERE products.id = line.product_id`,
  sql`
    UPDATE orders SET status = 'CANCELLED', cancelled_at = ${p.now}, updated_at = ${p.now}
    WHERE id = ${p.orderId} AND status = 'AWAITING_PAYMENT'`,
  // A request that failed leaves no key behind (as a short-stock 400 does): the retry starts over.
  sql`DELETE FROM order_idempotency_keys WHERE key = ${p.key} AND order_id = ${p.orderId}`,
  selectOrderView(p.orderId),
]);

const existingSession = compileBatch<"orderId">([
  sql`
    SELECT checkout_url FROM payments
    WHERE order_id = ${p.orderId} AND provider = 'stripe' AND checkout_session_ref IS NOT NULL AND checkout_url IS NOT NULL
    ORDER BY id DESC LIMIT 1`,
]);

/**
 * The order's session: the one it has (a replayed create), or a new one from Stripe. `order` is
 * the order as createOrder answered it, awaiting payment with its reservation.
 */
export async function startCheckoutSession(
  d1: D1Database,
  config: StripeApiConfig & { secretKey: string },
  order: OrderBody,
  checkout: CheckoutRequest,
  shopIdempotencyKey: string | null,
  now: number,
): Promise<CheckoutResult> {
  const [known] = await existingSession(d1, { orderId: order.order_id });
  const url = rowsOf<{ checkout_url: string }>(known)[0]?.checkout_url;
  if (url) return { outcome: "session_exists", order, checkoutUrl: url };

  const { createStripeApi, describeStripeFailure } = await lazyModules.stripeApi();
  // One retry: the storefront's customer is waiting, and the key makes a retry safe.
  const stripe = createStripeApi(config, { maxNetworkRetries: 1, timeoutMs: 15_000 });
  const params = checkoutSessionParams(order, checkout, now);
  let session: { id: string; url: string | null; expires_at: number };
  try {
    session = await stripe.checkout.sessions.create(params, { idempotencyKey: sessionIdempotencyKey(order.order_id) });
  } catch (error) {
    const failure = describeStripeFailure(error);
    const results = await releaseBatch(d1, { now: Date.now(), orderId: order.order_id, key: shopIdempotencyKey });
    const row = rowsOf<OrderRow>(results[3])[0];
    return { outcome: "stripe_failed", order: row ? toOrderBody(row) : null, failure };
  }
  if (!session.url) throw new Error(`Stripe answered Checkout Session ${session.id} without a url`);
  const results = await recordBatch(d1, {
    now,
    orderId: order.order_id,
    sessionRef: session.id,
    url: session.url,
    expiresAt: session.expires_at * 1000,
    reconcileAfter: now + RECONCILE_AFTER_MS,
  });
  const row = rowsOf<OrderRow>(results[1])[0];
  return { outcome: "session_created", order: row ? toOrderBody(row) : order, checkoutUrl: session.url };
}
