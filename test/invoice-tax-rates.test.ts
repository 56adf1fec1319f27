// A line's VAT rate is fixed when its invoice is issued: the order API copies the product's
// rate onto the line, the confirming batch gives a line another tool wrote its product's rate
// (a trigger, so the paid webhook keeps its eight statements), and the consumer's first
// rendering gives what is left the shop's default and fixes PRICES_INCLUDE_TAX and
// INVOICE_TAX_NOTE on the invoice. A later change of a price, a rate or a setting never
// rewrites an issued invoice.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { readMailConfig } from "../src/config";
import { postmark } from "./support/fakePostmark";
import { invoiceJob, runQueue } from "./support/invoices";
import { newOrder, postOrder } from "./support/orders";
import { pdfText } from "./support/pdfText";
import { createOrder, createProduct, deliverWithEnv, invoicesOf, KEY } from "./support/shop";

beforeEach(() => postmark.reset());

async function productWithRate(rateBp: number | null, priceCents = 1000, name = "Taxed product") {
  const id = await createProduct({ stock: 100, reserved: 10, priceCents, name });
  await env.DB.prepare("UPDATE products SET tax_rate_bp = ? WHERE id = ?").bind(rateBp, id).run();
  return id;
}

const lineRates = async (orderId: string) =>
  (await env.DB.prepare("SELECT tax_rate_bp FROM order_items WHERE order_id = ? ORDER BY id").bind(orderId).all<{ tax_rate_bp: number | null }>())
    .results.map((r) => r.tax_rate_bp);

