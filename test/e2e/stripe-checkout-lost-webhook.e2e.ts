// Issue 18 end to end, as a shop and Stripe drive the real `wrangler dev`: the storefront creates
// an order with a Stripe Checkout Session (POST /api/orders with `checkout`), the customer pays on
// Stripe's page but the webhook never arrives, the cron's reconciliation asks Stripe and confirms
// the order (its invoice is emailed), and the webhook that finally comes is a duplicate.
//
// Stripe is the fake of test/support/fakeStripeApi.ts as a real HTTP server on loopback
// (STRIPE_API_URL), reached by the Worker's official `stripe` client; the late webhook is signed
// with the `stripe` package's own test signer. The steps share one Worker and run in order, so a
// later step can continue the story (the refund from the command line).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { signedStripeRequest, stripeEvent } from "../support/stripeEvents";
import { startFakePostmarkServer, type FakePostmarkServer } from "./support/fakePostmarkServer";
import { startFakeStripeServer, type FakeStripeServer } from "./support/fakeStripeServer";
import { HANG_MS, queryD1, startSeededWranglerDev, waitUntil, writeEnvFile, type WranglerDev } from "./support/wranglerDev";

// Obviously fake values: nothing here is a real credential.
const POSTMARK_TOKEN = "e2e-fake-postmark-server-token";
const WEBHOOK_KEY = "e2e-fake-webhook-key-not-a-real-secret";
const SHOP_KEY = "e2e-fake-shop-api-key-not-a-real-secret";
const STRIPE_WEBHOOK_SECRET = "whsec_e2e_FAKE_stripe_000000000000000000";
const STRIPE_SECRET_KEY = "sk_test_FAKE_e2e_not_a_real_key_00000";
const CUSTOMER = "grace@example.com";
const MINUTE = 60_000;

let postmark: FakePostmarkServer | undefined;
let stripe: FakeStripeServer | undefined;
let dev: WranglerDev | undefined;
let tempDir: string | undefined;
let persistTo: string;
/** The story so far, for the steps that follow. */
const story: { orderId?: string; orderNumber?: number; sessionId?: string; paymentIntent?: string } = {};

beforeAll(async () => {
  postmark = await startFakePostmarkServer({ token: POSTMARK_TOKEN });
  stripe = await startFakeStripeServer();
  tempDir = mkdtempSync(path.join(tmpdir(), "e2e-checkout-"));
  persistTo = path.join(tempDir, "state");
  const envFile = path.join(tempDir, "e2e.env");
  writeEnvFile(envFile, {
    WEBHOOK_SECRET: WEBHOOK_KEY,
    SHOP_API_KEY: SHOP_KEY,
    STRIPE_WEBHOOK_SECRET,
    STRIPE_SECRET_KEY,
    STRIPE_API_URL: stripe.url,
    POSTMARK_SERVER_TOKEN: POSTMARK_TOKEN,
    POSTMARK_API_URL: postmark.url,
    INVOICE_FROM_EMAIL: "invoices@shop.example",
    LOG_LEVEL: "info",
  });
  dev = await startSeededWranglerDev({ persistTo, envFile, readinessPath: "/api/webhooks/payment/", readyTimeoutMs: HANG_MS, testScheduled: true });
}, HANG_MS + 60_000);

afterAll(async () => {
  await dev?.stop();
  await stripe?.close();
  await postmark?.close();
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
}, 30_000);

beforeEach(({ onTestFailed }) => {
  onTestFailed(() => console.error(`--- wrangler dev output (tail) ---\n${dev?.output().slice(-8_000) ?? "(not started)"}`));
});

