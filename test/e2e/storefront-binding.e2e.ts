// End to end through a service binding: one real `wrangler dev` runs a small storefront Worker
// (test/e2e/storefront) beside the order-payment Worker (`-c storefront -c wrangler.toml`).
// The storefront creates, reads and cancels orders with `env.ORDERS.createOrder(...)` (the
// OrdersEntrypoint), with no key and no HTTP between the two; the payment arrives at the
// webhook as a provider's would, the invoice goes to a fake Postmark on loopback, and the
// storefront's read shows the order paid. Answers are checked against the OpenAPI document the
// Worker serves (the binding answers what HTTP answers), and stock against the local D1.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Ajv2020 from "ajv/dist/2020";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startFakePostmarkServer, type FakePostmarkServer } from "./support/fakePostmarkServer";
import { queryD1, ROOT, startSeededWranglerDev, waitUntil, writeEnvFile, type WranglerDev } from "./support/wranglerDev";

// Obviously fake values: nothing here is a real credential.
const POSTMARK_TOKEN = "e2e-fake-postmark-server-token";
const WEBHOOK_KEY = "e2e-fake-webhook-key-not-a-real-secret";
const SHOP_KEY = "e2e-fake-shop-api-key-not-a-real-secret";

let fake: FakePostmarkServer | undefined;
let dev: WranglerDev | undefined;
let tempDir: string | undefined;
let persistTo: string;
let doc: any;
const ajv = new Ajv2020({ strict: false, allErrors: true });

interface BindingAnswer {
  status: number;
  body: Record<string, any>;
  replayed?: boolean;
}

