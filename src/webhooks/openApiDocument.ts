// The OpenAPI 3.1 description of the endpoint, generated from the same zod schema that
// validates requests (src/webhooks/paymentPayload.ts), so the two cannot drift. Served at
// GET /api/openapi.json.
import { z } from "zod";
import { WEBHOOK_OUTCOMES } from "../db/schema";
import { PaymentPayloadSchema } from "./paymentPayload";
import { MAX_BODY_BYTES, PAYMENT_WEBHOOK_PATH } from "./paymentRoute";

const ReceivedSchema = z
  .object({
    message: z.literal("Webhook received"),
    order_id: z.string(),
    outcome: z.enum(WEBHOOK_OUTCOMES),
    invoice_number: z.string().optional().meta({ description: "Set when the order was confirmed." }),
    order_status: z.string().optional().meta({ description: "The order's status, when it was not confirmed now." }),
  })
  .meta({ title: "WebhookReceived" });

const ErrorSchema = z
  .object({
    error: z.string(),
    details: z.unknown().optional().meta({ description: "What exactly is wrong (fields, shortages, ...)." }),
  })
  .meta({ title: "Error" });

const json = (schema: z.ZodType, description: string) => ({
  description,
  content: { "application/json": { schema: z.toJSONSchema(schema, { io: "output" }) } },
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
      "`paid` and the order is AWAITING_PAYMENT, decrements `stock` and `stock_reserved` of its products, sets it " +
      "CONFIRMED and queues its invoice email, all in one atomic batch. Idempotent: repeated deliveries change nothing.",
    security: [{ webhookKey: [] }, { standardWebhooks: [] }],
    parameters: [
      ["webhook-id", "Standard Webhooks: the delivery's id (replays are recognised as duplicates)."],
      ["webhook-timestamp", "Standard Webhooks: unix seconds, accepted within 5 minutes."],
      ["webhook-signature", "Standard Webhooks: `v1,<base64 HMAC-SHA256>`, space-separated for rotation."],
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
      "200": json(ReceivedSchema, "Webhook received; the outcome says what it changed."),
      "400": json(ErrorSchema, "Malformed or invalid body, or insufficient stock (nothing changed)."),
      "403": json(ErrorSchema, "Unauthorized: invalid X-Webhook-Key or signature."),
      "404": json(ErrorSchema, "Order not found."),
      "405": json(ErrorSchema, "Method not allowed (only POST)."),
      "413": json(ErrorSchema, "Body too large."),
      "415": json(ErrorSchema, "Unsupported content type."),
      "500": json(ErrorSchema, "Our fault (or no secret configured); retry later."),
    },
  };
  document = {
    openapi: "3.1.0",
    info: {
      title: "Order-payment webhook",
      version: "1.0.0",
      description: "Payment provider callback of the shop: confirms paid orders exactly once.",
    },
    servers: [{ url: "/" }],
    paths: { [`${PAYMENT_WEBHOOK_PATH}/`]: { post: operation }, [PAYMENT_WEBHOOK_PATH]: { post: { ...operation, operationId: "paymentWebhookNoSlash" } } },
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
