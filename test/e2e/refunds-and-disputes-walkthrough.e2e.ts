// The walk-through a new user follows in the README ("Refunds and disputes"), run as they run
// it against the real `wrangler dev`: pay a demo order through Stripe, refund part of it, open
// a dispute, refund the rest, lose the dispute, and read each step in `npm run ops -- order`
// and `npm run ops -- attention`. The CLIs are the real ones (scripts/webhook.mjs signs with
// the `stripe` package; scripts/ops.mjs reads the same local D1 through wrangler).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runProcess } from "./support/runProcess";
import { startFakePostmarkServer, type FakePostmarkServer } from "./support/fakePostmarkServer";
import { queryD1, ROOT, startSeededWranglerDev, writeEnvFile, type WranglerDev, WRANGLER_ENV } from "./support/wranglerDev";

// Obviously fake values: nothing here is a real credential.
const POSTMARK_TOKEN = "e2e-fake-postmark-server-token";
const WEBHOOK_KEY = "e2e-fake-webhook-key-not-a-real-secret";
const STRIPE_SECRET = "whsec_e2e_FAKE_stripe_000000000000000000";

const demo = (await import(pathToFileURL(path.join(ROOT, "scripts", "lib", "demoData.mjs")).href)) as {
  DEMO_ORDERS: { id: string; order_number: number; lines: [number, number][] }[];
  DEMO_PRODUCTS: { id: number; price_cents: number; stock: number }[];
};
// Ada's order 1001: 2 x Espresso beans 24.90 + 1 x Paper filters 6.50 = 56.30 EUR.
const ADA = demo.DEMO_ORDERS[0]!;
const TOTAL = 5630;

let fake: FakePostmarkServer | undefined;
let dev: WranglerDev | undefined;
let tempDir: string | undefined;
let persistTo: string;
let envFile: string;

beforeAll(async () => {
  fake = await startFakePostmarkServer({ token: POSTMARK_TOKEN });
  tempDir = mkdtempSync(path.join(tmpdir(), "e2e-refunds-"));
  persistTo = path.join(tempDir, "state");
  envFile = path.join(tempDir, "e2e.env");
  writeEnvFile(envFile, {
    WEBHOOK_SECRET: WEBHOOK_KEY,
    STRIPE_WEBHOOK_SECRET: STRIPE_SECRET,
    POSTMARK_SERVER_TOKEN: POSTMARK_TOKEN,
    POSTMARK_API_URL: fake.url,
    INVOICE_FROM_EMAIL: "invoices@shop.example",
    LOG_LEVEL: "info",
  });
  dev = await startSeededWranglerDev({
    persistTo,
    envFile,
    readinessPath: "/api/webhooks/payment/",
    readyTimeoutMs: 45_000,
  });
}, 75_000);

afterAll(async () => {
  await dev?.stop();
  await fake?.close();
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
}, 20_000);

beforeEach(({ onTestFailed }) => {
  onTestFailed(() => console.error(`--- wrangler dev output (tail) ---\n${dev?.output().slice(-8_000) ?? "(not started)"}`));
});

async function run(script: "webhook" | "ops", args: string[]) {
  const extra = script === "webhook" ? ["--url", `${dev!.url}/api/webhooks/stripe`, "--persist-to", persistTo] : ["--persist-to", persistTo];
  const { code, stdout, stderr } = await runProcess(process.execPath, [path.join(ROOT, "scripts", `${script}.mjs`), ...args, ...extra], {
    cwd: ROOT,
    env: { ...WRANGLER_ENV, DEV_VARS_PATH: envFile, NO_COLOR: "1" },
    timeoutMs: 45_000,
  });
  return { code, out: stdout + stderr };
}
const webhook = (...args: string[]) => run("webhook", [ADA.id, ...args, "--stripe"]);
const orderStory = () => run("ops", ["order", String(ADA.order_number)]);
const stock = async () => queryD1<{ id: number; stock: number }>(persistTo, "SELECT id, stock FROM products WHERE id IN (1, 3) ORDER BY id");

describe("refunds and disputes, as a new user walks through them", () => {
  it("pay, refund 5.00, dispute, refund the rest, lose the dispute: each step in npm run ops", async () => {
    const paid = await webhook("paid");
    expect(paid.out).toContain('"outcome": "confirmed"');
    expect(paid.code).toBe(0);
    const stockAfterPayment = await stock();

    const partial = await webhook("refund", "--amount-cents", "500");
    expect(partial.out).toContain("stripe refund.created");
    expect(partial.out).toContain('"outcome": "refund_recorded"');
    expect(partial.out).toMatch(/"credit_note_number": "CN-\d{4}-000001"/);
    expect(partial.out).toContain("stripe charge.refunded");
    expect(partial.code).toBe(0);
    let story = await orderStory();
    expect(story.code).toBe(0);
    expect(story.out).toContain("CONFIRMED");
    expect(story.out).toMatch(/stripe pi_test_cli\w+: succeeded, 56\.30 EUR, refunded 5\.00 EUR, confirmed this order/);
    expect(story.out).toMatch(/refund re_test_cli\w+: 5\.00 EUR succeeded/);
    expect(story.out).toMatch(/credit note CN-\d{4}-000001: 5\.00 EUR/);

    const disputed = await webhook("dispute");
    expect(disputed.out).toContain('"outcome": "dispute_recorded"');
    expect(disputed.code).toBe(0);
    const attention = await run("ops", ["attention"]);
    expect(attention.out).toContain("dispute");
    expect(attention.out).toContain("product_not_received");
    expect(attention.out).toMatch(/answer the dispute in the Stripe dashboard before \d{4}-\d{2}-\d{2}/);
    story = await orderStory();
    expect(story.out).toMatch(/dispute du_test_cli\w+: 56\.30 EUR needs_response \(product_not_received\), evidence due/);

    const rest = await webhook("refund");
    expect(rest.out).toContain('"outcome": "order_refunded"');
    expect(rest.out).toMatch(/"credit_note_number": "CN-\d{4}-000002"/);
    story = await orderStory();
    expect(story.out).toContain("CANCELLED");
    expect(story.out).toContain("refunded in full 56.30 EUR");
    expect(story.out).toContain("order cancelled: its payment was refunded in full, its goods went back to stock");
    expect(story.out).toMatch(/credit note CN-\d{4}-000002: 51\.30 EUR/);
    // Espresso beans x2 and filters x1 are back on the shelf.
    expect(await stock()).toEqual(stockAfterPayment.map((p) => ({ id: p.id, stock: p.stock + (p.id === 1 ? 2 : 1) })));
    // Nothing more to refund: the CLI says so instead of sending what Stripe would refuse.
    const nothingLeft = await webhook("refund");
    expect(nothingLeft.code).toBe(1);
    expect(nothingLeft.out).toContain("does not fit");

    const lost = await webhook("dispute", "--dispute-status", "lost");
    expect(lost.out).toContain("stripe charge.dispute.closed");
    expect((await run("ops", ["attention"])).out).toContain("the money is gone");

    const ledger = await queryD1(persistTo, `SELECT status, amount_cents, refunded_cents, confirmed_order FROM payments WHERE order_id = '${ADA.id}'`);
    expect(ledger).toEqual([{ status: "succeeded", amount_cents: TOTAL, refunded_cents: TOTAL, confirmed_order: 1 }]);
  }, 240_000);
});
