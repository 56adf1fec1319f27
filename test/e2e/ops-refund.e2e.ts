// `npm run ops -- refund` as an operator runs it: the real CLI, a local D1 of its own holding
// the ledger as the Worker writes it, and the fake Stripe API on loopback
// (test/e2e/support/fakeStripeServer.ts), which records what the official `stripe` client
// sends and answers as Stripe does (its own refundable remainder, Idempotency-Key replays,
// scripted errors). The payments exist at the fake too: each is a Checkout Session the test
// creates with the official client and the fake's customer pays.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Stripe from "stripe";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { stripeClientOptions } from "../../src/providers/stripe/stripeApiOptions";
import { STRIPE_ERRORS } from "../support/fakeStripeApi";
import { startFakeStripeServer, type FakeStripeServer } from "./support/fakeStripeServer";
import { runProcess } from "./support/runProcess";
import { loadSeedScript, ROOT, runWrangler } from "./support/wranglerDev";

const CLI_TIMEOUT_MS = 60_000;
const KEY = "sk_test_FAKE_ops_refund_e2e_not_a_real_key_4821";
const DEV_VARS_KEY = "rk_test_FAKE_dev_vars_e2e_not_a_real_key";

const EUR_ORDER = "5a0c1f0e-3b9a-4c1d-9a53-0d5e0f6b3001";
const PART_ORDER = "5a0c1f0e-3b9a-4c1d-9a53-0d5e0f6b3002";
const JPY_ORDER = "5a0c1f0e-3b9a-4c1d-9a53-0d5e0f6b3003";
const TWICE_ORDER = "5a0c1f0e-3b9a-4c1d-9a53-0d5e0f6b3004";
const GENERIC_ORDER = "5a0c1f0e-3b9a-4c1d-9a53-0d5e0f6b3005";
const ERROR_ORDER = "5a0c1f0e-3b9a-4c1d-9a53-0d5e0f6b3006";
const SESSION_ORDER = "5a0c1f0e-3b9a-4c1d-9a53-0d5e0f6b3007";
const USD_ORDER = "5a0c1f0e-3b9a-4c1d-9a53-0d5e0f6b3008";

let tempDir: string;
let persistTo: string;
let fake: FakeStripeServer;
/** The payment intents the fake's customer paid, by name. */
const pi: Record<"eur" | "part" | "jpy" | "first" | "second" | "error" | "usd", string> = { eur: "", part: "", jpy: "", first: "", second: "", error: "", usd: "" };

/** A paid payment at the fake: a session as the storefront makes it, paid by the customer. */
async function paidIntent(stripe: Stripe, orderId: string, amount: number, currency: string): Promise<string> {
  const session = await stripe.checkout.sessions.create({
    mode: "payment",
    line_items: [{ quantity: 1, price_data: { currency, unit_amount: amount, product_data: { name: "Order" } } }],
    payment_intent_data: { metadata: { order_id: orderId } },
    metadata: { order_id: orderId },
    success_url: "https://shop.example/thanks",
  });
  return fake.paySession(session.id).payment_intent as string;
}

