// End to end over real HTTP: the real `wrangler dev` (local mode, its own state directory
// migrated and seeded with the demo data of `npm run dev`), real webhook requests, and a
// fake Postmark HTTP server on loopback that the Worker's queue consumer sends invoices to.
// Results are read from what the fake received and from the local D1.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Validator } from "@seriousme/openapi-schema-validator";
import { PDFDocument } from "@cantoo/pdf-lib";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runProcess } from "./support/runProcess";
import { startFakePostmarkServer, type FakePostmarkServer, type RecordedRequest } from "./support/fakePostmarkServer";
import {
  queryD1,
  ROOT,
  sleep,
  HANG_MS,
  startSeededWranglerDev,
  waitUntil,
  writeEnvFile,
  type WranglerDev,
  WRANGLER_ENV,
} from "./support/wranglerDev";

// Obviously fake values: nothing here is a real credential.
const POSTMARK_TOKEN = "e2e-fake-postmark-server-token";
const WEBHOOK_KEY = "e2e-fake-webhook-key-not-a-real-secret";
const FROM_EMAIL = "invoices@shop.example";
// Obviously fake secrets, so the CLI test can sign both ways.
const SIGNING_SECRET = `whsec_${Buffer.from("e2e-fake-signing-secret-32-bytes").toString("base64")}`;
const STRIPE_SECRET = "whsec_e2e_FAKE_stripe_000000000000000000";
/** The consumer's first retry delay (src/documents/sendDocument.ts). */
const FIRST_RETRY_SECONDS = 5;

interface DemoOrder {
  id: string;
  order_number: number;
  status: string;
  customer_name: string;
  customer_email: string;
  lines: [productId: number, quantity: number][];
}
interface DemoProduct {
  id: number;
  name: string;
  price_cents: number;
  stock: number;
}
const demo = (await import(pathToFileURL(path.join(ROOT, "scripts", "lib", "demoData.mjs")).href)) as {
  DEMO_ORDERS: DemoOrder[];
  DEMO_PRODUCTS: DemoProduct[];
};
const demoOrder = (n: number) => demo.DEMO_ORDERS[n - 1]!;
const ADA = demoOrder(1); // paid, then delivered again
const LUKASZ = demoOrder(2); // payment failed
const JUERGEN = demoOrder(4); // first Postmark attempt answers 500
const ALEX = demoOrder(5); // wrong key

interface State {
  orders: { id: string; status: string; confirmed_at: number | null }[];
  products: { id: number; stock: number; stock_reserved: number }[];
  invoices: { order_id: string; number: string; status: string; attempts: number; message_id: string | null; last_error: string | null }[];
  events: { order_id: string | null; payment_status: string; order_status: string | null; outcome: string; http_status: number; request_id: string }[];
}

const STATE_SQL = `SELECT
  (SELECT json_group_array(json_object('id', id, 'status', status, 'confirmed_at', confirmed_at)) FROM orders) AS orders,
  (SELECT json_group_array(json_object('id', id, 'stock', stock, 'stock_reserved', stock_reserved)) FROM products) AS products,
  (SELECT json_group_array(json_object('order_id', order_id, 'number', number, 'status', status, 'attempts', attempts,
     'message_id', message_id, 'last_error', last_error)) FROM invoices) AS invoices,
  (SELECT json_group_array(json_object('order_id', order_id, 'payment_status', payment_status, 'order_status', order_status,
     'outcome', outcome, 'http_status', http_status, 'request_id', request_id)) FROM webhook_events ORDER BY id) AS events`;

let fake: FakePostmarkServer | undefined;
let dev: WranglerDev | undefined;
let tempDir: string | undefined;
let persistTo: string;
let envFile: string;

async function readState(): Promise<State> {
  const [row] = await queryD1<Record<keyof State, string>>(persistTo, STATE_SQL);
  if (!row) throw new Error("no state row");
  return {
    orders: JSON.parse(row.orders),
    products: JSON.parse(row.products),
    invoices: JSON.parse(row.invoices),
    events: JSON.parse(row.events),
  };
}

