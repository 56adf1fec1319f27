// The OpenAPI 3.1 description of the endpoints, generated from the same zod schema that
// validates requests (src/providers/generic/paymentPayload.ts), so the two cannot drift. Every answer
// the Worker gives is described here (test/openapi.test.ts checks live answers against it).
// Served at GET /api/openapi.json.
import { z } from "zod";
import { ORDER_STATUSES, WEBHOOK_OUTCOMES } from "./db/schema";
import { MAX_ORDER_BODY_BYTES, ORDERS_PATH } from "./orders/http/orderRoutes";
import { CreateOrderSchema } from "./orders/orderRequest";
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

const OrderLineAnswerSchema = z
  .object({
    product_id: z.number().int(),
    product_name: z.string().nullable().meta({ description: "The product's name as it is now." }),
    quantity: z.number().int(),
    unit_price_cents: z.number().int().meta({ description: "Taken from `products` when the order was written." }),
    line_total_cents: z.number().int(),
    tax_rate_bp: z
      .number()
      .int()
      .nullable()
      .meta({ description: "The line's VAT rate in basis points (1900 is 19 %), from `products.tax_rate_bp`; null: the shop's default, fixed when the invoice is issued." }),
  })
  .meta({ title: "OrderLine" });

const BillingAddressAnswerSchema = z
  .object({
    name: z.string().nullable(),
    company: z.string().nullable(),
    line1: z.string().nullable(),
    line2: z.string().nullable(),
    postal_code: z.string().nullable(),
    city: z.string().nullable(),
    country: z.string().nullable().meta({ description: "ISO 3166-1 alpha-2." }),
    vat_id: z.string().nullable(),
  })
  .meta({ title: "OrderBillingAddress" });

// The answer's builder is src/orders/orderView.ts (toOrderBody): a field added there is added here.
const OrderPaymentAnswerSchema = z
  .object({
    provider: z.string().meta({ description: "`stripe` or `generic`." }),
    reference: z.string().nullable().meta({ description: "The provider's id of the payment (Stripe's payment intent); null for a generic payment sent without payment_id." }),
    status: z.enum(["pending", "succeeded", "failed", "canceled"]),
    amount_cents: z.number().int().nullable(),
    currency: z.string().nullable(),
    refunded_cents: z.number().int(),
    confirmed_order: z.boolean().meta({ description: "The payment that confirmed the order." }),
    dispute_status: z.string().nullable().meta({ description: "Its latest dispute's status as Stripe names it, or null." }),
  })
  .meta({ title: "OrderPayment" });

const OrderAnswerSchema = z
  .object({
    order_id: z.string().meta({ description: "Lower-case hyphenated UUID: the id to hand to the payment provider." }),
    order_number: z.number().int(),
    status: z.enum(ORDER_STATUSES),
    customer_email: z.string(),
    customer_name: z.string(),
    total_cents: z.number().int().meta({ description: "In the currency's minor unit." }),
    currency: z.string().meta({ description: "ISO 4217: the shop's (SHOP_CURRENCY)." }),
    reserved_until: z
      .string()
      .nullable()
      .meta({ description: "ISO 8601: an unpaid order is cancelled and its stock released after this. Null when it never expires." }),
    invoice_number: z.string().nullable().meta({ description: "Set once the payment is confirmed." }),
    created_at: z.string(),
    lines: z.array(OrderLineAnswerSchema),
    billing_address: BillingAddressAnswerSchema.nullable().meta({ description: "Printed on the invoice; null when the order has none." }),
    supply_date: z
      .string()
      .nullable()
      .meta({ description: "YYYY-MM-DD: the date of supply on the invoice; null means the day the order is paid." }),
    payment_status: z.enum(["unpaid", "pending", "paid", "partially_refunded", "refunded"]).meta({
      description:
        "From the payments ledger: `pending` while a delayed payment (SEPA, bank transfer) is under way; `paid` once a " +
        "payment confirmed the order; `partially_refunded` / `refunded` by that payment's refunds.",
    }),
    refunded_cents: z.number().int().meta({ description: "Refunded of the confirming payment, in the currency's minor unit." }),
    disputed: z.boolean().meta({ description: "A dispute (chargeback) of one of its payments is open." }),
    payments: z.array(OrderPaymentAnswerSchema),
    checkout_url: z
      .string()
      .optional()
      .meta({ description: "Only in the answer to a create with `checkout`: the Stripe Checkout Session's page; send the customer there." }),
  })
  .meta({ title: "Order" });

/** The shop's order API: every answer each operation gives. */
const orderAnswers = () => ({
  "400": json(
    ErrorSchema,
    "Invalid input (details: `[{field, message}]`), an unknown product, or `Insufficient stock` (details: " +
      "`[{product_id, product_name, requested, available}]`). Nothing changed.",
  ),
  "401": json(ErrorSchema, "No `Authorization: Bearer <SHOP_API_KEY>`, or an unknown key."),
  "500": json(ErrorSchema, "Our fault, or our configuration (no usable SHOP_API_KEY, a malformed setting); nothing was written."),
});

