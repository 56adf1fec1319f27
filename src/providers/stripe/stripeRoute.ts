// POST /api/webhooks/stripe — Stripe's own webhooks, read top to bottom in the order a
// request travels: is Stripe configured, verify the signature over the raw body with
// Stripe's own library, translate the event, act through the same transition as every
// other source (applyPayment), answer.
//
// The `stripe` package (about 240 KB) is loaded on this route only, by a dynamic import,
// so the generic webhook's start-up never pays for it.
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { readStripeConfig, readWebhookConfig } from "../../config";
import type { AppEnv } from "../../http/appEnv";
import { ApiError } from "../../http/errors";
import { lazyModules } from "../../lazyModules";
import { applyPayment, invoiceSeries } from "../../orders/applyPayment";
import { refundPayment } from "../../orders/refundPayment";
import { recordDispute } from "../../payments/recordDispute";
import { creditNoteJob } from "../../documents/creditNoteJob";
import { invoiceJob } from "../../documents/invoiceJob";
import { answerPayment, enqueueDocument } from "../../payments/answerPayment";
import { recordProviderEvent } from "../recordProviderEvent";
import { translateStripeEvent } from "./stripePayment";

export const STRIPE_WEBHOOK_PATH = "/api/webhooks/stripe";
/** Stripe's events are small (objects are not expanded); this leaves ample room. */
export const MAX_STRIPE_BODY_BYTES = 256 * 1024;

const reported = new WeakSet<object>();

export const stripeWebhook = new Hono<AppEnv>();