function fixtureSql(): string {
  const now = Date.now();
  const order = (id: string, n: number, status: string, currency: string, email: string) =>
    `('${id}', ${n}, '${status}', '${email}', 'Customer ${n}', '${currency}', ${now - 3_600_000}, ${now - 7_200_000}, ${now - 3_600_000})`;
  const payment = (orderId: string, provider: string, ref: string, amount: number, currency: string, refunded: number, confirmed: 0 | 1, at: number) =>
    `('${orderId}', '${provider}', '${ref}', 'succeeded', ${amount}, '${currency}', ${refunded}, ${confirmed}, ${at}, ${at})`;
  return `
INSERT INTO products (id, name, price_cents, stock, stock_reserved) VALUES (1, 'Mug', 2815, 10, 0), (2, 'Matcha', 5000, 10, 0);
INSERT INTO orders (id, order_number, status, customer_email, customer_name, currency, confirmed_at, created_at, updated_at) VALUES
  ${order(EUR_ORDER, 3001, "CONFIRMED", "EUR", "ada@example.com")},
  ${order(PART_ORDER, 3002, "CONFIRMED", "EUR", "grace@example.com")},
  ${order(JPY_ORDER, 3003, "CONFIRMED", "JPY", "taro@example.com")},
  ${order(TWICE_ORDER, 3004, "CONFIRMED", "EUR", "alan@example.com")},
  ${order(GENERIC_ORDER, 3005, "CONFIRMED", "EUR", "edsger@example.com")},
  ${order(ERROR_ORDER, 3006, "CONFIRMED", "EUR", "barbara@example.com")},
  ${order(SESSION_ORDER, 3007, "CONFIRMED", "EUR", "donald@example.com")},
  ${order(USD_ORDER, 3008, "AWAITING_PAYMENT", "EUR", "frances@example.com")};
INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents) VALUES
  ('${EUR_ORDER}', 1, 2, 2815), ('${PART_ORDER}', 1, 2, 2815), ('${JPY_ORDER}', 2, 1, 5000), ('${TWICE_ORDER}', 1, 2, 2815),
  ('${GENERIC_ORDER}', 1, 2, 2815), ('${ERROR_ORDER}', 1, 2, 2815), ('${SESSION_ORDER}', 1, 2, 2815), ('${USD_ORDER}', 1, 2, 2815);
INSERT INTO payments (order_id, provider, provider_ref, status, amount_cents, currency, refunded_cents, confirmed_order, created_at, updated_at) VALUES
  ${payment(EUR_ORDER, "stripe", pi.eur, 5630, "EUR", 0, 1, now - 3_600_000)},
  ${payment(PART_ORDER, "stripe", pi.part, 5630, "EUR", 1000, 1, now - 3_600_000)},
  ${payment(JPY_ORDER, "stripe", pi.jpy, 5000, "JPY", 0, 1, now - 3_600_000)},
  ${payment(TWICE_ORDER, "stripe", pi.first, 5630, "EUR", 0, 1, now - 3_600_000)},
  ${payment(TWICE_ORDER, "stripe", pi.second, 5630, "EUR", 0, 0, now - 1_800_000)},
  ${payment(GENERIC_ORDER, "generic", "pay_generic_3005", 5630, "EUR", 0, 1, now - 3_600_000)},
  ${payment(ERROR_ORDER, "stripe", pi.error, 5630, "EUR", 0, 1, now - 3_600_000)},
  ${payment(SESSION_ORDER, "stripe", "cs_test_only_a_session_3007", 5630, "EUR", 0, 1, now - 3_600_000)},
  ${payment(USD_ORDER, "stripe", pi.usd, 5000, "USD", 0, 0, now - 3_600_000)};
INSERT INTO refunds (provider, refund_ref, payment_ref, amount_cents, currency, status, created_at, updated_at) VALUES
  ('stripe', 're_test_done_3002', '${pi.part}', 1000, 'EUR', 'succeeded', ${now - 1_800_000}, ${now - 1_800_000}),
  ('stripe', 're_test_pending_3002', '${pi.part}', 630, 'EUR', 'pending', ${now - 900_000}, ${now - 900_000});
INSERT INTO invoices (order_id, series, seq, number, status, attempts, message_id, sent_at, created_at, updated_at) VALUES
  ('${EUR_ORDER}', 'INV-2026', 1, 'INV-2026-000001', 'SENT', 1, 'b7bc2f4a-e38e-4336-af7d-e6c392c2f817', ${now - 3_600_000}, ${now - 3_600_000}, ${now - 3_600_000});
`;
}

