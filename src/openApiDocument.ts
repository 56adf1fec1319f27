// The OpenAPI 3.1 description of the endpoints, generated from the same zod schema that
// validates requests (src/providers/generic/paymentPayload.ts), so the two cannot drift. Every answer
// the Worker gives is described here (test/openapi.test.ts checks live answers against it).
// Served at GET /api/openapi.json.
import { z } from "zod";
import { WEBHOOK_OUTCOMES } from "./db/schema";
import { MAX_STRIPE_BODY_BYTES, STRIPE_WEBHOOK_PATH } from "./providers/stripe/stripeRoute";
import { PaymentPayloadSchema } from "./providers/generic/paymentPayload";
import { MAX_BODY_BYTES, PAYMENT_WEBHOOK_PATH } from "./providers/generic/paymentRoute";

const Outcome = z.enum(WEBHOOK_OUTCOMES);

const AmountMismatchSchema = z
  .object({
    paid_cents: z.number().int(),
    paid_currency: z.string(),
    order_cents: z.number().int(),
    order_currency: z.string(),
  })
  .meta({ title: "AmountMismatch", description: "What was paid and what the order totals; the order was not confirmed." });

const ReceivedSchema = z
  .object({
    message: z.literal("Webhook received"),
    order_id: z.string().optional().meta({ description: "The order, normalised (absent for Stripe events that name none)." }),
    outcome: Outcome,
    invoice_number: z.string().optional().meta({ description: "Set when the order was confirmed." }),
    credit_note_number: z
      .string()
      .optional()
      .meta({ description: "Stripe refunds: the credit note allocated for the refunded amount (an order with an invoice)." }),
    order_status: z.string().optional().meta({ description: "The order's status, when it was not confirmed now." }),
    event_type: z.string().optional().meta({ description: "Stripe: the type of an event that moved no order." }),
    details: z
      .union([AmountMismatchSchema, z.object({ reason: z.string() })])
      .optional()
      .meta({ description: "amount_mismatch: both amounts; unmatched_payment: why no order was found." }),
  })
  .meta({ title: "WebhookReceived" });

const ErrorSchema = z
  .object({
    error: z.string(),
    details: z.unknown().optional().meta({ description: "What exactly is wrong (fields, shortages, reason, ...)." }),
    order_id: z.string().optional(),
    outcome: Outcome.optional().meta({ description: "For answers about an order: what was recorded." }),
    order_status: z.string().optional(),
    request_id: z.string().optional().meta({ description: "On 500: quote it when reporting the problem." }),
  })
  .meta({ title: "Error" });

const json = (schema: z.ZodType, description: string) => ({
  description,
  content: { "application/json": { schema: z.toJSONSchema(schema, { io: "output" }) } },
});

/**
 * The answers both webhooks share once a delivery is authentic and names an order. A
 * function, not a constant: toJSONSchema is work that the webhook's start-up must not pay for.
 */
const paymentAnswers = () => ({
  "200": json(ReceivedSchema, "Received; `outcome` says what it changed (confirmed, duplicate, payment_failed, refund_required, amount_mismatch, ...)."),
  "404": json(ErrorSchema, "Order not found (recorded as not_found), or no such route."),
  "409": json(ErrorSchema, "`not_ready`: paid while the order is still PENDING. Nothing changed; retry later (the provider's backoff), the order is confirmed once it awaits payment."),
  "413": json(ErrorSchema, "Body too large."),
  "422": json(ErrorSchema, "`data_error`: the order's rows break a rule; recorded for a human, nothing changed. A retry after the fix confirms it."),
  "500": json(ErrorSchema, "Our fault, or our configuration (no usable secret, a malformed setting); nothing was written: retry later."),
});

let document: object | undefined;