/** Stock and reservations after the seed, minus the lines of the orders confirmed so far. */
function expectedProducts(confirmed: DemoOrder[]) {
  return demo.DEMO_PRODUCTS.map((p) => {
    const qty = (orders: DemoOrder[]) => orders.flatMap((o) => o.lines).filter(([id]) => id === p.id).reduce((s, [, q]) => s + q, 0);
    const awaiting = demo.DEMO_ORDERS.filter((o) => o.status === "AWAITING_PAYMENT");
    return { id: p.id, stock: p.stock - qty(confirmed), stock_reserved: qty(awaiting) - qty(confirmed) };
  });
}

/** key null: no X-Webhook-Key header at all. */
async function deliver(orderId: string, status: "paid" | "failed", key: string | null = WEBHOOK_KEY) {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (key !== null) headers["X-Webhook-Key"] = key;
  const res = await fetch(`${dev!.url}/api/webhooks/payment/`, {
    method: "POST",
    headers,
    body: JSON.stringify({ order_id: orderId, status }),
    signal: AbortSignal.timeout(HANG_MS),
  });
  return { status: res.status, requestId: res.headers.get("x-request-id"), body: (await res.json()) as Record<string, unknown> };
}

async function expectValidInvoicePdf(email: RecordedRequest, invoiceNumber: string) {
  const attachments = email.body?.Attachments ?? [];
  expect(attachments).toHaveLength(1);
  expect(attachments[0]!.Name).toBe(`invoice-${invoiceNumber}.pdf`);
  expect(attachments[0]!.ContentType).toBe("application/pdf");
  const bytes = Buffer.from(attachments[0]!.Content, "base64");
  expect(bytes.subarray(0, 5).toString("latin1")).toBe("%PDF-");
  const pdf = await PDFDocument.load(bytes, { updateMetadata: false });
  expect(pdf.getPageCount()).toBeGreaterThanOrEqual(1);
  expect(pdf.getTitle()).toContain(invoiceNumber);
}

beforeAll(async () => {
  fake = await startFakePostmarkServer({ token: POSTMARK_TOKEN });
  tempDir = mkdtempSync(path.join(tmpdir(), "e2e-webhook-"));
  persistTo = path.join(tempDir, "state");
  // Passed with --env-file: wrangler then reads neither .dev.vars nor .env of the checkout.
  envFile = path.join(tempDir, "e2e.env");
  writeEnvFile(envFile, {
    WEBHOOK_SECRET: WEBHOOK_KEY,
    WEBHOOK_SIGNING_SECRET: SIGNING_SECRET,
    STRIPE_WEBHOOK_SECRET: STRIPE_SECRET,
    POSTMARK_SERVER_TOKEN: POSTMARK_TOKEN,
    POSTMARK_API_URL: fake.url,
    INVOICE_FROM_EMAIL: FROM_EMAIL,
    // The Worker's log lines are printed when a test fails.
    LOG_LEVEL: "info",
  });


  dev = await startSeededWranglerDev({
    persistTo,
    envFile,
    readinessPath: "/api/webhooks/payment/",
  });
}, HANG_MS * 2);

afterAll(async () => {
  await dev?.stop();
  await fake?.close();
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
}, 60_000);

beforeEach(({ onTestFailed }) => {
  onTestFailed(() => {
    console.error(`--- wrangler dev output (tail) ---\n${dev?.output().slice(-8_000) ?? "(not started)"}`);
    console.error(`--- fake Postmark requests ---\n${JSON.stringify(fake?.requests.map((r) => ({ at: r.at, to: r.body?.To, status: r.status })), null, 1)}`);
  });
});