stripeWebhook.post(
  "/",
  async (c, next) => {
    const stripe = readStripeConfig(c.env);
    if (stripe.problems.length > 0 && !reported.has(stripe)) {
      reported.add(stripe);
      c.get("log").error("config_secret_refused", { problems: stripe.problems });
    }
    // Not configured: for this shop the route does not exist.
    if (stripe.secrets.length === 0) throw new ApiError(404, "Not found", undefined, "no_route");
    return next();
  },
  bodyLimit({
    maxSize: MAX_STRIPE_BODY_BYTES,
    onError: () => {
      throw new ApiError(413, "Payload too large", { max_bytes: MAX_STRIPE_BODY_BYTES });
    },
  }),
  async (c) => {
    const rawBody = await c.req.text();
    const { verifyStripeEvent } = await lazyModules.verifyStripeEvent();
    const verdict = await verifyStripeEvent(rawBody, c.req.header("Stripe-Signature"), readStripeConfig(c.env).secrets);
    // 400 with the reason, as Stripe's docs recommend; nothing is written.
    if (!verdict.ok) throw new ApiError(400, verdict.reason, undefined, "bad_signature");

    const payment = translateStripeEvent(verdict.event);
    const requestId = c.get("requestId");
    const receivedAt = Date.now();
    const base = { requestId, deliveryId: payment.deliveryId, receivedAt, provider: "stripe" as const };

    if (payment.action === "paid" || payment.action === "failed") {
      const config = readWebhookConfig(c.env);
      const result = await applyPayment(c.env.DB, {
        ...base,
        orderId: payment.orderId,
        status: payment.action,
        providerRef: payment.providerRef,
        sessionRef: payment.sessionRef,
        invoicePrefix: config.invoicePrefix,
        invoiceTimeZone: config.invoiceTimeZone,
        // What was paid is checked against the order's total, and must be readable: Stripe
        // always sends it. A failed payment moved no money.
        amount: payment.action === "paid" ? payment.amount : null,
        amountRequired: payment.action === "paid",
      });
      c.set("outcome", result.outcome);
      if (result.outcome === "confirmed") await enqueueDocument(c, invoiceJob(result.invoice.id));
      return answerPayment(c, payment.orderId, result);
    }

    if (payment.action === "refund") {
      const config = readWebhookConfig(c.env);
      const result = await refundPayment(c.env.DB, {
        ...base,
        eventType: payment.eventType,
        paymentRef: payment.paymentRef,
        refundRef: payment.refundRef,
        refundStatus: payment.refundStatus,
        amount: payment.amount,
        cumulative: payment.cumulative,
        reason: payment.reason,
        failureReason: payment.failureReason,
        creditNoteSeries: invoiceSeries(config.creditNotePrefix, receivedAt, config.invoiceTimeZone),
      });
      c.set("outcome", result.outcome);
      if (result.creditNote) await enqueueDocument(c, creditNoteJob(result.creditNote.id));
      if (result.outcome === "refund_failed") {
        c.get("log").error("refund_failed", { payment_ref: payment.paymentRef, refund_ref: payment.refundRef, action: "npm run ops -- attention" });
      }
      return c.json(
        {
          message: "Webhook received",
          outcome: result.outcome,
          event_type: payment.eventType,
          ...(result.orderId ? { order_id: result.orderId, order_status: result.orderStatus ?? undefined } : {}),
          ...(result.creditNote ? { credit_note_number: result.creditNote.number } : {}),
        },
        200,
      );
    }

    if (payment.action === "dispute") {
      const result = await recordDispute(c.env.DB, { ...base, ...payment });
      c.set("outcome", "dispute_recorded");
      if (payment.eventType === "charge.dispute.created") {
        c.get("log").error("dispute", { payment_ref: payment.paymentRef, dispute_ref: payment.disputeRef, action: "npm run ops -- attention" });
      }
      return c.json(
        {
          message: "Webhook received",
          outcome: "dispute_recorded",
          event_type: payment.eventType,
          ...(result.orderId ? { order_id: result.orderId } : {}),
        },
        200,
      );
    }

    if (payment.action === "unmatched" && payment.paymentOutcome !== "paid") {
      // A failed or pending payment that names no order moved no money: recorded, nothing to do.
      await recordProviderEvent(c.env.DB, {
        ...base,
        providerRef: payment.providerRef,
        orderId: null,
        paymentStatus: payment.paymentOutcome,
        outcome: "payment_recorded",
        detail: { event_type: payment.eventType, reason: payment.reason },
        ledger: { status: payment.paymentOutcome === "failed" ? "failed" : "pending", amount: null },
      });
      c.set("outcome", "payment_recorded");
      return c.json({ message: "Webhook received", outcome: "payment_recorded", event_type: payment.eventType }, 200);
    }

    if (payment.action === "unmatched") {
      await recordProviderEvent(c.env.DB, {
        ...base,
        providerRef: payment.providerRef,
        orderId: null,
        paymentStatus: "paid",
        outcome: "unmatched_payment",
        detail: {
          event_type: payment.eventType,
          reason: payment.reason,
          raw_order_id: payment.rawOrderId,
          ...(payment.amount ? { amount_cents: payment.amount.cents, currency: payment.amount.currency } : {}),
        },
        ledger: { status: "succeeded", amount: payment.amount },
      });
      c.set("outcome", "unmatched_payment");
      c.get("log").error("unmatched_payment", { event_type: payment.eventType, reason: payment.reason, action: "npm run ops -- attention" });
      return c.json({ message: "Webhook received", outcome: "unmatched_payment", details: { reason: payment.reason } }, 200);
    }

    if (payment.action === "canceled") {
      await recordProviderEvent(c.env.DB, {
        ...base,
        providerRef: payment.providerRef,
        sessionRef: payment.sessionRef,
        orderId: payment.orderId,
        paymentStatus: "canceled",
        outcome: "payment_recorded",
        detail: { event_type: payment.eventType },
        ledger: { status: "canceled", amount: payment.amount },
      });
      c.set("outcome", "payment_recorded");
      return c.json({ message: "Webhook received", outcome: "payment_recorded", event_type: payment.eventType }, 200);
    }

    const outcome = payment.action === "pending" ? "payment_pending" : "ignored_event";
    await recordProviderEvent(c.env.DB, {
      ...base,
      providerRef: payment.providerRef,
      sessionRef: payment.action === "pending" ? payment.sessionRef : null,
      orderId: payment.action === "pending" ? payment.orderId : null,
      paymentStatus: payment.action,
      outcome,
      detail: { event_type: payment.eventType },
      ledger: payment.action === "pending" ? { status: "pending", amount: payment.amount } : null,
    });
    c.set("outcome", outcome);
    return c.json({ message: "Webhook received", outcome, event_type: payment.eventType }, 200);
  },
);
