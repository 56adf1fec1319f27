// Every answer of the order API, live from the real Worker, validated against the OpenAPI
// document it serves (Ajv, JSON Schema 2020-12), as test/openapi.test.ts does for the webhooks.
import Ajv2020 from "ajv/dist/2020";
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { CreateOrderSchema } from "../src/orders/orderRequest";
import { createOrder, createProduct, deliverWithEnv, pay } from "./support/shop";
import { callOrders, newOrder, orderRequest } from "./support/orders";
import { STRIPE_ERRORS } from "./support/fakeStripeApi";
import { stripeApi } from "./support/fakeStripe";

let doc: any;
beforeAll(async () => {
  doc = await (await exports.default.fetch("https://shop.test/api/openapi.json")).json();
});

const ajv = new Ajv2020({ strict: false, allErrors: true });
const seen = new Set<string>();

/** Validates a live answer against the document's schema for its operation and status. */
async function expectDocumented(response: Response, method: "get" | "post", path: string): Promise<any> {
  const operation = doc.paths[path]?.[method];
  expect(operation, `${method} ${path} is documented`).toBeDefined();
  const documented = operation.responses[String(response.status)];
  expect(documented, `${method} ${path} answer ${response.status} is documented`).toBeDefined();
  const body = await response.json();
  const validate = ajv.compile(documented.content["application/json"].schema);
  expect(validate(body), `${response.status} ${JSON.stringify(body)}: ${ajv.errorsText(validate.errors)}`).toBe(true);
  seen.add(`${method} ${path} ${response.status}`);
  return body;
}

