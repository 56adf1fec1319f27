// What the operator reads about an attention item (src/attention/describeAttention.ts), in
// the terminal and in the alert email: what happened in the shop's words and what to do,
// never the database's words ("UNIQUE constraint failed") or a provider we cannot name.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { ATTENTION_SELECT } from "../src/attention/attentionQuery";
import { describeAttention, type AttentionRow } from "../src/attention/describeAttention";
import { postmark } from "./support/fakePostmark";
import { captureQueue, runQueue } from "./support/invoices";
import { attentionOf, createOrder, createProduct, deliverWithEnv, webhookRequest } from "./support/shop";

beforeEach(() => postmark.reset());

const row = (over: Partial<AttentionRow>): AttentionRow => ({
  id: 7,
  kind: "data_error",
  order_id: "6f1c1f0e-3b9a-4c1d-9a53-0d5e0f6b1042",
  invoice_id: null,
  detail: null,
  created_at: 0,
  resolved_at: null,
  resolved_by: null,
  resolution_note: null,
  order_number: 1042,
  order_status: "AWAITING_PAYMENT",
  customer_email: "ada@example.com",
  customer_name: "Ada Lovelace",
  currency: "EUR",
  order_total_cents: 5630,
  invoice_number: null,
  provider: "generic",
  provider_ref: null,
  delivery_id: null,
  ...over,
});

/** Every data_error reason the code records (src/orders/applyPayment.ts, migration 0002's triggers, the UNIQUE indexes). */
const DATA_ERRORS: [string, string, RegExp, RegExp][] = [
  [
    "an order put back to awaiting payment after it was invoiced",
    "UNIQUE constraint failed: invoices.order_id",
    /order 1042 was paid, but it had been paid and invoiced before and was then put back to awaiting payment/,
    /set the order back to CONFIRMED/,
  ],
  [
    "an invoice number taken by a row written elsewhere",
    "UNIQUE constraint failed: invoices.series, invoices.seq",
    /next invoice number of its series is already taken/,
    /remove or renumber that invoice/,
  ],
  [
    "an old line with a fractional quantity",
    "an order line has a quantity or unit price that is not a whole number in range",
    /one of its lines has a quantity or a unit price that is not a whole number/,
    /correct that line of order 1042/,
  ],
  [
    "a line refused by the row guard",
    "order_items: quantity must be a whole number from 1 to 1000000 and unit_price_cents a whole number of cents from 0 to 10000000000",
    /one of its lines has a quantity or a unit price/,
    /correct that line of order 1042/,
  ],
  [
    "a product refused by the row guard",
    "products: stock, stock_reserved and price_cents must be whole numbers",
    /a product on it has a stock, reserved count or price that is not a whole number/,
    /correct that product's stock/,
  ],
];

