// The whole path of issue 18 ending in a refund from the command line, against the real
// `wrangler dev` and the fake Stripe API on loopback: an order created with `checkout` (the
// Worker makes the Checkout Session at the fake), the fake's customer pays it, its
// checkout.session.completed is delivered signed (the session's ledger row becomes its payment
// intent's), then `npm run ops -- refund` (its key read from the local Worker's own env file, as
// .dev.vars), and the refund's own webhooks built from what the fake Stripe holds, signed by the
// official `stripe` package: the Worker records the refund in the ledger and emails the credit
// note; refunding the rest cancels the order.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { signedStripeRequest, stripeEvent } from "../support/stripeEvents";
import { startFakePostmarkServer, type FakePostmarkServer } from "./support/fakePostmarkServer";
import { startFakeStripeServer, type FakeStripeServer } from "./support/fakeStripeServer";
import { runProcess } from "./support/runProcess";
import { HANG_MS, queryD1, ROOT, startSeededWranglerDev, waitUntil, writeEnvFile, type WranglerDev, WRANGLER_ENV } from "./support/wranglerDev";

// Obviously fake values: nothing here is a real credential.
const POSTMARK_TOKEN = "e2e-fake-postmark-server-token";
const WEBHOOK_KEY = "e2e-fake-webhook-key-not-a-real-secret";
const STRIPE_WEBHOOK_SECRET = "whsec_e2e_FAKE_stripe_000000000000000000";
const STRIPE_KEY = "rk_test_FAKE_refunds_write_e2e_000000000000";
const SHOP_KEY = "e2e-fake-shop-api-key-not-a-real-secret-0000";
const CUSTOMER = "lin@example.com";

let postmark: FakePostmarkServer | undefined;
let stripeFake: FakeStripeServer | undefined;
let dev: WranglerDev | undefined;
let tempDir: string | undefined;
let persistTo: string;
let envFile: string;

beforeAll(async () => {
  postmark = await startFakePostmarkServer({ token: POSTMARK_TOKEN });
  stripeFake = await startFakeStripeServer();
  tempDir = mkdtempSync(path.join(tmpdir(), "e2e-ops-refund-webhook-"));
  persistTo = path.join(tempDir, "state");
  envFile = path.join(tempDir, "e2e.env");
  writeEnvFile(envFile, {
    WEBHOOK_SECRET: WEBHOOK_KEY,
    SHOP_API_KEY: SHOP_KEY,
    STRIPE_WEBHOOK_SECRET,
    STRIPE_SECRET_KEY: STRIPE_KEY,
    STRIPE_API_URL: stripeFake.url,
    POSTMARK_SERVER_TOKEN: POSTMARK_TOKEN,
    POSTMARK_API_URL: postmark.url,
    INVOICE_FROM_EMAIL: "invoices@shop.example",
    LOG_LEVEL: "warn",
  });
  dev = await startSeededWranglerDev({ persistTo, envFile, readinessPath: "/api/webhooks/payment/", readyTimeoutMs: 45_000 });
}, 120_000);

afterAll(async () => {
  await dev?.stop();
  await stripeFake?.close();
  await postmark?.close();
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
}, 20_000);

beforeEach(({ onTestFailed }) => {
  onTestFailed(() => console.error(`--- wrangler dev output (tail) ---\n${dev?.output().slice(-8_000) ?? "(not started)"}`));
});

/** The CLI as an operator of the local Worker runs it: no key in the environment, the Worker's own file. */
async function ops(args: string[]) {
  const env: NodeJS.ProcessEnv = { ...WRANGLER_ENV, DEV_VARS_PATH: envFile, NO_COLOR: "1" };
  delete env.STRIPE_SECRET_KEY;
  delete env.STRIPE_API_URL;
  const { code, stdout, stderr } = await runProcess(process.execPath, [path.join(ROOT, "scripts", "ops.mjs"), ...args, "--persist-to", persistTo], {
    cwd: ROOT,
    env,
    timeoutMs: 60_000,
  });
  return { code, stdout, stderr };
}

