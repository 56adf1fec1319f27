// The cron job "reconcile Checkout Sessions": asks Stripe about each Checkout Session this
// service created (src/orders/checkoutSession.ts) that is still undecided a while after it was
// made, so a paid session whose webhook was lost (an outage, a bad deploy, a wrong endpoint
// secret for longer than Stripe retries) still confirms its order.
//
// Invariants kept here:
// - a paid session goes through the same transition as its webhook (applyPayment): the amount
//   is checked against the order's total, the order confirmed once, its invoice allocated once.
//   Its event's delivery id is `reconcile:<session id>` and its payment is the session's payment
//   intent, so the webhook arriving later finds the payment that confirmed the order and is a
//   `duplicate`; a webhook that came first leaves the row decided, and this job never asks again.
// - an expired session, or one completed with a delayed method (SEPA), is recorded through the
//   same transition as its webhook (recordProviderEvent): canceled, or pending on its intent.
// - bounded: at most RECONCILE_BATCH_LIMIT sessions per run, each at most once per run, and each
//   session waits longer after every check that leaves it undecided (5 min, 10 min, ... 6 h), but
//   an open session is asked again a minute after it closes, while it still holds its order.
// - Stripe unavailable or our key refused (connection error, 5xx, 429, 401, 403) ends the run at
//   the first such answer and raises ONE attention item (`stripe_unreachable`), however many
//   sessions are due and however many runs fail; it settles itself on the next answer from
//   Stripe. A session's own trouble (404: a session of another account) only delays that session.
//   Nothing here throws for Stripe's answers, so the other cron jobs are never affected.
// - no D1 batch is held across a call to Stripe: each decision is its transition's own batch.
import { sql } from "drizzle-orm";
import { readStripeApiConfig, readWebhookConfig } from "../config";
import { compileBatch, rowsOf } from "../db/client";
import { lazyModules } from "../lazyModules";
import { invoiceJob } from "../documents/invoiceJob";
import type { Logger } from "../observability/log";
import { errorMessage } from "../observability/log";
import { applyPayment, invoiceSeries } from "../orders/applyPayment";
import { recordProviderEvent } from "../providers/recordProviderEvent";

/** Sessions asked about per run; the cron runs every minute. */
export const RECONCILE_BATCH_LIMIT = 20;
const FIRST_BACKOFF_MS = 5 * 60_000;
const MAX_BACKOFF_MS = 6 * 3600_000;

export const STRIPE_UNREACHABLE_KEY = "stripe_unreachable";

interface DueSession {
  id: number;
  order_id: string | null;
  session_ref: string;
  checkout_expires_at: number | null;
  reconcile_attempts: number;
}

const ph = (name: string) => sql.placeholder(name);

const dueSessions = compileBatch<"now" | "limit">([
  // The partial index payments_reconcile_due_idx holds exactly these rows, in due order.
  sql`
    SELECT id, order_id, checkout_session_ref AS session_ref, checkout_expires_at, reconcile_attempts
    FROM payments
    WHERE status = 'pending' AND checkout_session_ref IS NOT NULL AND reconcile_after <= ${ph("now")}
    ORDER BY reconcile_after LIMIT ${ph("limit")}`,
]);

const backOff = compileBatch<"id" | "now" | "after">([
  sql`
    UPDATE payments SET reconcile_attempts = reconcile_attempts + 1, reconcile_after = ${ph("after")}
    WHERE id = ${ph("id")} AND status = 'pending'`,
]);

/**
 * A payment intent that got its own ledger row first (a payment_intent.* event before any
 * checkout.session.* one) leaves the session's row behind, pending: it is the same money, so
 * the placeholder goes once its intent's row is known.
 */
const retirePlaceholder = compileBatch<"id" | "intent">([
  sql`
    DELETE FROM payments
    WHERE id = ${ph("id")} AND status = 'pending' AND provider_ref = checkout_session_ref AND ${ph("intent")} IS NOT NULL
      AND EXISTS (SELECT 1 FROM payments WHERE provider = 'stripe' AND provider_ref = ${ph("intent")})`,
]);

