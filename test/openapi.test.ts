// The OpenAPI document describes every answer the Worker gives: live answers to every kind
// of request, from the real Worker, are validated against the document it serves (Ajv,
// JSON Schema 2020-12, which OpenAPI 3.1 uses). The document itself is checked by a real
// OpenAPI validator in the end-to-end test (test/e2e), which reads it over HTTP.
import Ajv2020 from "ajv/dist/2020";
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { PaymentPayloadSchema } from "../src/providers/generic/paymentPayload";
import { createOrder, createProduct, deliverWithEnv, KEY, WEBHOOK_URL } from "./support/shop";
import { chargeRefunded, checkoutSessionCompleted, disputeEvent, refundEvent, signedStripeRequest, STRIPE_WEBHOOK_URL, stripeEvent } from "./support/stripeEvents";

let doc: any;
beforeAll(async () => {
  doc = await (await exports.default.fetch("https://shop.test/api/openapi.json")).json();
});

const ajv = new Ajv2020({ strict: false, allErrors: true });

/** Validates a live answer against the document's schema for its path and status. */
async function expectDocumented(response: Response, path: string) {
  const operation = doc.paths[path]?.post;
  expect(operation, `POST ${path} is documented`).toBeDefined();
  const documented = operation.responses[String(response.status)];
  expect(documented, `POST ${path} answer ${response.status} is documented`).toBeDefined();
  const body = await response.json();
  const validate = ajv.compile(documented.content["application/json"].schema);
  expect(validate(body), `${response.status} ${JSON.stringify(body)}: ${ajv.errorsText(validate.errors)}`).toBe(true);
  return body;
}

const generic = (body: unknown, overrides: Partial<Env> = {}, init: { key?: string | null; contentType?: string; method?: string; url?: string } = {}) => {
  const headers = new Headers({ "Content-Type": init.contentType ?? "application/json" });
  if (init.key !== null) headers.set("X-Webhook-Key", init.key ?? KEY);
  return deliverWithEnv(
    overrides,
    new Request(init.url ?? WEBHOOK_URL, {
      method: init.method ?? "POST",
      headers,
      body: init.method === "GET" ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    }),
  );
};

async function orderIn(status: string, stock = 10) {
  const p = await createProduct({ stock, reserved: Math.min(stock, 4) });
  return (await createOrder({ status, lines: [{ productId: p, quantity: 2, unitPriceCents: 1000 }] })).id;
}