describe("payment webhook over real HTTP, wrangler dev, fake Postmark", () => {
  let adaInvoice = "";

  it("confirms a paid order and emails its invoice PDF once", async () => {
    const res = await deliver(ADA.id, "paid");
    expect(res.status).toBe(200);
    expect(res.requestId).toBeTruthy();
    expect(res.body).toMatchObject({ message: "Webhook received", outcome: "confirmed" });
    adaInvoice = String(res.body.invoice_number);
    expect(adaInvoice).toMatch(/^INV-\d{4}-\d{6}$/);

    expect(await waitUntil(() => fake!.sentTo(ADA.customer_email).length > 0, HANG_MS)).toBe(true);
    const emails = fake!.attemptsFor(ADA.customer_email);
    expect(emails).toHaveLength(1);
    const email = emails[0]!;
    expect(email.headers["x-postmark-server-token"]).toBe(POSTMARK_TOKEN);
    expect(email.body).toMatchObject({
      From: FROM_EMAIL,
      To: ADA.customer_email,
      Subject: `Your order #${ADA.order_number} - invoice ${adaInvoice}`,
      MessageStream: "outbound",
      Metadata: { invoice_number: adaInvoice, order_number: String(ADA.order_number) },
    });
    await expectValidInvoicePdf(email, adaInvoice);

    // The ledger records the send right after Postmark's answer: wait for that write, not a fixed time.
    let state = await readState();
    expect(await waitUntil(async () => (state = await readState()).invoices.find((i) => i.order_id === ADA.id)?.status === "SENT", HANG_MS, 500)).toBe(true);
    expect(state.orders.find((o) => o.id === ADA.id)).toMatchObject({ status: "CONFIRMED" });
    expect(state.invoices.find((i) => i.order_id === ADA.id)).toMatchObject({
      number: adaInvoice,
      status: "SENT",
      message_id: email.messageId,
    });
    expect(state.products).toEqual(expectedProducts([ADA]));
    expect(state.events.filter((e) => e.order_id === ADA.id)).toMatchObject([{ outcome: "confirmed", http_status: 200, request_id: res.requestId }]);
  });

  it("answers a duplicate delivery with `duplicate` and sends no second email", async () => {
    const before = fake!.requests.length;
    const res = await deliver(ADA.id, "paid");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ message: "Webhook received", outcome: "duplicate" });

    // Long enough for a (wrong) second job to be consumed: batches leave after ~1 s.
    await sleep(4_000);
    expect(fake!.attemptsFor(ADA.customer_email)).toHaveLength(1);
    expect(fake!.requests.length).toBe(before);
  });

  it("records a failed payment and changes nothing else", async () => {
    const res = await deliver(LUKASZ.id, "failed");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ message: "Webhook received", outcome: "payment_failed" });

    const state = await readState();
    expect(state.orders.find((o) => o.id === LUKASZ.id)).toMatchObject({ status: "AWAITING_PAYMENT", confirmed_at: null });
    expect(state.invoices.filter((i) => i.order_id === LUKASZ.id)).toEqual([]);
    expect(state.products).toEqual(expectedProducts([ADA]));
    expect(state.events.filter((e) => e.order_id === LUKASZ.id)).toMatchObject([
      { payment_status: "failed", order_status: "AWAITING_PAYMENT", outcome: "payment_failed", http_status: 200 },
    ]);
    expect(fake!.attemptsFor(LUKASZ.customer_email)).toEqual([]);
  });

  it("retries the invoice email after a Postmark 500 and delivers it once", async () => {
    fake!.failRecipient(JUERGEN.customer_email, 1);
    const res = await deliver(JUERGEN.id, "paid");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ outcome: "confirmed" });
    const invoiceNumber = String(res.body.invoice_number);

    expect(await waitUntil(() => fake!.sentTo(JUERGEN.customer_email).length > 0, FIRST_RETRY_SECONDS * 1000 + HANG_MS)).toBe(true);
    // A little longer: no third attempt may follow the successful one.
    await sleep(2_000);
    const attempts = fake!.attemptsFor(JUERGEN.customer_email);
    expect(attempts.map((a) => a.status)).toEqual([500, 200]);
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(FIRST_RETRY_SECONDS * 1000 - 500);
    expect(attempts[1]!.body?.Subject).toBe(`Your order #${JUERGEN.order_number} - invoice ${invoiceNumber}`);
    await expectValidInvoicePdf(attempts[1]!, invoiceNumber);

    // The SENT write follows Postmark's answer: wait for it rather than for a fixed time.
    let state = await readState();
    expect(await waitUntil(async () => (state = await readState()).invoices.find((i) => i.order_id === JUERGEN.id)?.status === "SENT", HANG_MS, 500)).toBe(true);
    expect(state.invoices.find((i) => i.order_id === JUERGEN.id)).toMatchObject({
      number: invoiceNumber,
      status: "SENT",
      attempts: 2,
      message_id: attempts[1]!.messageId,
      last_error: null,
    });
    expect(state.products).toEqual(expectedProducts([ADA, JUERGEN]));
  });

  it("refuses a wrong or missing key with 403 and changes nothing", async () => {
    for (const key of ["not-the-key", `${WEBHOOK_KEY}x`, "", null]) {
      const res = await deliver(ALEX.id, "paid", key);
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ error: "Unauthorized" });
    }

    const state = await readState();
    expect(state.orders.find((o) => o.id === ALEX.id)).toMatchObject({ status: "AWAITING_PAYMENT" });
    expect(state.events.filter((e) => e.order_id === ALEX.id)).toEqual([]);
    expect(state.invoices.map((i) => i.order_id).sort()).toEqual([ADA.id, JUERGEN.id].sort());
    expect(fake!.attemptsFor(ALEX.customer_email)).toEqual([]);
    // Every email the fake saw carried the configured token.
    expect(fake!.requests.every((r) => r.headers["x-postmark-server-token"] === POSTMARK_TOKEN)).toBe(true);
  });

  it("ran the Worker as built once: no second build restarted it under the tests", () => {
    expect(dev!.output()).not.toContain("restarting build");
    expect(dev!.output()).not.toContain("types might be out of date");
  });

  it("serves an OpenAPI document that a real OpenAPI validator accepts", async () => {
    const res = await fetch(`${dev!.url}/api/openapi.json`, { signal: AbortSignal.timeout(HANG_MS) });
    expect(res.status).toBe(200);
    const result = await new Validator().validate(await res.json());
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("npm run webhook signs a delivery, and --stripe sends a signed Stripe event, that the Worker accepts", async () => {
    // Its secrets from the same file wrangler dev got, instead of the checkout's .dev.vars.
    const run = async (args: string[]) => {
      const { code, stdout, stderr } = await runProcess(process.execPath, [path.join(ROOT, "scripts", "webhook.mjs"), ...args], {
        cwd: ROOT,
        env: { ...WRANGLER_ENV, DEV_VARS_PATH: envFile },
        timeoutMs: HANG_MS,
      });
      return { code, out: stdout + stderr };
    };
    const TARO = demoOrder(3);
    const signed = await run([TARO.id, "paid", "--url", `${dev!.url}/api/webhooks/payment/`]);
    expect(signed.out).toContain("(key + signature, json)");
    expect(signed.out).toContain('"outcome": "confirmed"');
    expect(signed.code).toBe(0);
    // Order 1006 is still PENDING in the demo data: Stripe's payment is told to come back.
    const GRACE = demoOrder(6);
    const stripe = await run([GRACE.id, "paid", "--stripe", "--amount-cents", "1300", "--currency", "eur", "--url", `${dev!.url}/api/webhooks/stripe`]);
    expect(stripe.out).toContain("stripe checkout.session.completed");
    expect(stripe.out).toContain("409 Conflict");
    expect(stripe.out).toContain('"outcome": "not_ready"');
    expect(stripe.code).toBe(1);
  }, HANG_MS * 2);
});