/** An event as Stripe sends it, signed by the official package, POSTed to the Worker. */
async function deliver(type: string, object: object) {
  const request = await signedStripeRequest(stripeEvent(type, object as Record<string, unknown>), {
    secret: STRIPE_WEBHOOK_SECRET,
    url: `${dev!.url}/api/webhooks/stripe`,
  });
  const res = await fetch(request);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("a refund from the command line, end to end", () => {
  it("an order created with checkout and paid: ops refund makes the refund at Stripe; its webhook records it and emails the credit note; the rest cancels the order", async () => {
    // The storefront creates the order with checkout: 2 x Espresso beans 24.90 + 1 x Paper filters 6.50 = 56.30 EUR.
    const created = await fetch(`${dev!.url}/api/orders`, {
      method: "POST",
      headers: { Authorization: `Bearer ${SHOP_KEY}`, "Content-Type": "application/json", "Idempotency-Key": "e2e-refund-cart" },
      body: JSON.stringify({
        customer_email: CUSTOMER,
        customer_name: "Lin Chen",
        lines: [{ product_id: 1, quantity: 2 }, { product_id: 3, quantity: 1 }],
        checkout: { provider: "stripe", success_url: "https://shop.example/thanks", cancel_url: "https://shop.example/cart" },
      }),
    });
    const answer = (await created.json()) as { order_id: string; order_number: number; total_cents: number; checkout_url?: string };
    expect(created.status, JSON.stringify(answer)).toBe(201);
    expect(answer.total_cents).toBe(5630);
    const ORDER = { id: answer.order_id, number: String(answer.order_number) };
    const made = stripeFake!.sessionOfOrder(ORDER.id)!;
    expect(answer.checkout_url).toBe(made.url);

    // The customer pays on Stripe's page, and Stripe tells the Worker.
    const session = stripeFake!.paySession(made.id);
    const intent = session.payment_intent as string;
    const paid = await deliver("checkout.session.completed", session);
    expect(paid.status, JSON.stringify(paid.body)).toBe(200);
    expect(paid.body.outcome).toBe("confirmed");
    expect(await waitUntil(() => postmark!.sentTo(CUSTOMER).length > 0, HANG_MS)).toBe(true);
    // One ledger row: the session's, now keyed by its payment intent.
    expect(await queryD1(persistTo, `SELECT provider_ref, checkout_session_ref, status FROM payments WHERE order_id = '${ORDER.id}'`)).toEqual([
      { provider_ref: intent, checkout_session_ref: made.id, status: "succeeded" },
    ]);

    // The operator refunds 5.00: Stripe makes it; the ledger does not know it yet.
    const partial = await ops(["refund", ORDER.number, "--amount", "5", "--note", "a bag of beans was open"]);
    expect(partial.code, partial.stderr).toBe(0);
    const [refund] = stripeFake!.refundsOf(intent);
    expect(refund).toMatchObject({ amount: 500, metadata: { order_id: ORDER.id, note: "a bag of beans was open" } });
    expect(stripeFake!.requestsTo("POST", "/v1/refunds")[0]!.authorization).toBe(`Bearer ${STRIPE_KEY}`);
    expect(partial.stdout).toMatch(/It then emails lin@example\.com a credit note correcting invoice INV-\d{4}-000001\./);
    expect(await queryD1(persistTo, `SELECT refund_ref FROM refunds`)).toEqual([]);

    // Stripe's webhooks of that refund, from what the fake holds: recorded, credit note emailed.
    const recorded = await deliver("refund.created", refund!);
    expect(recorded.status).toBe(200);
    expect(recorded.body.outcome).toBe("refund_recorded");
    const refunded = await deliver("charge.refunded", stripeFake!.chargeOf(intent)!);
    expect(refunded.status).toBe(200);
    const [ledger] = await queryD1<{ refunded_cents: number; status: string }>(
      persistTo,
      `SELECT p.refunded_cents, r.status FROM payments p JOIN refunds r ON r.payment_ref = p.provider_ref WHERE p.provider_ref = '${intent}'`,
    );
    expect(ledger).toEqual({ refunded_cents: 500, status: "succeeded" });
    const isCreditNote = (r: { body?: { Subject: string } }) => new RegExp(`^Credit note CN-\\d{4}-000001 for order #${ORDER.number}$`).test(r.body?.Subject ?? "");
    expect(await waitUntil(() => postmark!.sentTo(CUSTOMER).some(isCreditNote), HANG_MS)).toBe(true);

    // The same command again refunds nothing more; the rest (now from the ledger) is 51.30.
    const again = await ops(["refund", ORDER.number, "--amount", "5", "--note", "a bag of beans was open"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain("Already done");
    expect(stripeFake!.refundsOf(intent)).toHaveLength(1);
    const rest = await ops(["refund", ORDER.number, "--note", "customer cancelled the rest", "--json"]);
    expect(rest.code, rest.stderr).toBe(0);
    expect(JSON.parse(rest.stdout)).toMatchObject({ refund: { amount_cents: 5130 }, refundable_before_cents: 5130 });
    const second = stripeFake!.refundsOf(intent)[1]!;
    expect((await deliver("refund.created", second)).body.outcome).toBe("order_refunded");
    const [order] = await queryD1<{ status: string }>(persistTo, `SELECT status FROM orders WHERE id = '${ORDER.id}'`);
    expect(order).toEqual({ status: "CANCELLED" });

    // Nothing is left: refused before anything is sent.
    const posts = stripeFake!.requestsTo("POST", "/v1/refunds").length;
    const nothing = await ops(["refund", ORDER.number, "--note", "once more"]);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toContain(`ops: order ${ORDER.number} has no Stripe payment with anything left to refund: ${intent} (56.30 EUR, refunded in full, confirmed the order`);
    expect(stripeFake!.requestsTo("POST", "/v1/refunds")).toHaveLength(posts);
  });
});