/** The CLI with the key in its environment (or `env` instead), against the test's database. */
function ops(args: string[], env: NodeJS.ProcessEnv = { STRIPE_SECRET_KEY: KEY, STRIPE_API_URL: fake.url }) {
  const base = { ...process.env };
  delete base.STRIPE_SECRET_KEY;
  delete base.STRIPE_API_URL;
  return runProcess("npm", ["run", "--silent", "ops", "--", ...args, ...(args.includes("--remote") ? [] : ["--persist-to", persistTo])], {
    cwd: ROOT,
    env: {
      ...base,
      WRANGLER_SEND_METRICS: "false",
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      WRANGLER_HIDE_BANNER: "true",
      NO_COLOR: "1",
      DEV_VARS_PATH: path.join(tempDir, "no.dev.vars"),
      ...env,
    },
    timeoutMs: CLI_TIMEOUT_MS,
  });
}

const refundPosts = () => fake.requestsTo("POST", "/v1/refunds");

beforeAll(async () => {
  tempDir = mkdtempSync(path.join(tmpdir(), "e2e-ops-refund-"));
  persistTo = path.join(tempDir, "state");
  fake = await startFakeStripeServer();
  const stripe = new Stripe(KEY, stripeClientOptions(fake.url, { maxNetworkRetries: 0, timeoutMs: 10_000 }));
  pi.eur = await paidIntent(stripe, EUR_ORDER, 5630, "eur");
  pi.part = await paidIntent(stripe, PART_ORDER, 5630, "eur");
  pi.jpy = await paidIntent(stripe, JPY_ORDER, 5000, "jpy");
  pi.first = await paidIntent(stripe, TWICE_ORDER, 5630, "eur");
  pi.second = await paidIntent(stripe, TWICE_ORDER, 5630, "eur");
  pi.error = await paidIntent(stripe, ERROR_ORDER, 5630, "eur");
  // amount_mismatch: the EUR order was paid in dollars.
  pi.usd = await paidIntent(stripe, USD_ORDER, 5000, "usd");
  const seed = await loadSeedScript();
  seed.migrateLocal({ persistTo });
  await runWrangler(["d1", "execute", "DB", "--local", "--persist-to", persistTo, "--command", fixtureSql()]);
}, 180_000);

beforeEach(() => fake?.reset());

afterAll(async () => {
  await fake?.close();
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
});