export function openApiDocument(): object {
  if (document) return document;
  const request = z.toJSONSchema(PaymentPayloadSchema, { io: "input" });
  const operation = {
    operationId: "paymentWebhook",
    summary: "Payment provider callback",
    description:
      "Authenticates the call (X-Webhook-Key, or a Standard Webhooks signature when configured); if `status` is " +
      "`paid` and the order is AWAITING_PAYMENT (and `amount_cents`/`currency`, when sent, equal the order's total), " +
      "decrements `stock` and `stock_reserved` of its products, sets it CONFIRMED and queues its invoice email, all in " +
      "one atomic batch. Idempotent: repeated deliveries change nothing. Every payment is kept in the payments " +
      "ledger; with `payment_id`, a different payment of an already paid order is answered `paid_twice` (a refund " +
      "for a human), without it `duplicate`.",
    security: [{ webhookKey: [] }, { standardWebhooks: [] }],
    parameters: [
      ["webhook-id", "Standard Webhooks (or `svix-id`): the delivery's id; a replay of one that confirmed is a duplicate."],
      ["webhook-timestamp", "Standard Webhooks (or `svix-timestamp`): unix seconds, accepted within 5 minutes."],
      ["webhook-signature", "Standard Webhooks (or `svix-signature`): `v1,<base64 HMAC-SHA256>`, space-separated for rotation."],
    ].map(([name, description]) => ({ name, in: "header", required: false, description, schema: { type: "string" } })),
    requestBody: {
      required: true,
      description: `At most ${MAX_BODY_BYTES} bytes.`,
      content: {
        "application/json": { schema: request },
        "application/x-www-form-urlencoded": { schema: request },
        "multipart/form-data": { schema: request },
      },
    },
    responses: {
      ...paymentAnswers(),
      "400": json(ErrorSchema, "Malformed or invalid body (details: fields), or insufficient stock (details: shortages; recorded for a human). Nothing changed."),
      "403": json(ErrorSchema, "Unauthorized: invalid X-Webhook-Key or signature (details.reason says which check failed)."),
      "405": json(ErrorSchema, "Method not allowed (only POST)."),
      "415": json(ErrorSchema, "Content-Type missing, not one of the three accepted, or a JSON body sent as application/x-www-form-urlencoded (details: received, accepted, hint). Nothing changed."),
    },
  };
  const stripeOperation = {
    operationId: "stripeWebhook",
    summary: "Stripe webhook endpoint",
    description:
      "Stripe's events, verified with the official `stripe` package against STRIPE_WEBHOOK_SECRET. Payments " +
      "(`checkout.session.completed` paid, `checkout.session.async_payment_succeeded`, `payment_intent.succeeded`) " +
      "and failures go through the same transition as the generic endpoint, with the amount checked against the " +
      "order's total. Refunds (`charge.refunded`, `refund.created`, `refund.updated`, `refund.failed`), disputes " +
      "(`charge.dispute.*`), `payment_intent.canceled` and `checkout.session.expired` are recorded in the payments " +
      "ledger (a full refund of the confirming payment cancels a CONFIRMED order and restocks it); every other " +
      "event type is recorded and answered 200. Exists only when STRIPE_WEBHOOK_SECRET is set.",
    parameters: [
      { name: "Stripe-Signature", in: "header", required: true, description: "Stripe's signature header.", schema: { type: "string" } },
    ],
    requestBody: {
      required: true,
      description: `A Stripe event, at most ${MAX_STRIPE_BODY_BYTES} bytes.`,
      content: {
        "application/json": {
          schema: {
            type: "object",
            required: ["id", "type", "data"],
            properties: { id: { type: "string" }, type: { type: "string" }, data: { type: "object" } },
          },
        },
      },
    },
    responses: {
      ...paymentAnswers(),
      "400": json(ErrorSchema, "Missing or invalid Stripe-Signature (the error says why), or insufficient stock. Nothing written."),
      "404": json(ErrorSchema, "STRIPE_WEBHOOK_SECRET is not set (the route does not exist), or the order was not found."),
      "405": json(ErrorSchema, "Method not allowed (only POST)."),
    },
  };
  document = {
    openapi: "3.1.0",
    info: {
      title: "Order-payment webhook",
      version: "1.1.0",
      description: "Payment provider callbacks of the shop: confirms paid orders exactly once.",
    },
    servers: [{ url: "/" }],
    paths: {
      [`${PAYMENT_WEBHOOK_PATH}/`]: { post: operation },
      [PAYMENT_WEBHOOK_PATH]: { post: { ...operation, operationId: "paymentWebhookNoSlash" } },
      [STRIPE_WEBHOOK_PATH]: { post: stripeOperation },
      [`${STRIPE_WEBHOOK_PATH}/`]: { post: { ...stripeOperation, operationId: "stripeWebhookWithSlash" } },
    },
    components: {
      securitySchemes: {
        webhookKey: { type: "apiKey", in: "header", name: "X-Webhook-Key" },
        standardWebhooks: {
          type: "apiKey",
          in: "header",
          name: "webhook-signature",
          description: "Standard Webhooks HMAC signature (see https://www.standardwebhooks.com).",
        },
      },
    },
  };
  return document;
}