const raiseUnreachable = compileBatch<"now" | "detail">([
  sql`
    INSERT INTO attention_items (kind, key, detail, created_at)
    VALUES ('stripe_unreachable', ${STRIPE_UNREACHABLE_KEY}, ${ph("detail")}, ${ph("now")})
    ON CONFLICT (key) WHERE resolved_at IS NULL DO UPDATE SET detail = excluded.detail
    RETURNING id`,
]);

const settleUnreachable = compileBatch<"now">([
  sql`
    UPDATE attention_items SET resolved_at = ${ph("now")}, resolved_by = 'system',
      resolution_note = 'settled: Stripe answered the reconciliation job again'
    WHERE key = ${STRIPE_UNREACHABLE_KEY} AND resolved_at IS NULL`,
]);

export function backoffMs(attempts: number): number {
  return Math.min(FIRST_BACKOFF_MS * 2 ** Math.min(attempts, 16), MAX_BACKOFF_MS);
}

/**
 * When to ask again about a session still undecided: after its backoff, but no later than a
 * minute after an open session closes, while it still holds its order
 * (CHECKOUT_SETTLE_MS, src/orders/expireReservations.ts): a payment made in its last minutes
 * whose webhook is lost is confirmed before the reservation is released.
 */
export function nextCheck(row: { checkout_expires_at: number | null; reconcile_attempts: number }, now: number): number {
  const after = now + backoffMs(row.reconcile_attempts);
  if (row.checkout_expires_at === null || now >= row.checkout_expires_at + AFTER_CLOSE_MS) return after;
  return Math.min(after, row.checkout_expires_at + AFTER_CLOSE_MS);
}
const AFTER_CLOSE_MS = 60_000;

export interface ReconcileSummary {
  checked: number;
  /** What each session that changed became: confirmed, duplicate, expired, payment_pending, ... */
  outcomes: { session: string; order_id: string | null; outcome: string }[];
  /** Stripe could not be reached (or refused our key): the run stopped there. */
  unreachable: { status: number | null; message: string } | null;
}

type SessionLike = {
  id: string;
  status: string | null;
  payment_status: string;
  amount_total: number | null;
  currency: string | null;
  payment_intent: string | { id: string } | null;
};

export async function reconcileCheckoutSessions(env: Env, now: number, log: Logger): Promise<ReconcileSummary> {
  const summary: ReconcileSummary = { checked: 0, outcomes: [], unreachable: null };
  const config = readStripeApiConfig(env);
  // Without a key no session was created here, and none can be asked about.
  const secretKey = config.secretKey;
  if (secretKey === undefined) return summary;
  const due = rowsOf<DueSession>((await dueSessions(env.DB, { now, limit: RECONCILE_BATCH_LIMIT }))[0]);
  if (due.length === 0) return summary;

  const { createStripeApi, describeStripeFailure } = await lazyModules.stripeApi();
  // No retries inside a run: the next run is a minute away, and an outage must not multiply calls.
  const stripe = createStripeApi({ ...config, secretKey }, { maxNetworkRetries: 0, timeoutMs: 10_000 });
  let reached = false;
  for (const row of due) {
    let session: SessionLike;
    try {
      session = (await stripe.checkout.sessions.retrieve(row.session_ref)) as SessionLike;
    } catch (error) {
      const failure = describeStripeFailure(error);
      if (!failure.reachable) {
        summary.unreachable = { status: failure.status, message: failure.message };
        await raiseUnreachable(env.DB, {
          now,
          detail: JSON.stringify({ status: failure.status, type: failure.type, code: failure.code, message: failure.message, sessions_due: due.length }),
        });
        log.error("stripe_unreachable", { status: failure.status, message: failure.message, action: "npm run ops -- attention" });
        return summary;
      }
      reached = true;
      log.warn("checkout_session_unreadable", { session: row.session_ref, status: failure.status, message: failure.message });
      await backOff(env.DB, { id: row.id, now, after: nextCheck(row, now) });
      continue;
    }
    reached = true;
    summary.checked += 1;
    const outcome = await decide(env, row, session, now, log);
    if (outcome !== null) summary.outcomes.push({ session: row.session_ref, order_id: row.order_id, outcome });
    await backOff(env.DB, { id: row.id, now, after: nextCheck(row, now) });
  }
  if (reached) await settleUnreachable(env.DB, { now });
  return summary;
}

