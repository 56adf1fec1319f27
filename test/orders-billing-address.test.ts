// POST /api/orders takes the customer's billing address and the date of supply (issue 19):
// validated (a clear 400, nothing written), stored, answered by every order operation, and
// printed on the invoice. What a customer typed stays data: control characters and
// bidirectional overrides are refused, as in customer_name.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { postmark } from "./support/fakePostmark";
import { invoiceJob, runQueue } from "./support/invoices";
import { callOrders, countRows, newOrder, postOrder } from "./support/orders";
import { pdfText } from "./support/pdfText";
import { createProduct, deliverWithEnv, invoicesOf, KEY } from "./support/shop";

beforeEach(() => postmark.reset());

const address = {
  name: "Łukasz Żółć",
  company: "山田商事株式会社",
  line1: "ul. Marszałkowska 1",
  line2: "lok. 12",
  postal_code: "00-001",
  city: "Warszawa",
  country: "pl",
  vat_id: "pl1234567890",
};

async function product() {
  const id = await createProduct({ stock: 100, priceCents: 2000, name: "The Coffee Book" });
  await env.DB.prepare("UPDATE products SET tax_rate_bp = 700 WHERE id = ?").bind(id).run();
  return id;
}

describe("the billing address of an order", () => {
  it("is stored and answered by POST and GET, country and VAT id in capitals, and printed on the invoice with the date of supply", async () => {
    const p = await product();
    const { status, body } = await postOrder(newOrder([{ product_id: p, quantity: 1 }], { billing_address: address, supply_date: "2026-11-27" }));

    expect(status).toBe(201);
    const stored = { ...address, country: "PL", vat_id: "PL1234567890" };
    expect(body.billing_address).toEqual(stored);
    expect(body.supply_date).toBe("2026-11-27");
    expect(body.lines).toMatchObject([{ tax_rate_bp: 700 }]);
    const read = await (await callOrders("GET", `/${body.order_id}`)).json();
    expect(read).toMatchObject({ billing_address: stored, supply_date: "2026-11-27" });

    await deliverWithEnv(
      {},
      new Request("https://shop.test/api/webhooks/payment/", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Webhook-Key": KEY },
        body: JSON.stringify({ order_id: body.order_id, status: "paid", payment_id: "txn_billing_1" }),
      }),
    );
    const [invoice] = await invoicesOf(body.order_id);
    await runQueue("invoice-emails", [invoiceJob(invoice!.id)]);
    const attachment = postmark.received[0]!.body.Attachments[0]!;
    const text = await pdfText(Uint8Array.from(atob(attachment.Content), (c) => c.charCodeAt(0)));
    const block = text.slice(text.indexOf("BILL TO"), text.indexOf("Description")).replace(/\n/g, "");
    expect(block).toBe(
      ["BILL TO", "Łukasz Żółć", "山田商事株式会社", "ul. Marszałkowska 1", "lok. 12", "00-001 Warszawa", "Poland", "VAT ID: PL1234567890", "shopper@example.test"].join(""),
    );
    expect(text).toMatch(/Date of supply\n27 November 2026/);
    expect(text).toContain("via the payment provider, reference txn_billing_1.");
  });

  it("is null when the shop sends none, and empty parts count as absent", async () => {
    const p = await product();
    const none = await postOrder(newOrder([{ product_id: p, quantity: 1 }]));
    const blank = await postOrder(newOrder([{ product_id: p, quantity: 1 }], { billing_address: { city: "  ", line1: "" } }));

    expect(none.body).toMatchObject({ billing_address: null, supply_date: null });
    expect(blank.status).toBe(201);
    expect(blank.body.billing_address).toBeNull();
  });

  it.each([
    ["a newline in the street", { billing_address: { line1: "Main St 1\nInjected: line" } }, "billing_address.line1", /control characters/],
    ["a right-to-left override in the company", { billing_address: { company: "ACME \u202eevil" } }, "billing_address.company", /bidirectional override/],
    ["a country that is not a code", { billing_address: { country: "Germany" } }, "billing_address.country", /two-letter ISO 3166-1/],
    ["a VAT id with spaces only inside", { billing_address: { vat_id: "DE 12<script>" } }, "billing_address.vat_id", /letters and digits/],
    ["a field the API does not know", { billing_address: { street: "Main St 1" } }, "billing_address", /street|Unrecognized/i],
    ["a city too long to print", { billing_address: { city: "x".repeat(101) } }, "billing_address.city", /at most 100/],
    ["a supply date that does not exist", { supply_date: "2026-02-30" }, "supply_date", /exists/],
    ["a supply date that is not a date", { supply_date: "27.11.2026" }, "supply_date", /YYYY-MM-DD/],
  ])("refuses %s with a 400 naming the field, and writes nothing", async (_, extra, field, message) => {
    const p = await product();
    const before = await countRows();

    const { status, body } = await postOrder(newOrder([{ product_id: p, quantity: 1 }], extra));

    expect(status).toBe(400);
    expect(body.error).toBe("Invalid order");
    const detail = (body.details as { field: string; message: string }[]).find((d) => d.field.startsWith(field));
    expect(detail, JSON.stringify(body.details)).toBeDefined();
    expect(detail!.message).toMatch(message);
    expect(await countRows()).toEqual(before);
  });
});