describe("the OpenAPI document of the order API", () => {
  it("takes its request schema from the validator and names the bearer scheme", () => {
    const post = doc.paths["/api/orders"].post;
    expect(post.requestBody.content["application/json"].schema).toEqual(JSON.parse(JSON.stringify(z.toJSONSchema(CreateOrderSchema, { io: "input" }))));
    expect(post.security).toEqual([{ shopApiKey: [] }]);
    expect(doc.components.securitySchemes.shopApiKey).toMatchObject({ type: "http", scheme: "bearer" });
  });

  it("describes every answer of every operation", async () => {
    const create = "/api/orders";
    const p = await createProduct({ stock: 5, priceCents: 990 });
    const ok = await expectDocumented(await callOrders("POST", "", newOrder([{ product_id: p, quantity: 1 }]), { headers: { "Idempotency-Key": "doc-1" } }), "post", create);
    await expectDocumented(await callOrders("POST", "", newOrder([{ product_id: p, quantity: 1 }]), { headers: { "Idempotency-Key": "doc-1" } }), "post", create);
    await expectDocumented(await callOrders("POST", "", newOrder([{ product_id: p, quantity: 2 }]), { headers: { "Idempotency-Key": "doc-1" } }), "post", create);
    await expectDocumented(await callOrders("POST", "", newOrder([{ product_id: p, quantity: 99 }])), "post", create);
    await expectDocumented(await callOrders("POST", "", newOrder([{ product_id: 999999, quantity: 1 }])), "post", create);
    await expectDocumented(await callOrders("POST", "", newOrder([{ product_id: p, quantity: 0 }])), "post", create);
    await expectDocumented(await callOrders("POST", "", undefined, { raw: "{" }), "post", create);
    await expectDocumented(await callOrders("POST", "", undefined, { raw: "a=1", contentType: "text/plain" }), "post", create);
    await expectDocumented(await callOrders("POST", "", newOrder([], { pad: "x".repeat(70_000) })), "post", create);
    await expectDocumented(await callOrders("POST", "", newOrder([{ product_id: p, quantity: 1 }]), { key: null }), "post", create);
    await expectDocumented(await deliverWithEnv({ SHOP_API_KEY: "" } as Partial<Env>, orderRequest("POST", "", newOrder([]))), "post", create);
    await expectDocumented(await deliverWithEnv({ SHOP_CURRENCY: "x" } as Partial<Env>, orderRequest("POST", "", newOrder([{ product_id: p, quantity: 1 }]))), "post", create);
    // With a Stripe Checkout Session (issue 18), and Stripe refusing it: a product of their own,
    // so the stock count at the end is about the orders above.
    const stripeCheckout = { provider: "stripe", success_url: "https://shop.example/thanks", cancel_url: "https://shop.example/cart" };
    const other = await createProduct({ stock: 5, priceCents: 500 });
    const withSession = await expectDocumented(await callOrders("POST", "", newOrder([{ product_id: other, quantity: 1 }], { checkout: stripeCheckout })), "post", create);
    expect(withSession.checkout_url).toMatch(/^https:\/\/checkout\.stripe\.com\//);
    stripeApi.answerNext(STRIPE_ERRORS.invalidRequest("Not a valid URL", "success_url", "url_invalid"));
    await expectDocumented(await callOrders("POST", "", newOrder([{ product_id: other, quantity: 1 }], { checkout: stripeCheckout })), "post", create);

    const read = "/api/orders/{order_id}";
    await expectDocumented(await callOrders("GET", `/${ok.order_id}`), "get", read);
    await expectDocumented(await callOrders("GET", `/${crypto.randomUUID()}`), "get", read);
    await expectDocumented(await callOrders("GET", "/nope"), "get", read);
    await expectDocumented(await callOrders("GET", `/${ok.order_id}`, undefined, { key: "wrong" }), "get", read);
    const unconfigured = (method: string, path: string) => deliverWithEnv({ SHOP_API_KEY: "" } as Partial<Env>, orderRequest(method, path));
    await expectDocumented(await unconfigured("GET", `/${ok.order_id}`), "get", read);
    await expectDocumented(await unconfigured("POST", `/${ok.order_id}/checkout`), "post", "/api/orders/{order_id}/checkout");
    await expectDocumented(await unconfigured("POST", `/${ok.order_id}/cancel`), "post", "/api/orders/{order_id}/cancel");

    const checkout = "/api/orders/{order_id}/checkout";
    const pending = await createOrder({ status: "PENDING", lines: [{ productId: p, quantity: 1 }] });
    await expectDocumented(await callOrders("POST", `/${pending.id}/checkout`), "post", checkout);
    const short = await createOrder({ status: "PENDING", lines: [{ productId: p, quantity: 50 }] });
    await expectDocumented(await callOrders("POST", `/${short.id}/checkout`), "post", checkout);
    await expectDocumented(await callOrders("POST", `/${(await createOrder({ status: "PENDING" })).id}/checkout`), "post", checkout);
    await expectDocumented(await callOrders("POST", `/${(await createOrder({ status: "CANCELLED" })).id}/checkout`), "post", checkout);
    await expectDocumented(await callOrders("POST", `/${crypto.randomUUID()}/checkout`), "post", checkout);
    await expectDocumented(await callOrders("POST", "/x/checkout"), "post", checkout);
    await expectDocumented(await callOrders("POST", `/${pending.id}/checkout`, undefined, { key: null }), "post", checkout);

    const cancel = "/api/orders/{order_id}/cancel";
    await pay(ok.order_id);
    await expectDocumented(await callOrders("POST", `/${ok.order_id}/cancel`), "post", cancel);
    await expectDocumented(await callOrders("POST", `/${pending.id}/cancel`), "post", cancel);
    await expectDocumented(await callOrders("POST", `/${crypto.randomUUID()}/cancel`), "post", cancel);
    await expectDocumented(await callOrders("POST", "/x/cancel"), "post", cancel);
    await expectDocumented(await callOrders("POST", `/${pending.id}/cancel`, undefined, { key: null }), "post", cancel);

    // Every documented status was seen live at least once.
    for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, { responses: object }>>)) {
      if (!path.startsWith("/api/orders")) continue;
      for (const [method, operation] of Object.entries(methods)) {
        for (const status of Object.keys(operation.responses)) expect(seen, `${method} ${path} ${status} seen`).toContain(`${method} ${path} ${status}`);
      }
    }
    // One paid (sold), one checked out then cancelled (released): nothing left reserved.
    expect(await env.DB.prepare("SELECT stock, stock_reserved FROM products WHERE id = ?").bind(p).first()).toEqual({ stock: 4, stock_reserved: 0 });
  });
});