/** What Stripe said of one session, applied through the transition its webhook would use. */
async function decide(env: Env, row: DueSession, session: SessionLike, now: number, log: Logger): Promise<string | null> {
  const intent = typeof session.payment_intent === "string" ? session.payment_intent : (session.payment_intent?.id ?? null);
  const base = {
    requestId: crypto.randomUUID(),
    deliveryId: `reconcile:${session.id}`,
    receivedAt: now,
    provider: "stripe" as const,
    sessionRef: session.id,
  };
  const paid =
    session.status === "complete" &&
    (session.payment_status === "paid" || (session.payment_status === "no_payment_required" && session.amount_total === 0));
  if (paid && row.order_id !== null) {
    const webhook = readWebhookConfig(env);
    const amount =
      typeof session.amount_total === "number" && typeof session.currency === "string"
        ? { cents: session.amount_total, currency: session.currency.toUpperCase() }
        : null;
    const result = await applyPayment(env.DB, {
      ...base,
      orderId: row.order_id,
      status: "paid",
      providerRef: intent ?? session.id,
      amount,
      amountRequired: true,
      invoicePrefix: webhook.invoicePrefix,
      invoiceTimeZone: webhook.invoiceTimeZone,
    });
    if (result.outcome === "confirmed") {
      // The invoice row is its own outbox: if this send fails, the sweeper sends it.
      try {
        await env.INVOICE_QUEUE.send(invoiceJob(result.invoice.id));
      } catch (error) {
        log.error("invoice_enqueue_failed", { invoice_id: result.invoice.id, error: errorMessage(error) });
      }
      log.warn("checkout_session_reconciled", {
        session: session.id,
        order_id: row.order_id,
        outcome: result.outcome,
        message: "paid, but its webhook had not arrived: check the Stripe webhook endpoint (its deliveries, its signing secret)",
      });
    } else {
      log.info("checkout_session_reconciled", { session: session.id, order_id: row.order_id, outcome: result.outcome });
    }
    await retirePlaceholder(env.DB, { id: row.id, intent });
    return result.outcome;
  }
  if (session.status === "expired") {
    await recordProviderEvent(env.DB, {
      ...base,
      providerRef: intent ?? session.id,
      orderId: row.order_id,
      paymentStatus: "canceled",
      outcome: "payment_recorded",
      detail: { event_type: "checkout.session.expired", source: "reconciliation" },
      ledger: { status: "canceled", amount: null },
    });
    log.info("checkout_session_reconciled", { session: session.id, order_id: row.order_id, outcome: "expired" });
    return "expired";
  }
  if (session.status === "complete" && row.checkout_expires_at !== null && intent !== null) {
    // Completed with a delayed method (SEPA Direct Debit): its payment is under way and now holds
    // the order, as the checkout.session.completed webhook would have recorded.
    await recordProviderEvent(env.DB, {
      ...base,
      providerRef: intent,
      orderId: row.order_id,
      paymentStatus: "pending",
      outcome: "payment_pending",
      detail: { event_type: "checkout.session.completed", source: "reconciliation" },
      ledger: { status: "pending", amount: null },
    });
    await retirePlaceholder(env.DB, { id: row.id, intent });
    return "payment_pending";
  }
  // Still open, or a delayed payment still under way: asked again later.
  return null;
}