describe("the OpenAPI document", () => {
  it("is OpenAPI 3.1 and its request schema is the validator's own", () => {
    expect(doc.openapi).toBe("3.1.0");
    const post = doc.paths["/api/webhooks/payment/"].post;
    expect(Object.keys(post.requestBody.content).sort()).toEqual(["application/json", "application/x-www-form-urlencoded", "multipart/form-data"]);
    const schema = post.requestBody.content["application/json"].schema;
    expect(schema).toEqual(JSON.parse(JSON.stringify(z.toJSONSchema(PaymentPayloadSchema, { io: "input" }))));
    expect(schema.required).toEqual(["order_id", "status"]);
    expect(Object.keys(schema.properties)).toEqual(["order_id", "status", "amount_cents", "currency", "payment_id"]);
    expect(doc.components.securitySchemes.webhookKey).toEqual({ type: "apiKey", in: "header", name: "X-Webhook-Key" });
    expect(doc.paths["/api/webhooks/stripe"].post.parameters[0].name).toBe("Stripe-Signature");
  });

  it("describes every answer of the generic endpoint", async () => {
    const path = "/api/webhooks/payment/";
    const awaiting = await orderIn("AWAITING_PAYMENT");
    expect(await expectDocumented(await generic({ order_id: awaiting, status: "paid" }), path)).toMatchObject({ outcome: "confirmed" });
    expect(await expectDocumented(await generic({ order_id: awaiting, status: "paid" }), path)).toMatchObject({ outcome: "duplicate" });
    await expectDocumented(await generic({ order_id: await orderIn("AWAITING_PAYMENT"), status: "failed" }), path);
    await expectDocumented(await generic({ order_id: await orderIn("CANCELLED"), status: "paid" }), path);
    const mismatch = await generic({ order_id: await orderIn("AWAITING_PAYMENT"), status: "paid", amount_cents: 1, currency: "EUR" });
    expect(await expectDocumented(mismatch, path)).toMatchObject({ outcome: "amount_mismatch" });
    const notReady = await generic({ order_id: await orderIn("PENDING"), status: "paid" });
    expect(notReady.status).toBe(409);
    await expectDocumented(notReady, path);
    // data_error: an order put back to AWAITING_PAYMENT that already has its invoice.
    await env.DB.prepare("UPDATE orders SET status = 'AWAITING_PAYMENT' WHERE id = ?").bind(awaiting).run();
    const dataError = await generic({ order_id: awaiting, status: "paid" });
    expect(dataError.status).toBe(422);
    await expectDocumented(dataError, path);
    const short = await generic({ order_id: await orderIn("AWAITING_PAYMENT", 1), status: "paid" });
    expect(short.status).toBe(400);
    await expectDocumented(short, path);
    await expectDocumented(await generic({ order_id: "nope", status: "paid" }), path);
    await expectDocumented(await generic("{not json"), path);
    await expectDocumented(await generic({ order_id: awaiting, status: "paid" }, {}, { key: "wrong" }), path);
    const notFound = await generic({ order_id: crypto.randomUUID(), status: "paid" });
    expect(notFound.status).toBe(404);
    await expectDocumented(notFound, path);
    expect((await generic(undefined, {}, { method: "GET" })).status).toBe(405);
    await expectDocumented(await generic({ order_id: awaiting, status: "paid", pad: "x".repeat(70_000) }), path);
    await expectDocumented(await generic("order_id=x", {}, { contentType: "text/plain" }), path);
    const missingType = await generic("{}", {}, { contentType: "" });
    expect(missingType.status).toBe(415);
    await expectDocumented(missingType, path);
    const jsonAsForm = await generic(JSON.stringify({ order_id: awaiting, status: "paid" }), {}, { contentType: "application/x-www-form-urlencoded" });
    expect(jsonAsForm.status).toBe(415);
    await expectDocumented(jsonAsForm, path);
    const unconfigured = await generic({ order_id: awaiting, status: "paid" }, { WEBHOOK_SECRET: "" } as Partial<Env>);
    expect(unconfigured.status).toBe(500);
    await expectDocumented(unconfigured, path);
    await expectDocumented(await generic({ order_id: awaiting, status: "paid" }, { INVOICE_PREFIX: "" } as Partial<Env>), path);
    // Without the trailing slash, the same answers.
    await expectDocumented(await generic({ order_id: crypto.randomUUID(), status: "paid" }, {}, { url: WEBHOOK_URL.slice(0, -1) }), "/api/webhooks/payment");
  });

  it("describes every answer of the Stripe endpoint", async () => {
    const path = "/api/webhooks/stripe";
    const id = await orderIn("AWAITING_PAYMENT");
    const confirmed = await exports.default.fetch(await signedStripeRequest(checkoutSessionCompleted({ clientReferenceId: id, amountTotal: 2000 })));
    expect(await expectDocumented(confirmed, path)).toMatchObject({ outcome: "confirmed" });
    await expectDocumented(await exports.default.fetch(await signedStripeRequest(stripeEvent("customer.created", { id: "cus_1", object: "customer" }))), path);
    await expectDocumented(await exports.default.fetch(await signedStripeRequest(checkoutSessionCompleted({ amountTotal: 100 }))), path);
    await expectDocumented(
      await exports.default.fetch(await signedStripeRequest(checkoutSessionCompleted({ clientReferenceId: await orderIn("AWAITING_PAYMENT"), paymentStatus: "unpaid" }))),
      path,
    );
    // The money after the payment: a refund with its credit note, a full refund, a dispute, a canceled intent.
    const paidId = await orderIn("AWAITING_PAYMENT");
    await exports.default.fetch(await signedStripeRequest(checkoutSessionCompleted({ clientReferenceId: paidId, amountTotal: 2000, paymentIntent: "pi_test_openapi" })));
    const partial = await exports.default.fetch(await signedStripeRequest(refundEvent("refund.created", { paymentIntent: "pi_test_openapi", amount: 500 })));
    expect(await expectDocumented(partial, path)).toMatchObject({ outcome: "refund_recorded", credit_note_number: expect.any(String) });
    const full = await exports.default.fetch(await signedStripeRequest(chargeRefunded({ paymentIntent: "pi_test_openapi", amount: 2000, amountRefunded: 2000 })));
    expect(await expectDocumented(full, path)).toMatchObject({ outcome: "order_refunded", order_status: "CANCELLED" });
    const disputed = await exports.default.fetch(await signedStripeRequest(disputeEvent("created", { paymentIntent: "pi_test_openapi" })));
    expect(await expectDocumented(disputed, path)).toMatchObject({ outcome: "dispute_recorded" });
    await expectDocumented(await exports.default.fetch(await signedStripeRequest(stripeEvent("payment_intent.canceled", { id: "pi_test_gone", object: "payment_intent", status: "canceled", metadata: {} }))), path);
    await expectDocumented(await exports.default.fetch(new Request(STRIPE_WEBHOOK_URL, { method: "POST", body: "{}" })), path);
    await expectDocumented(
      await deliverWithEnv({ STRIPE_WEBHOOK_SECRET: "" } as Partial<Env>, await signedStripeRequest(checkoutSessionCompleted({ clientReferenceId: id }))),
      path,
    );
  });
});