async function storefront(method: string, pathname: string, body?: unknown, headers: Record<string, string> = {}): Promise<BindingAnswer> {
  const res = await fetch(`${dev!.url}${pathname}`, {
    method,
    headers: body === undefined ? headers : { "Content-Type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as BindingAnswer;
}

/** The binding's body, validated against what the HTTP operation documents for that status. */
function expectDocumented(answer: BindingAnswer, method: "get" | "post", path: string) {
  const schema = doc.paths[path][method].responses[String(answer.status)]?.content["application/json"].schema;
  expect(schema, `${method} ${path} ${answer.status} documented`).toBeDefined();
  const validate = ajv.compile(schema);
  expect(validate(answer.body), `${answer.status} ${JSON.stringify(answer.body)}: ${ajv.errorsText(validate.errors)}`).toBe(true);
}

async function stock(productId: number) {
  const [row] = await queryD1<{ stock: number; stock_reserved: number }>(persistTo, `SELECT stock, stock_reserved FROM products WHERE id = ${productId}`);
  return row;
}

const cart = (lines: { product_id: number; quantity: number }[]) => ({ customer_email: "grace@example.com", customer_name: "Grace Hopper", lines });

/**
 * wrangler 4.86 hands --env-file only to the first Worker of a multi-config `wrangler dev`; the
 * second reads .dev.vars beside its config. So the order-payment Worker runs from a copy of
 * wrangler.toml in the temp folder, its paths made absolute and the test's fake secrets added to
 * its [vars]: the developer's own .dev.vars is never read.
 */
function orderPaymentConfig(dir: string, secrets: Record<string, string>): string {
  const abs = (p: string) => JSON.stringify(path.join(ROOT, p));
  const replace = (toml: string, from: string, to: string) => {
    if (!toml.includes(from)) throw new Error(`wrangler.toml no longer has ${from}: update the e2e storefront test`);
    return toml.replace(from, to);
  };
  let toml = readFileSync(path.join(ROOT, "wrangler.toml"), "utf8");
  toml = replace(toml, 'main = "dist/worker/index.js"', `main = ${abs("dist/worker/index.js")}`);
  toml = replace(toml, 'migrations_dir = "migrations"', `migrations_dir = ${abs("migrations")}`);
  toml = replace(toml, 'directory = "./assets"', `directory = ${abs("assets")}`);
  toml = replace(toml, 'command = "node scripts/build/buildWorker.mjs"', `command = "node scripts/build/buildWorker.mjs"\ncwd = ${JSON.stringify(ROOT)}`);
  toml = replace(toml, 'watch_dir = "src"', `watch_dir = ${abs("src")}`);
  toml = replace(toml, "\n[vars]\n", `\n[vars]\n${Object.entries(secrets).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join("\n")}\n`);
  const file = path.join(dir, "order-payment.wrangler.toml");
  writeFileSync(file, toml);
  return file;
}

beforeAll(async () => {
  fake = await startFakePostmarkServer({ token: POSTMARK_TOKEN });
  tempDir = mkdtempSync(path.join(tmpdir(), "e2e-storefront-"));
  persistTo = path.join(tempDir, "state");
  // The storefront's (it needs none; the file keeps wrangler from reading a .dev.vars).
  const envFile = path.join(tempDir, "storefront.env");
  writeEnvFile(envFile, {});
  const config = orderPaymentConfig(tempDir, {
    WEBHOOK_SECRET: WEBHOOK_KEY,
    SHOP_API_KEY: SHOP_KEY,
    POSTMARK_SERVER_TOKEN: POSTMARK_TOKEN,
    POSTMARK_API_URL: fake.url,
  });
  dev = await startSeededWranglerDev({
    // The storefront first: it is the Worker served on the port.
    configs: ["test/e2e/storefront/wrangler.toml", config],
    persistTo,
    envFile,
    readinessPath: "/api/webhooks/payment/",
    readyTimeoutMs: 60_000,
  });
  doc = await (await fetch(`${dev.url}/api/openapi.json`)).json();
}, 90_000);

afterAll(async () => {
  await dev?.stop();
  await fake?.close();
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
}, 20_000);

beforeEach(({ onTestFailed }) => {
  onTestFailed(() => console.error(`--- wrangler dev output (tail) ---\n${dev?.output().slice(-8_000) ?? "(not started)"}`));
});

describe("a storefront Worker calling the order API through a service binding", () => {
  let orderId = "";

  it("creates and reserves an order with no key, answering what POST /api/orders answers", async () => {
    const before = (await stock(2))!;
    const created = await storefront("POST", "/checkout", cart([{ product_id: 2, quantity: 2 }, { product_id: 3, quantity: 1 }]), {
      "Idempotency-Key": "e2e-cart-1",
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: "AWAITING_PAYMENT", currency: "EUR", total_cents: 2 * 3200 + 650 });
    expectDocumented(created, "post", "/api/orders");
    orderId = created.body.order_id;
    expect(await stock(2)).toEqual({ stock: before.stock, stock_reserved: before.stock_reserved + 2 });

    const retried = await storefront("POST", "/checkout", cart([{ product_id: 2, quantity: 2 }, { product_id: 3, quantity: 1 }]), {
      "Idempotency-Key": "e2e-cart-1",
    });
    expect(retried).toEqual({ ...created, replayed: true });
    expect(await stock(2)).toEqual({ stock: before.stock, stock_reserved: before.stock_reserved + 2 });
  });

  it("answers bad input, short stock and unknown orders as HTTP does, changing nothing", async () => {
    const before = await stock(4);
    const short = await storefront("POST", "/checkout", cart([{ product_id: 4, quantity: 1000 }]));
    expect(short.status).toBe(400);
    expect(short.body).toMatchObject({ error: "Insufficient stock", details: [{ product_id: 4, requested: 1000 }] });
    expectDocumented(short, "post", "/api/orders");
    const invalid = await storefront("POST", "/checkout", cart([{ product_id: 4, quantity: 0 }]));
    expect(invalid.status).toBe(400);
    expect(invalid.body.details[0].field).toBe("lines.0.quantity");
    const missing = await storefront("GET", `/orders/${crypto.randomUUID()}`);
    expect(missing.status).toBe(404);
    expectDocumented(missing, "get", "/api/orders/{order_id}");
    expect(await stock(4)).toEqual(before);
  });

  it("the webhook confirms it, the invoice goes out, and the storefront's read shows it paid", async () => {
    // The provider's side: the ordinary webhook with its own key (the storefront passes /api/* through).
    const paid = await fetch(`${dev!.url}/api/webhooks/payment/`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Webhook-Key": WEBHOOK_KEY },
      body: JSON.stringify({ order_id: orderId, status: "paid", amount_cents: 2 * 3200 + 650, currency: "EUR" }),
    });
    expect(await paid.json()).toMatchObject({ outcome: "confirmed" });
    expect(await waitUntil(() => fake!.sentTo("grace@example.com").length > 0, 15_000)).toBe(true);
    const read = await storefront("GET", `/orders/${orderId.toUpperCase()}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ order_id: orderId, status: "CONFIRMED" });
    expect(read.body.invoice_number).toMatch(/^INV-\d{4}-\d{6}$/);
    expectDocumented(read, "get", "/api/orders/{order_id}");
    const cancel = await storefront("POST", `/orders/${orderId}/cancel`);
    expect(cancel.status).toBe(409);
    expectDocumented(cancel, "post", "/api/orders/{order_id}/cancel");
  });

  it("cancels an unpaid order and releases its stock once", async () => {
    const before = (await stock(1))!;
    const created = await storefront("POST", "/checkout", cart([{ product_id: 1, quantity: 3 }]));
    expect(await stock(1)).toEqual({ stock: before.stock, stock_reserved: before.stock_reserved + 3 });
    const cancelled = await storefront("POST", `/orders/${created.body.order_id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe("CANCELLED");
    expectDocumented(cancelled, "post", "/api/orders/{order_id}/cancel");
    expect((await storefront("POST", `/orders/${created.body.order_id}/cancel`)).status).toBe(200);
    expect(await stock(1)).toEqual(before);
  });

  it("checks out a PENDING order another tool wrote (the demo's Grace Hopper order)", async () => {
    const pending = "d0d0d0d0-0000-4000-8000-000000000006";
    const answer = await storefront("POST", `/orders/${pending}/checkout`);
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe("AWAITING_PAYMENT");
    expectDocumented(answer, "post", "/api/orders/{order_id}/checkout");
  });

  it("keeps the HTTP routes closed to anyone without the shop key", async () => {
    const res = await fetch(`${dev!.url}/api/orders/${orderId}`);
    expect(res.status).toBe(401);
    const withKey = await fetch(`${dev!.url}/api/orders/${orderId}`, { headers: { Authorization: `Bearer ${SHOP_KEY}` } });
    expect(withKey.status).toBe(200);
  });
});