describe("npm run ops -- refund", () => {
  it("refunds part of an order's payment: the official client's request carries the intent, the amount in cents, the note, an Idempotency-Key and the key", async () => {
    const run = await ops(["refund", "3001", "--amount", "12.50", "--note", "one mug arrived broken"]);
    expect(run.code, run.stderr).toBe(0);
    const [sent] = refundPosts();
    expect(sent).toMatchObject({
      form: { payment_intent: pi.eur, amount: "1250", metadata: { order_id: EUR_ORDER, note: "one mug arrived broken" } },
      authorization: `Bearer ${KEY}`,
      status: 200,
    });
    expect(sent!.idempotencyKey).toMatch(new RegExp(`^ops-refund:${pi.eur}:1250:[0-9a-f]{24}$`));
    const [refund] = fake.refundsOf(pi.eur);
    expect(refund).toMatchObject({ amount: 1250, currency: "eur", metadata: { order_id: EUR_ORDER, note: "one mug arrived broken" } });
    expect(run.stdout).toContain(`Refunded: Stripe made refund ${refund!.id} of 12.50 EUR for order 3001 (Stripe payment ${pi.eur})`);
    // What happens next, and where to see it: the command itself wrote nothing.
    expect(run.stdout).toContain("Stripe sends the refund's webhook and the Worker records it in the ledger (this command wrote nothing to the database).");
    expect(run.stdout).toContain("It then emails ada@example.com a credit note correcting invoice INV-2026-000001.");
    expect(run.stdout).toContain(`Follow it: npm run ops -- order 3001 --persist-to ${persistTo}`);
    expect(run.stdout).not.toContain(KEY);
  });

  it("the same command twice refunds once; the same amount with another note is a second refund", async () => {
    const again = await ops(["refund", "3001", "--amount", "12.50", "--note", "one mug arrived broken"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^Already done: Stripe had this command already \(same payment, amount and note, within 24 hours\)/);
    expect(again.stdout).toContain("No new refund was made.");
    expect(fake.refundsOf(pi.eur)).toHaveLength(1);
    expect(fake.chargeOf(pi.eur)!.amount_refunded).toBe(1250);

    // A trailing space is the same note (and the same parameters for Stripe's replay).
    const spaced = await ops(["refund", "3001", "--amount", "12.50", "--note", "one mug arrived broken  "]);
    expect(spaced.code, spaced.stderr).toBe(0);
    expect(spaced.stdout).toContain("Already done");
    expect(fake.refundsOf(pi.eur)).toHaveLength(1);

    const second = await ops(["refund", "3001", "--amount", "12.50", "--note", "the second mug broke too"]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain("Refunded: Stripe made refund");
    expect(fake.refundsOf(pi.eur).map((r) => r.amount)).toEqual([1250, 1250]);
    const keys = refundPosts().map((r) => r.idempotencyKey);
    expect(new Set(keys).size).toBe(2);
  });

  it("refuses more than what is left (the ledger's refunds and the pending ones), with both amounts, sending nothing", async () => {
    const run = await ops(["refund", "3002", "--amount", "50", "--note", "too much"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `ops: 50.00 EUR is more than what is left to refund of Stripe payment ${pi.part}: 40.00 EUR ` +
        "(paid 56.30 EUR, refunded 10.00 EUR, 6.30 EUR in refunds still pending). Nothing was refunded;",
    );
    expect(refundPosts()).toEqual([]);
  });

  it("without --amount refunds everything that is left", async () => {
    const run = await ops(["refund", "3002", "--note", "cancelled by the customer", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(refundPosts().map((r) => r.form.amount)).toEqual(["4000"]);
    const out = JSON.parse(run.stdout);
    expect(out).toMatchObject({
      refund: { amount_cents: 4000, currency: "EUR", payment_intent: pi.part, status: "succeeded" },
      replayed: false,
      order: { id: PART_ORDER, order_number: 3002, status: "CONFIRMED" },
      payment: { provider_ref: pi.part, amount_cents: 5630, refunded_cents: 1000, pending_refund_cents: 630, confirmed_order: true },
      refundable_before_cents: 4000,
      follow: `npm run ops -- order 3002 --persist-to ${persistTo}`,
    });
    expect(out.refund.id).toBe(fake.refundsOf(pi.part)[0]!.id);
    expect(out.idempotency_key).toBe(refundPosts()[0]!.idempotencyKey);
    // --json prints the JSON and nothing else.
    expect(run.stderr).toBe("");
  });

  it("takes a JPY amount in whole yen and refuses decimals, sending nothing for the refusal", async () => {
    const refused = await ops(["refund", "3003", "--amount", "1.5", "--note", "yen"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--amount: JPY has no decimals: "1.5" has 1, e.g. 5000; nothing was refunded');
    expect(refundPosts()).toEqual([]);

    const run = await ops(["refund", "3003", "--amount", "1500", "--note", "one tin short"]);
    expect(run.code, run.stderr).toBe(0);
    expect(refundPosts().map((r) => r.form.amount)).toEqual(["1500"]);
    expect(run.stdout).toContain("of 1,500 JPY for order 3003");
    expect(run.stdout).toContain("No credit note: the order has no invoice.");
  });

  it("a payment in another currency than the order's (amount_mismatch) is refunded in the payment's currency", async () => {
    const refused = await ops(["refund", "3008", "--amount", "60", "--note", "wrong currency"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`ops: 60.00 USD is more than what is left to refund of Stripe payment ${pi.usd}: 50.00 USD (paid 50.00 USD, refunded 0.00 USD)`);
    const run = await ops(["refund", "3008", "--note", "wrong currency"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`of 50.00 USD for order 3008 (Stripe payment ${pi.usd})`);
    expect(refundPosts().map((r) => r.form.amount)).toEqual(["5000"]);
    expect(fake.refundsOf(pi.usd)).toMatchObject([{ amount: 5000, currency: "usd" }]);
  });

  it("an order paid twice: the payment that did not confirm it, by default; --payment chooses the other", async () => {
    const run = await ops(["refund", "3004", "--note", "paid twice"]);
    expect(run.code, run.stderr).toBe(0);
    expect(refundPosts().map((r) => [r.form.payment_intent, r.form.amount])).toEqual([[pi.second, "5630"]]);
    expect(run.stdout).toContain(`for order 3004 (Stripe payment ${pi.second})`);
    expect(run.stdout).toContain(`order 3004 has two Stripe payments: this is the one that did not confirm it; --payment ${pi.first} refunds the one that did.`);
    expect(run.stdout).toContain("No credit note: this payment never confirmed the order, so it was never invoiced.");

    const chosen = await ops(["refund", "3004", "--payment", pi.first, "--amount", "1", "--note", "goodwill"]);
    expect(chosen.code, chosen.stderr).toBe(0);
    expect(refundPosts().at(-1)!.form).toMatchObject({ payment_intent: pi.first, amount: "100" });

    const unknown = await ops(["refund", "3004", "--payment", "pi_test_not_this_orders", "--note", "x"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`order 3004 has no Stripe payment pi_test_not_this_orders in the ledger; its Stripe payments: ${pi.first} (56.30 EUR`);
    expect(refundPosts()).toHaveLength(2);
  });

  it("refuses what it cannot refund through Stripe: a generic payment, a payment known only by its Checkout Session", async () => {
    const generic = await ops(["refund", "3005", "--note", "x"]);
    expect(generic.code).toBe(1);
    expect(generic.stderr).toContain("order 3005 has no Stripe payment in the ledger; it was paid through the generic webhook (pay_generic_3005");
    const session = await ops(["refund", "3007", "--note", "x"]);
    expect(session.code).toBe(1);
    expect(session.stderr).toContain("Stripe reported only the Checkout Session cs_test_only_a_session_3007 for this payment of order 3007, not its payment intent");
    expect(session.stderr).toContain("refund it in the Stripe dashboard");
    expect(refundPosts()).toEqual([]);
  });

  it("Stripe's 400 is shown with Stripe's message, escaped for the terminal", async () => {
    fake.answerNext(STRIPE_ERRORS.invalidRequest("This charge cannot be refunded \u001b]0;pwned\u0007 now.", "payment_intent", "charge_disputed"));
    const run = await ops(["refund", "3006", "--amount", "1", "--note", "x"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("ops: Stripe refused the refund (HTTP 400, charge_disputed): This charge cannot be refunded \\x1B]0;pwned\\x07 now. Nothing was refunded.");
    expect(run.stderr).not.toContain("\u001b");
    expect(fake.refundsOf(pi.error)).toEqual([]);
  });

  it("a 401 says the key is wrong or revoked, and never shows the key", async () => {
    fake.revokeKey(KEY);
    const run = await ops(["refund", "3006", "--amount", "1", "--note", "x"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("ops: Stripe refused STRIPE_SECRET_KEY from the environment (HTTP 401): the key is wrong or revoked. Nothing was refunded.");
    expect(run.stderr + run.stdout).not.toContain(KEY);
    expect(run.stderr + run.stdout).not.toContain(KEY.slice(-4));
    expect(refundPosts().map((r) => r.status)).toEqual([401]);
  });

  it("a 429 says to try again and that the same command is safe to repeat, and it is: one refund", async () => {
    fake.answerNext(STRIPE_ERRORS.rateLimited());
    const run = await ops(["refund", "3006", "--amount", "2", "--note", "rate limited"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("ops: Stripe is limiting requests (HTTP 429)");
    expect(run.stderr).toContain(
      `Try again in a minute; the same command is safe to repeat (its Idempotency-Key makes Stripe refund once): ` +
        `npm run ops -- refund 3006 --payment ${pi.error} --amount 2.00 --note 'rate limited' --persist-to ${persistTo}`,
    );
    const repeat = await ops(["refund", "3006", "--payment", pi.error, "--amount", "2.00", "--note", "rate limited"]);
    expect(repeat.code, repeat.stderr).toBe(0);
    expect(fake.refundsOf(pi.error).map((r) => r.amount)).toEqual([200]);
  });

  it("a 5xx is retried by the client with the same Idempotency-Key, then said to be safe to repeat", async () => {
    fake.answerNext(STRIPE_ERRORS.serverError(), STRIPE_ERRORS.serverError(), STRIPE_ERRORS.serverError());
    const run = await ops(["refund", "3006", "--amount", "3", "--note", "outage"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("ops: Stripe had a problem on its side (HTTP 500): An unknown error occurred. Try again in a minute; the same command is safe to repeat");
    const posts = refundPosts();
    expect(posts.map((r) => r.status)).toEqual([500, 500, 500]);
    expect(new Set(posts.map((r) => r.idempotencyKey)).size).toBe(1);

    // Once Stripe is back the same command refunds, once; a single 500 is absorbed by the client's retry.
    fake.answerNext(STRIPE_ERRORS.serverError());
    const repeat = await ops(["refund", "3006", "--amount", "3", "--note", "outage"]);
    expect(repeat.code, repeat.stderr).toBe(0);
    expect(fake.refundsOf(pi.error).map((r) => r.amount)).toEqual([200, 300]);
  });

  it("without a key it says where to put one and sends nothing; locally it reads .dev.vars", async () => {
    const none = await ops(["refund", "3006", "--amount", "1", "--note", "x"], {});
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("ops: STRIPE_SECRET_KEY is set neither in the environment nor in");
    expect(none.stderr).toContain("Nothing was refunded.");

    const remote = await ops(["refund", "3006", "--amount", "1", "--note", "x", "--remote"], {});
    expect(remote.code).toBe(1);
    expect(remote.stderr).toContain("ops: STRIPE_SECRET_KEY is not set: for --remote, set it in your environment");

    const publishable = await ops(["refund", "3006", "--amount", "1", "--note", "x"], { STRIPE_SECRET_KEY: "pk_test_FAKE_publishable_000000", STRIPE_API_URL: fake.url });
    expect(publishable.code).toBe(1);
    expect(publishable.stderr).toContain("STRIPE_SECRET_KEY must be a secret key");
    expect(publishable.stderr).not.toContain("pk_test_FAKE_publishable_000000");

    const plainHttp = await ops(["refund", "3006", "--amount", "1", "--note", "x"], { STRIPE_SECRET_KEY: KEY, STRIPE_API_URL: "http://stripe.example.com" });
    expect(plainHttp.code).toBe(1);
    expect(plainHttp.stderr).toContain("STRIPE_API_URL must be https://");
    expect(refundPosts()).toEqual([]);

    const devVars = path.join(tempDir, ".dev.vars");
    writeFileSync(devVars, `STRIPE_WEBHOOK_SECRET=whsec_local_dev_only_0000000000000000\nSTRIPE_SECRET_KEY=${DEV_VARS_KEY}\nSTRIPE_API_URL=${fake.url}\n`);
    const local = await ops(["refund", "3006", "--amount", "4", "--note", "from .dev.vars"], { DEV_VARS_PATH: devVars });
    expect(local.code, local.stderr).toBe(0);
    expect(refundPosts().map((r) => r.authorization)).toEqual([`Bearer ${DEV_VARS_KEY}`]);
  });

  it("bad arguments exit 2 before anything is read or sent", async () => {
    for (const args of [
      ["refund", "3006", "--amount", "1"],
      ["refund", "3006", "--note", "x", "--amount", "1,50"],
      ["refund", "3006", "--note", "x", "--amount", "-1"],
      ["refund", "3006", "--note", "x", "--payment", "pi_1; rm -rf ~"],
      ["refund", "--note", "x"],
      ["refund", "not-an-order", "--note", "x"],
    ]) {
      const run = await ops(args);
      expect(run.code, args.join(" ")).toBe(2);
    }
    expect(refundPosts()).toEqual([]);
  });

  it("--help lists the command", async () => {
    const run = await ops(["--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('refund ORDER --note "why" [--amount 12.50] [--payment pi_...]');
    expect(run.stdout).toContain("within 24 hours refunds once; a different --note makes a second refund");
  });
});