describe("the words of an attention item", () => {
  it.each(DATA_ERRORS)("data_error from %s says what happened and what to do", (_, reason, happened, action) => {
    const words = describeAttention(row({ detail: reason }));
    expect(words.happened).toMatch(happened);
    expect(words.action).toMatch(action);
    expect(`${words.happened} ${words.action}`).not.toMatch(/constraint|fix the rows/i);
    // Every data_error ends with the way out that costs the customer nothing more.
    expect(words.action).toContain("refund 56.30 EUR to ada@example.com");
  });

  it("a data_error the code does not know still says what the database refused, for whoever corrects it", () => {
    const words = describeAttention(row({ detail: "CHECK constraint failed: orders_status_valid" }));
    expect(words.happened).toContain("the database said: CHECK constraint failed: orders_status_valid");
    expect(words.action).toContain("npm run ops -- order 1042");
  });

  it("a payment for an unknown order names where to find it: Stripe's dashboard, or the provider's records", () => {
    const generic = describeAttention(row({ kind: "not_found", order_number: null, provider: "generic" }));
    expect(generic.action).toContain("find the payment in your payment provider's records");
    expect(`${generic.happened} ${generic.action}`).not.toMatch(/generic/);
    const stripe = describeAttention(row({ kind: "unmatched_payment", order_number: null, provider: "stripe", provider_ref: "pi_3QxUnmatched" }));
    expect(stripe.happened).toContain("(Stripe payment pi_3QxUnmatched)");
    expect(stripe.action).toContain("find the payment pi_3QxUnmatched in the Stripe dashboard");
  });

  // Issue 18: the items that ask for a refund suggest `npm run ops -- refund`, naming the very
  // payment, only when the payment is a Stripe payment intent (what that command can refund).
  it.each([
    ["refund_required", null, "paid after the order was cancelled"],
    ["paid_twice", JSON.stringify({ confirmed_by: "pi_3QxFirst" }), "paid twice"],
    ["amount_mismatch", JSON.stringify({ paid_cents: 5000, paid_currency: "EUR", order_cents: 5630, order_currency: "EUR" }), "paid the wrong amount"],
  ] as const)("%s about a Stripe payment suggests the refund command with the order number and the payment", (kind, detail, note) => {
    const words = describeAttention(row({ kind, detail, provider: "stripe", provider_ref: "pi_3QxSecond" }));
    expect(words.action).toMatch(new RegExp(`; to refund it: npm run ops -- refund 1042 --payment pi_3QxSecond --note "${note}"$`));
    // Without an order number the command takes the order's id.
    const byId = describeAttention(row({ kind, detail, provider: "stripe", provider_ref: "pi_3QxSecond", order_number: null }));
    expect(byId.action).toContain("npm run ops -- refund 6f1c1f0e-3b9a-4c1d-9a53-0d5e0f6b1042 --payment pi_3QxSecond");
  });

  it.each(["refund_required", "paid_twice", "amount_mismatch"] as const)(
    "%s suggests no refund command for what the command cannot refund: a generic payment, a Checkout Session, an id unsafe to paste",
    (kind) => {
      for (const over of [
        { provider: "generic", provider_ref: "pay_123" },
        { provider: "generic", provider_ref: null },
        { provider: "stripe", provider_ref: "cs_test_a1b2c3" },
        { provider: "stripe", provider_ref: null },
        { provider: "stripe", provider_ref: "pi_123; rm -rf ~" },
      ]) {
        const words = describeAttention(row({ kind, detail: null, ...over }));
        expect(words.action, JSON.stringify(over)).not.toContain("npm run ops -- refund");
      }
    },
  );

  it("an invoice that failed on its address says which column of which order to correct", () => {
    const words = describeAttention(
      row({
        kind: "invoice_failed",
        customer_email: "ada@example.com, someone@else.example",
        invoice_number: "INV-2026-000042",
        detail: "customer_email is not exactly one valid email address: fix it on the order, then `npm run ops -- resend-invoice`",
      }),
    );
    expect(words.action).toBe(
      'correct the customer\'s address (the customer_email of order 1042, now "ada@example.com, someone@else.example") to one email address, then: npm run ops -- resend-invoice INV-2026-000042',
    );
  });

  it("the alert email about a reopened order tells the story in the shop's words", async () => {
    const p = await createProduct({ stock: 10, reserved: 2 });
    const { id, orderNumber } = await createOrder({ lines: [{ productId: p, quantity: 1 }], customerEmail: "ada@example.test" });
    const { queue } = captureQueue();
    await deliverWithEnv({ INVOICE_QUEUE: queue }, webhookRequest({ order_id: id, status: "paid" }));
    await env.DB.prepare("UPDATE orders SET status = 'AWAITING_PAYMENT' WHERE id = ?").bind(id).run();
    expect((await deliverWithEnv({ INVOICE_QUEUE: queue }, webhookRequest({ order_id: id, status: "paid" }))).status).toBe(422);
    const [item] = await attentionOf(id);

    const listed = await env.DB.prepare(`${ATTENTION_SELECT} WHERE a.id = ?`).bind(item!.id).first<AttentionRow>();
    expect(describeAttention(listed!).happened).toContain(`order ${orderNumber} was paid, but it had been paid and invoiced before`);

    await runQueue("invoice-emails", [{ kind: "alert", itemId: item!.id }], { OPS_ALERT_EMAIL: "ops@shop.example" } as Partial<Env>);
    const [email] = postmark.received.filter((e) => e.body.Metadata?.attention_item === String(item!.id));
    expect(email!.body.TextBody).toContain("put back to awaiting payment");
    expect(email!.body.TextBody).not.toMatch(/constraint|fix the rows/i);
  });
});
