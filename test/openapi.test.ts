import { exports } from "cloudflare:workers";
import { expect, it } from "vitest";
import { z } from "zod";
import { PaymentPayloadSchema } from "../src/webhooks/paymentPayload";

it("serves an OpenAPI 3.1 document whose request schema is the validator's own", async () => {
  const res = await exports.default.fetch("https://shop.test/api/openapi.json");
  expect(res.status).toBe(200);
  const doc = await res.json<any>();
  expect(doc.openapi).toBe("3.1.0");
  const post = doc.paths["/api/webhooks/payment/"].post;
  expect(Object.keys(post.requestBody.content).sort()).toEqual([
    "application/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
  ]);
  const schema = post.requestBody.content["application/json"].schema;
  expect(schema).toEqual(JSON.parse(JSON.stringify(z.toJSONSchema(PaymentPayloadSchema, { io: "input" }))));
  expect(schema.required).toEqual(["order_id", "status"]);
  expect(schema.properties.order_id.type).toBe("string");
  expect(schema.properties.status.enum).toEqual(["paid", "failed"]);
  // The answers of the original spec, and ours.
  expect(Object.keys(post.responses)).toEqual(expect.arrayContaining(["200", "400", "403", "404", "413", "415"]));
  expect(doc.components.securitySchemes.webhookKey).toEqual({ type: "apiKey", in: "header", name: "X-Webhook-Key" });
  expect(post.responses["200"].content["application/json"].schema.properties.outcome.enum).toContain("confirmed");
});
