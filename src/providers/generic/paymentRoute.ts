// POST /api/webhooks/payment/ — read top to bottom in the order a request travels:
// authenticate, limit and parse the body, validate, act, answer.
import { type Hook, zValidator } from "@hono/zod-validator";
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ApiError } from "../../http/errors";
import type { AppEnv } from "../../http/appEnv";
import { applyPayment } from "../../orders/applyPayment";
import { invoiceJob } from "../../documents/invoiceJob";
import { answerPayment, enqueueDocument } from "../../payments/answerPayment";
import { isValidWebhookKey } from "./authenticateKey";
import { webhookSettings } from "./webhookSettings";
import { readSignatureHeaders, verifySignature } from "./standardWebhooks";
import { describeIssues, PaymentPayloadSchema, type PaymentPayload } from "./paymentPayload";

export const PAYMENT_WEBHOOK_PATH = "/api/webhooks/payment";
export const MAX_BODY_BYTES = 64 * 1024;
const FORM_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data"];
/** Headers in which providers send their own id of a delivery, first found wins. */
const DELIVERY_ID_HEADERS = ["webhook-id", "svix-id", "x-webhook-id", "x-delivery-id", "idempotency-key"];

type PaymentEnv = AppEnv & { Variables: { payment: PaymentPayload; signed: boolean } };

/**
 * Authenticates before the body is read: a valid X-Webhook-Key passes at once. A delivery
 * signed the Standard Webhooks way (when WEBHOOK_SIGNING_SECRET is set) is verified over
 * its raw bytes after the body limit, by `verifySigned`. Anything else: 403.
 */
const authenticate: MiddlewareHandler<PaymentEnv> = async (c, next) => {
  const { webhookKeys, signingSecrets } = c.get("config");
  if (webhookKeys.length === 0 && signingSecrets.length === 0) {
    // Fail closed: a deployment without a (usable) secret must never accept a webhook.
    c.get("log").error("webhook_secret_missing", {
      message:
        "Neither WEBHOOK_SECRET nor WEBHOOK_SIGNING_SECRET holds a usable secret: every webhook is refused. " +
        "Set one with `wrangler secret put` (a key: `openssl rand -hex 32`).",
    });
    throw new ApiError(500, "Webhook authentication is not configured", undefined, "misconfigured");
  }
  if (await isValidWebhookKey(c.req.header("X-Webhook-Key"), webhookKeys)) {
    c.set("signed", false);
    return next();
  }
  if (signingSecrets.length > 0 && readSignatureHeaders((name) => c.req.header(name)).signature !== undefined) {
    c.set("signed", true);
    return next();
  }
  throw new ApiError(403, "Unauthorized", undefined, "unauthorized");
};

const verifySigned: MiddlewareHandler<PaymentEnv> = async (c, next) => {
  if (!c.get("signed")) return next();
  const verdict = await verifySignature(
    c.get("config").signingSecrets,
    readSignatureHeaders((name) => c.req.header(name)),
    await c.req.arrayBuffer(),
  );
  if (!verdict.ok) throw new ApiError(403, "Unauthorized", { reason: verdict.reason }, "bad_signature");
  return next();
};

const limitBody = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw new ApiError(413, "Payload too large", { max_bytes: MAX_BODY_BYTES });
  },
});

function mediaType(header: string | undefined): string {
  return (header ?? "").split(";")[0]!.trim().toLowerCase();
}

type PaymentHook<Target extends "json" | "form"> = Hook<PaymentPayload, PaymentEnv, string, Target, {}, typeof PaymentPayloadSchema>;

function validatorFor<Target extends "json" | "form">(target: Target) {
  const onValidated: PaymentHook<Target> = (result, c) => {
    if (!result.success) throw new ApiError(400, "Invalid webhook payload", describeIssues(result.error), "invalid_payload");
    c.set("payment", result.data);
  };
  return zValidator<typeof PaymentPayloadSchema, Target, PaymentEnv, string, PaymentHook<Target>>(target, PaymentPayloadSchema, onValidated);
}
const validateJson = validatorFor("json");
const validateForm = validatorFor("form");

const ACCEPTED_TYPES = ["application/json", ...FORM_TYPES];

/** The first byte that is not JSON whitespace: `{` or `[` means a JSON document. */
function looksLikeJson(bytes: ArrayBuffer): boolean {
  for (const byte of new Uint8Array(bytes, 0, Math.min(bytes.byteLength, 64))) {
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) continue;
    return byte === 0x7b || byte === 0x5b;
  }
  return false;
}

/**
 * One schema, three encodings: pick the validator by the body's media type. A missing type,
 * or a JSON document sent as a url-encoded form (what `curl -d '{...}'` does without
 * `-H 'Content-Type: application/json'`), is answered as such: parsed as a form, that body
 * has no fields, and "order_id is required" would send the sender looking in the wrong place.
 */
const validatePayload: MiddlewareHandler<PaymentEnv> = async (c, next) => {
  const type = mediaType(c.req.header("Content-Type"));
  if (type === "application/json") return validateJson(c, next);
  if (type === "application/x-www-form-urlencoded" && looksLikeJson(await c.req.arrayBuffer())) {
    throw new ApiError(415, "The body is JSON but its Content-Type is application/x-www-form-urlencoded", {
      received: type,
      accepted: ACCEPTED_TYPES,
      hint: "send the header Content-Type: application/json (curl -d sends the form type unless told otherwise)",
    });
  }
  if (FORM_TYPES.includes(type)) return validateForm(c, next);
  if (type === "") {
    throw new ApiError(415, "Content-Type is missing", {
      received: null,
      accepted: ACCEPTED_TYPES,
      hint: "send the header Content-Type: application/json with a JSON body",
    });
  }
  throw new ApiError(415, "Unsupported content type", { received: type, accepted: ACCEPTED_TYPES });
};

function deliveryId(c: Context<PaymentEnv>): string | null {
  // A signed delivery's id is the one its signature covers (webhook-id or svix-id, whichever
  // set was verified), never an unsigned header beside it.
  if (c.get("signed")) return readSignatureHeaders((name) => c.req.header(name)).id?.trim().slice(0, 200) ?? null;
  for (const name of DELIVERY_ID_HEADERS) {
    const value = c.req.header(name)?.trim();
    if (value) return value.slice(0, 200);
  }
  return null;
}

export const paymentWebhook = new Hono<PaymentEnv>();

paymentWebhook.post("/", webhookSettings, authenticate, limitBody, verifySigned, validatePayload, async (c) => {
  const payment = c.get("payment");
  const config = c.get("config");
  const result = await applyPayment(c.env.DB, {
    orderId: payment.order_id,
    status: payment.status,
    requestId: c.get("requestId"),
    deliveryId: deliveryId(c),
    receivedAt: Date.now(),
    invoicePrefix: config.invoicePrefix,
    invoiceTimeZone: config.invoiceTimeZone,
    amount: payment.amount_cents === undefined ? null : { cents: payment.amount_cents, currency: payment.currency! },
    provider: "generic",
    providerRef: payment.payment_id ?? null,
  });
  c.set("outcome", result.outcome);
  if (result.outcome === "confirmed") await enqueueDocument(c, invoiceJob(result.invoice.id));
  return answerPayment(c, payment.order_id, result);
});