async function api(method: string, pathname: string, body?: unknown) {
  const res = await fetch(`${dev!.url}${pathname}`, {
    method,
    headers: { Authorization: `Bearer ${SHOP_KEY}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(HANG_MS),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

/** One run of the Worker's cron handler, now (`wrangler dev --test-scheduled`, as `npm run dev` runs it). */
async function runCron() {
  const res = await fetch(`${dev!.url}/__scheduled?cron=${encodeURIComponent("* * * * *")}`, { signal: AbortSignal.timeout(HANG_MS) });
  expect(await res.text()).toBe("Ran scheduled event");
}

/**
 * Time passes for the order's session: its ledger row is made `minutes` older, as the clock of
 * a real shop would make it (wrangler dev's cron handler runs at the current time only).
 */
async function ageSession(minutes: number) {
  const ms = minutes * MINUTE;
  await queryD1(
    persistTo,
    `UPDATE payments SET created_at = created_at - ${ms}, reconcile_after = reconcile_after - ${ms} WHERE checkout_session_ref = '${story.sessionId}'`,
  );
}

/** A Stripe event around `object`, signed by the stripe package as Stripe signs it. */
async function sendStripeEvent(type: string, object: object) {
  const request = await signedStripeRequest(stripeEvent(type, object as Record<string, unknown>), {
    secret: STRIPE_WEBHOOK_SECRET,
    url: `${dev!.url}/api/webhooks/stripe`,
  });
  const res = await fetch(request, { signal: AbortSignal.timeout(HANG_MS) });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

describe("a Stripe Checkout order whose webhook is lost", () => {
  it("is created with its Checkout Session: the order, its reservation, and the page to send the customer to", async () => {
    const created = await api("POST", "/api/orders", {
      customer_email: CUSTOMER,
      customer_name: "Grace Hopper",
      lines: [{ product_id: 1, quantity: 1 }, { product_id: 3, quantity: 2 }],
      checkout: { provider: "stripe", success_url: "https://shop.example/thanks", cancel_url: "https://shop.example/cart" },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: "AWAITING_PAYMENT", total_cents: 3790, currency: "EUR", payment_status: "unpaid" });
    const session = stripe!.sessionOfOrder(created.body.order_id)!;
    expect(created.body.checkout_url).toBe(session.url);
    expect(session).toMatchObject({ amount_total: 3790, currency: "eur", client_reference_id: created.body.order_id, customer_email: CUSTOMER });
    const [sent] = stripe!.requestsTo("POST", "/v1/checkout/sessions");
    expect(sent).toMatchObject({ authorization: `Bearer ${STRIPE_SECRET_KEY}`, idempotencyKey: `order-checkout-session:${created.body.order_id}` });
    Object.assign(story, {
      orderId: created.body.order_id,
      orderNumber: created.body.order_number,
      sessionId: session.id,
    });
  });

  it("is paid on Stripe's page while its webhook is lost: the order still waits", async () => {
    story.paymentIntent = stripe!.paySession(story.sessionId!).payment_intent as string;
    // A cron run before the session is 15 minutes old does not ask Stripe.
    await ageSession(5);
    await runCron();
    expect(stripe!.requestsTo("GET", `/v1/checkout/sessions/${story.sessionId}`)).toHaveLength(0);
    expect((await api("GET", `/api/orders/${story.orderId}`)).body).toMatchObject({ status: "AWAITING_PAYMENT", payment_status: "unpaid" });
  });

  it("is confirmed by reconciliation, and its invoice is emailed", async () => {
    await ageSession(11);
    await runCron();
    expect(stripe!.requestsTo("GET", `/v1/checkout/sessions/${story.sessionId}`)).toEqual([
      expect.objectContaining({ status: 200, authorization: `Bearer ${STRIPE_SECRET_KEY}` }),
    ]);
    const order = await api("GET", `/api/orders/${story.orderId}`);
    expect(order.body).toMatchObject({ status: "CONFIRMED", payment_status: "paid" });
    expect(order.body.invoice_number).toMatch(/^INV-\d{4}-\d{6}$/);
    expect(order.body.payments).toEqual([
      expect.objectContaining({ provider: "stripe", reference: story.paymentIntent, status: "succeeded", amount_cents: 3790, confirmed_order: true }),
    ]);
    expect(await waitUntil(() => postmark!.sentTo(CUSTOMER).length === 1, HANG_MS)).toBe(true);
    expect(dev!.output()).toContain('"event":"checkout_session_reconciled"');
    const events = await queryD1<{ delivery_id: string; outcome: string }>(
      persistTo,
      `SELECT delivery_id, outcome FROM webhook_events WHERE order_id = '${story.orderId}' ORDER BY id`,
    );
    expect(events).toEqual([{ delivery_id: `reconcile:${story.sessionId}`, outcome: "confirmed" }]);
  });

  it("answers the webhook that finally arrives as a duplicate, and changes nothing", async () => {
    const late = await sendStripeEvent("checkout.session.completed", stripe!.session(story.sessionId!));
    expect(late).toMatchObject({ status: 200, body: { outcome: "duplicate", order_id: story.orderId } });
    const payments = await queryD1<{ n: number }>(persistTo, `SELECT count(*) AS n FROM payments WHERE order_id = '${story.orderId}'`);
    expect(payments).toEqual([{ n: 1 }]);
    const invoices = await queryD1<{ n: number }>(persistTo, `SELECT count(*) AS n FROM invoices WHERE order_id = '${story.orderId}'`);
    expect(invoices).toEqual([{ n: 1 }]);
    // No second email: the invoice went out once (the queue has had time to send a second).
    await new Promise((r) => setTimeout(r, 3_000));
    expect(postmark!.sentTo(CUSTOMER)).toHaveLength(1);
  });
});