function orderOperations() {
  const order = json(OrderAnswerSchema, "The order as it is now.");
  const orderId = {
    name: "order_id",
    in: "path",
    required: true,
    description: "The order's id: a UUID, hyphenated or not, in braces or as urn:uuid:, any case.",
    schema: { type: "string" },
  };
  const security = [{ shopApiKey: [] }];
  const notFound = { "404": json(ErrorSchema, "No such order.") };
  const create = {
    operationId: "createOrder",
    summary: "Create an order and reserve its stock",
    description:
      "Writes the order and its lines, priced from `products` (a price sent is ignored), and reserves every line in " +
      "one atomic batch: all lines or none. The order is AWAITING_PAYMENT until `reserved_until` (RESERVATION_MINUTES, " +
      "default 30), then the expiry job cancels it and releases its stock. With `checkout` (and STRIPE_SECRET_KEY set) " +
      "it also creates a Stripe Checkout Session for the order's lines, open until `reserved_until` (then at least 31 " +
      "minutes away), and answers its `checkout_url`.",
    security,
    parameters: [
      {
        name: "Idempotency-Key",
        in: "header",
        required: false,
        description:
          "1-255 printable ASCII characters. A retry with the same key and body answers the first order (header " +
          "`Idempotent-Replayed: true`) and creates nothing; the same key with another body is 422. Kept 24 hours. " +
          "A request that failed leaves no key behind.",
        schema: { type: "string" },
      },
    ],
    requestBody: {
      required: true,
      description: `At most ${MAX_ORDER_BODY_BYTES} bytes.`,
      content: { "application/json": { schema: z.toJSONSchema(CreateOrderSchema, { io: "input" }) } },
    },
    responses: {
      "201": json(OrderAnswerSchema, "Created and reserved (or, for a repeated Idempotency-Key, the order it created)."),
      ...orderAnswers(),
      "413": json(ErrorSchema, "Body too large."),
      "415": json(ErrorSchema, "Not application/json."),
      "422": json(ErrorSchema, "The Idempotency-Key already created a different order (`order_id` names it)."),
      "502": json(
        ErrorSchema,
        "With `checkout`: Stripe did not create the Checkout Session (`error` carries Stripe's message; `details`: " +
          "stripe_status, stripe_type, stripe_code, stripe_param). The order was cancelled and its stock released, " +
          "and the Idempotency-Key forgotten: retry with the same key to start over.",
      ),
    },
  };
  const checkout = {
    operationId: "checkoutOrder",
    summary: "Reserve a PENDING order",
    description:
      "For an order another tool wrote as PENDING: reserves every line (all or none) and sets it AWAITING_PAYMENT. " +
      "Already AWAITING_PAYMENT: 200, nothing changes.",
    security,
    parameters: [orderId],
    responses: {
      "200": order,
      ...orderAnswers(),
      ...notFound,
      "409": json(ErrorSchema, "The order is past payment, cancelled, or its reservation has expired (`order_status`)."),
      "422": json(ErrorSchema, "The order has no lines."),
    },
  };
  const cancel = {
    operationId: "cancelOrder",
    summary: "Cancel an unpaid order",
    description: "PENDING or AWAITING_PAYMENT becomes CANCELLED and the reservation is released, once. Already CANCELLED: 200.",
    security,
    parameters: [orderId],
    responses: {
      "200": order,
      ...orderAnswers(),
      ...notFound,
      "409": json(ErrorSchema, "The order is CONFIRMED or later: that is a refund, not a cancel (`order_status`)."),
    },
  };
  const read = {
    operationId: "getOrder",
    summary: "Read an order",
    description: "What a thank-you page polls: status, lines, totals, reservation and invoice number.",
    security,
    parameters: [orderId],
    responses: { "200": order, ...orderAnswers(), ...notFound },
  };
  return {
    [ORDERS_PATH]: { post: create },
    [`${ORDERS_PATH}/{order_id}`]: { get: read },
    [`${ORDERS_PATH}/{order_id}/checkout`]: { post: checkout },
    [`${ORDERS_PATH}/{order_id}/cancel`]: { post: cancel },
  };
}

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
      description: "Payment provider callbacks of the shop: confirms paid orders exactly once. The shop's order API: creates orders and owns their stock until payment.",
    },
    servers: [{ url: "/" }],
    paths: {
      [`${PAYMENT_WEBHOOK_PATH}/`]: { post: operation },
      [PAYMENT_WEBHOOK_PATH]: { post: { ...operation, operationId: "paymentWebhookNoSlash" } },
      [STRIPE_WEBHOOK_PATH]: { post: stripeOperation },
      [`${STRIPE_WEBHOOK_PATH}/`]: { post: { ...stripeOperation, operationId: "stripeWebhookWithSlash" } },
      ...orderOperations(),
    },
    components: {
      securitySchemes: {
        webhookKey: { type: "apiKey", in: "header", name: "X-Webhook-Key" },
        shopApiKey: { type: "http", scheme: "bearer", description: "One of SHOP_API_KEY's keys. A webhook key never opens the order API." },
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
