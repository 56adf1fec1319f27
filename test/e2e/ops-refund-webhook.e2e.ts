// The whole path of a refund from the command line (issue 18, part 3), against the real
// `wrangler dev`: a demo order paid through a Checkout Session at the fake Stripe API, its
// checkout.session.completed delivered signed, then `npm run ops -- refund` (its key read from
// the local Worker's own env file, as .dev.vars), and the refund's own webhooks built from what
// the fake Stripe holds, signed by the official `stripe` package: the Worker records the
// refund in the ledger and emails the credit note; refunding the rest cancels the order.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import Stripe from "stripe";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { stripeClientOptions } from "../../src/providers/stripe/stripeApiOptions";
import { startFakePostmarkServer, type FakePostmarkServer } from "./support/fakePostmarkServer";
import { startFakeStripeServer, type FakeStripeServer } from "./support/fakeStripeServer";
import { runProcess } from "./support/runProcess";
import { HANG_MS, queryD1, ROOT, startSeededWranglerDev, waitUntil, writeEnvFile, type WranglerDev, WRANGLER_ENV } from "./support/wranglerDev";

// Obviously fake values: nothing here is a real credential.
const POSTMARK_TOKEN = "e2e-fake-postmark-server-token";
const WEBHOOK_KEY = "e2e-fake-webhook-key-not-a-real-secret";
const STRIPE_WEBHOOK_SECRET = "whsec_e2e_FAKE_stripe_000000000000000000";
const STRIPE_KEY = "rk_test_FAKE_refunds_write_e2e_000000000000";

const demo = (await import(pathToFileURL(path.join(ROOT, "scripts", "lib", "demoData.mjs")).href)) as {
  DEMO_ORDERS: { id: string; order_number: number; customer_email: string }[];
};
// Ada's order 1001: 56.30 EUR, awaiting payment in the seed.
const ADA = demo.DEMO_ORDERS[0]!;

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
async function deliver(type: string, object: object): Promise<{ status: number; body: Record<string, unknown> }> {
  const event = {
    id: `evt_test_e2e_${Math.random().toString(36).slice(2, 14)}`,
    object: "event",
    api_version: Stripe.API_VERSION,
    created: Math.floor(Date.now() / 1000),
    data: { object },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
  };
  const payload = JSON.stringify(event);
  const signature = await Stripe.webhooks.generateTestHeaderStringAsync({ payload, secret: STRIPE_WEBHOOK_SECRET });
  const res = await fetch(`${dev!.url}/api/webhooks/stripe`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "Stripe-Signature": signature },
    body: payload,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("a refund from the command line, end to end", () => {
  it("ops refund makes the refund at Stripe; its webhook records it and emails the credit note; the rest cancels the order", async () => {
    // The customer pays order 1001 through a Checkout Session, and Stripe tells the Worker.
    const stripe = new Stripe(STRIPE_KEY, stripeClientOptions(stripeFake!.url, { maxNetworkRetries: 0, timeoutMs: 10_000 }));
    const created = await stripe.checkout.sessions.create({
      mode: "payment",
      line_items: [{ quantity: 1, price_data: { currency: "eur", unit_amount: 5630, product_data: { name: `Order ${ADA.order_number}` } } }],
      client_reference_id: ADA.id,
      metadata: { order_id: ADA.id },
      payment_intent_data: { metadata: { order_id: ADA.id } },
      success_url: "https://shop.example/thanks",
    });
    const session = stripeFake!.paySession(created.id);
    const intent = session.payment_intent as string;
    const paid = await deliver("checkout.session.completed", session);
    expect(paid.status, JSON.stringify(paid.body)).toBe(200);
    expect(paid.body.outcome).toBe("confirmed");
    expect(await waitUntil(() => postmark!.sentTo(ADA.customer_email).length > 0, HANG_MS)).toBe(true);

    // The operator refunds 5.00: Stripe makes it; the ledger does not know it yet.
    const partial = await ops(["refund", String(ADA.order_number), "--amount", "5", "--note", "a bag of beans was open"]);
    expect(partial.code, partial.stderr).toBe(0);
    const [refund] = stripeFake!.refundsOf(intent);
    expect(refund).toMatchObject({ amount: 500, metadata: { order_id: ADA.id, note: "a bag of beans was open" } });
    expect(stripeFake!.requestsTo("POST", "/v1/refunds")[0]!.authorization).toBe(`Bearer ${STRIPE_KEY}`);
    expect(partial.stdout).toMatch(/It then emails ada@example\.com a credit note correcting invoice INV-\d{4}-000001\./);
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
    const isCreditNote = (r: { body?: { Subject: string } }) => /^Credit note CN-\d{4}-000001 for order #1001$/.test(r.body?.Subject ?? "");
    expect(await waitUntil(() => postmark!.sentTo(ADA.customer_email).some(isCreditNote), HANG_MS)).toBe(true);

    // The same command again refunds nothing more; the rest (now from the ledger) is 51.30.
    const again = await ops(["refund", String(ADA.order_number), "--amount", "5", "--note", "a bag of beans was open"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain("Already done");
    expect(stripeFake!.refundsOf(intent)).toHaveLength(1);
    const rest = await ops(["refund", String(ADA.order_number), "--note", "customer cancelled the rest", "--json"]);
    expect(rest.code, rest.stderr).toBe(0);
    expect(JSON.parse(rest.stdout)).toMatchObject({ refund: { amount_cents: 5130 }, refundable_before_cents: 5130 });
    const second = stripeFake!.refundsOf(intent)[1]!;
    expect((await deliver("refund.created", second)).body.outcome).toBe("order_refunded");
    const [order] = await queryD1<{ status: string }>(persistTo, `SELECT status FROM orders WHERE id = '${ADA.id}'`);
    expect(order).toEqual({ status: "CANCELLED" });

    // Nothing is left: refused before anything is sent.
    const posts = stripeFake!.requestsTo("POST", "/v1/refunds").length;
    const nothing = await ops(["refund", String(ADA.order_number), "--note", "once more"]);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toContain(`ops: order 1001 has no Stripe payment with anything left to refund: ${intent} (56.30 EUR, refunded in full, confirmed the order`);
    expect(stripeFake!.requestsTo("POST", "/v1/refunds")).toHaveLength(posts);
  });
});