/** The real D1 binding, counting the statements of each batch the Worker sends. */
function countingDb() {
  const batches: number[] = [];
  const db = new Proxy(env.DB, {
    get(target, prop) {
      if (prop === "batch") return (statements: D1PreparedStatement[]) => (batches.push(statements.length), target.batch(statements));
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { db, batches };
}

const paid = (orderId: string) =>
  new Request("https://shop.test/api/webhooks/payment/", {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Webhook-Key": KEY },
    body: JSON.stringify({ order_id: orderId, status: "paid" }),
  });

async function sentPdfText(invoiceId: number, overrides: Partial<Env> = {}) {
  postmark.reset();
  const result = await runQueue("invoice-emails", [invoiceJob(invoiceId)], overrides);
  expect(result.retryMessages).toEqual([]);
  const attachment = postmark.received[0]?.body.Attachments[0];
  if (!attachment) throw new Error(`no email sent; invoice row: ${JSON.stringify(await env.DB.prepare("SELECT status, last_error FROM invoices WHERE id = ?").bind(invoiceId).first())}`);
  return pdfText(Uint8Array.from(atob(attachment.Content), (c) => c.charCodeAt(0)));
}

describe("the tax rate of an order line", () => {
  it("is copied from the product when the order API prices the line", async () => {
    const book = await productWithRate(700);
    const mug = await productWithRate(1900);
    const plain = await productWithRate(null);

    const { status, body } = await postOrder(newOrder([{ product_id: book, quantity: 1 }, { product_id: mug, quantity: 2 }, { product_id: plain, quantity: 1 }]));

    expect(status).toBe(201);
    expect(await lineRates(body.order_id)).toEqual([700, 1900, null]);
  });

  it("is the product's for a line another tool wrote, set by the confirming batch of eight statements", async () => {
    const book = await productWithRate(700);
    const plain = await productWithRate(null);
    const { id } = await createOrder({ lines: [{ productId: book, quantity: 1 }, { productId: plain, quantity: 1 }] });
    expect(await lineRates(id)).toEqual([null, null]);

    const { db, batches } = countingDb();
    expect(await (await deliverWithEnv({ DB: db }, paid(id))).json()).toMatchObject({ outcome: "confirmed" });

    expect(batches).toEqual([8]);
    // The product without a rate leaves the line for the shop's default, which only the consumer reads.
    expect(await lineRates(id)).toEqual([700, null]);
  });

  it("takes the shop's default at the first rendering, and the invoice keeps PRICES_INCLUDE_TAX and the note it was issued with", async () => {
    const plain = await productWithRate(null);
    const { id } = await createOrder({ lines: [{ productId: plain, quantity: 1, unitPriceCents: 1190 }] });
    await deliverWithEnv({}, paid(id));
    const [invoice] = await invoicesOf(id);

    await sentPdfText(invoice!.id, { INVOICE_TAX_RATE_PERCENT: "19", PRICES_INCLUDE_TAX: "true" } as Partial<Env>);

    expect(await lineRates(id)).toEqual([1900]);
    expect(await env.DB.prepare("SELECT prices_include_tax, tax_note FROM invoices WHERE id = ?").bind(invoice!.id).first()).toEqual({
      prices_include_tax: 1,
      tax_note: null,
    });
  });

  it("never changes once the order has an invoice (a tool that tries is refused)", async () => {
    const book = await productWithRate(700);
    const { id } = await createOrder({ lines: [{ productId: book, quantity: 1 }] });
    await env.DB.prepare("UPDATE order_items SET tax_rate_bp = 1900 WHERE order_id = ?").bind(id).run(); // before: allowed
    await deliverWithEnv({}, paid(id));

    await expect(env.DB.prepare("UPDATE order_items SET tax_rate_bp = 700 WHERE order_id = ?").bind(id).run()).rejects.toThrow(
      /never changed once the order has an invoice/,
    );
    expect(await lineRates(id)).toEqual([1900]);
  });

  it.each([["-1"], ["10001"], ["'nineteen'"], ["19.5"]])("refuses a product rate of %s", async (value) => {
    const p = await productWithRate(null);
    await expect(env.DB.prepare(`UPDATE products SET tax_rate_bp = ${value} WHERE id = ?`).bind(p).run()).rejects.toThrow(
      /tax_rate_bp must be NULL or whole basis points from 0 to 10000/,
    );
  });

  it("a later change of prices, rates or tax settings does not change the issued invoice when it is sent again", async () => {
    const book = await productWithRate(700, 2000, "The Coffee Book");
    const mug = await productWithRate(null, 1500, "Ceramic mug");
    const { id } = await createOrder({ lines: [{ productId: book, quantity: 1, unitPriceCents: 2000 }, { productId: mug, quantity: 2, unitPriceCents: 1500 }] });
    await deliverWithEnv({}, paid(id));
    const [invoice] = await invoicesOf(id);
    const issued = await sentPdfText(invoice!.id, { INVOICE_TAX_RATE_PERCENT: "19", PRICES_INCLUDE_TAX: "true" } as Partial<Env>);
    expect(issued).toMatch(/\n19%\n€25\.21\n€4\.79\n€30\.00\n/);
    expect(issued).toMatch(/\n7%\n€18\.69\n€1\.31\n€20\.00\n/);

    // Everything a shop could change afterwards: the products, and every tax setting.
    await env.DB.batch([
      env.DB.prepare("UPDATE products SET price_cents = 9999, tax_rate_bp = 1900 WHERE id = ?").bind(book),
      env.DB.prepare("UPDATE products SET price_cents = 1, tax_rate_bp = 700 WHERE id = ?").bind(mug),
      env.DB.prepare("UPDATE invoices SET status = 'PENDING', lease_until = NULL, lease_token = NULL WHERE id = ?").bind(invoice!.id),
    ]);
    const resent = await sentPdfText(invoice!.id, {
      INVOICE_TAX_RATE_PERCENT: "7",
      PRICES_INCLUDE_TAX: "false",
      INVOICE_TAX_NOTE: "No VAT charged under §19 UStG.",
    } as Partial<Env>);

    expect(resent).toBe(issued);
  });

  it("an invoice whose line has no rate at all, in a shop with neither a default nor a tax note, is held for a human, not sent with a guess", async () => {
    const plain = await productWithRate(null);
    const { id } = await createOrder({ lines: [{ productId: plain, quantity: 1 }] });
    await deliverWithEnv({}, paid(id));
    const [invoice] = await invoicesOf(id);

    const result = await runQueue("invoice-emails", [invoiceJob(invoice!.id)], { INVOICE_TAX_RATE_PERCENT: "" } as Partial<Env>);

    expect(result.retryMessages).toEqual([]);
    expect(postmark.received).toEqual([]);
    const row = await env.DB.prepare("SELECT status, last_error FROM invoices WHERE id = ?").bind(invoice!.id).first<{ status: string; last_error: string }>();
    expect(row!.status).toBe("FAILED");
    expect(row!.last_error).toMatch(/line 1 has no tax rate: set the product's tax_rate_bp or INVOICE_TAX_RATE_PERCENT/);
    const item = await env.DB.prepare("SELECT kind FROM attention_items WHERE invoice_id = ? AND resolved_at IS NULL").bind(invoice!.id).first<{ kind: string }>();
    expect(item?.kind).toBe("invoice_failed");
    expect(await lineRates(id)).toEqual([null]);
  });

  it.each([
    [{ PRICES_INCLUDE_TAX: "yes" }, /PRICES_INCLUDE_TAX must be "true"/],
    [{ INVOICE_TAX_RATE_PERCENT: "19,5" }, /INVOICE_TAX_RATE_PERCENT must be a percentage such as 19 or 8.1/],
  ])("a malformed tax setting %o keeps the invoice for a retry, naming the setting, and never fails a payment", async (overrides, message) => {
    const book = await productWithRate(700);
    const { id } = await createOrder({ lines: [{ productId: book, quantity: 1 }] });
    expect(await (await deliverWithEnv(overrides as Partial<Env>, paid(id))).json()).toMatchObject({ outcome: "confirmed" });
    const [invoice] = await invoicesOf(id);

    const result = await runQueue("invoice-emails", [invoiceJob(invoice!.id)], overrides as Partial<Env>);

    expect(result.retryMessages).toHaveLength(1);
    expect(postmark.received).toEqual([]);
    const row = await env.DB.prepare("SELECT status FROM invoices WHERE id = ?").bind(invoice!.id).first<{ status: string }>();
    expect(row!.status).toBe("PENDING");
    expect(() => readMailConfig({ ...env, ...overrides })).toThrow(message);
  });

  it("reads the seller's and the shop's tax settings in the consumer's config, each checked", () => {
    const config = readMailConfig({
      ...env,
      SELLER_COUNTRY: "DE",
      SELLER_TAX_NUMBER: "30/123/45678",
      SELLER_REGISTER: "Amtsgericht Berlin HRB 1",
      SELLER_CONTACT: "Phone 1 | www.example",
      INVOICE_TAX_RATE_PERCENT: "8.1",
      PRICES_INCLUDE_TAX: "false",
      INVOICE_TAX_NOTE: "",
    });
    expect(config.invoice).toMatchObject({ taxRatePercent: 8.1, pricesIncludeTax: false, taxNote: undefined });
    expect(config.invoice.seller).toMatchObject({
      countryCode: "DE",
      taxNumber: "30/123/45678",
      registerEntry: "Amtsgericht Berlin HRB 1",
      contactLines: ["Phone 1", "www.example"],
    });
    expect(() => readMailConfig({ ...env, SELLER_COUNTRY: "Germany" })).toThrow(/SELLER_COUNTRY must be a two-letter ISO 3166-1 code/);
    expect(() => readMailConfig({ ...env, INVOICE_TAX_RATE_PERCENT: "101" })).toThrow(/at most 100/);
  });
});
