// Other tools write orders, order_items and products. The migrations' row guards refuse rows
// that would break the arithmetic, and whatever still breaks a rule at confirmation time
// (rows written before the guards, an order put back to AWAITING_PAYMENT that already has
// an invoice) is recorded for a human as data_error and answered 422, never a looping 500.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { attentionOf, createOrder, createProduct, deliver, eventsOf, invoicesOf, order, product } from "./support/shop";

/** Runs `write` with the order_items guards lifted, as rows written before migration 0002 were. */
async function withoutLineGuards(write: () => Promise<unknown>) {
  const { results } = await env.DB.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'order_items' AND name LIKE 'order_items_guard_%'").all<{
    name: string;
    sql: string;
  }>();
  expect(results.length).toBe(2);
  for (const t of results) await env.DB.prepare(`DROP TRIGGER ${t.name}`).run();
  try {
    await write();
  } finally {
    for (const t of results) await env.DB.prepare(t.sql).run();
  }
}

async function awaitingOrderWithLine(quantity: unknown, unitPrice: unknown = 1000) {
  const p = await createProduct({ stock: 10, reserved: 5 });
  const { id } = await createOrder({});
  await withoutLineGuards(() =>
    env.DB.prepare("INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents) VALUES (?, ?, ?, ?)").bind(id, p, quantity, unitPrice).run(),
  );
  return { id, p };
}

describe("rows that other tools write", () => {
  it.each([
    ["a fractional quantity", 0.5, 1000],
    ["a text quantity", "abc", 1000],
    ["a zero quantity", 0, 1000],
    ["a quantity past the bound", 1_000_001, 1000],
    ["a fractional unit price", 1, 9.99],
    ["a negative unit price", 1, -1],
  ])("an order line with %s is refused when written", async (_, quantity, price) => {
    const p = await createProduct({ stock: 10 });
    const { id } = await createOrder({});
    await expect(
      env.DB.prepare("INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents) VALUES (?, ?, ?, ?)").bind(id, p, quantity, price).run(),
    ).rejects.toThrow(/order_items: quantity must be a whole number/);
  });

  it("a numeric string is stored as the integer it is (column affinity), so it passes", async () => {
    const p = await createProduct({ stock: 10 });
    const { id } = await createOrder({});
    await env.DB.prepare("INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents) VALUES (?, ?, '3', '250')").bind(id, p).run();
    const row = await env.DB.prepare("SELECT typeof(quantity) AS t FROM order_items WHERE order_id = ?").bind(id).first<{ t: string }>();
    expect(row!.t).toBe("integer");
  });

  it.each([
    ["a fractional stock", "UPDATE products SET stock = 9.5 WHERE id = ?"],
    ["a text reservation", "UPDATE products SET stock_reserved = 'many' WHERE id = ?"],
  ])("a product with %s is refused", async (_, update) => {
    const p = await createProduct({ stock: 10 });
    await expect(env.DB.prepare(update).bind(p).run()).rejects.toThrow(/products: stock, stock_reserved and price_cents must be whole numbers/);
    expect(await product(p)).toEqual({ stock: 10, stock_reserved: 0 });
  });

  it.each([
    ["a fractional quantity (stock would become REAL 9.5)", 0.5],
    ["a text quantity (it would confirm with no stock change)", "abc"],
    ["a quantity that overflows 64-bit sums", 2 ** 62],
  ])("an old line with %s: 422 data_error, recorded for a human, nothing else changes", async (_, quantity) => {
    const { id, p } = await awaitingOrderWithLine(quantity);
    const res = await deliver({ order_id: id, status: "paid" });
    expect(res.status).toBe(422);
    const body = await res.json<{ error: string; outcome: string; details: { reason: string } }>();
    expect(body).toMatchObject({ error: "Order data is invalid", outcome: "data_error" });
    expect(body.details.reason).toMatch(/quantity or unit price/);
    expect((await order(id))?.status).toBe("AWAITING_PAYMENT");
    expect(await product(p)).toEqual({ stock: 10, stock_reserved: 5 });
    expect(await invoicesOf(id)).toHaveLength(0);
    expect(await eventsOf(id)).toMatchObject([{ outcome: "data_error", http_status: 422 }]);
    expect(await attentionOf(id)).toMatchObject([{ kind: "data_error", resolved_at: null }]);
  });

  it("an order put back to AWAITING_PAYMENT that already has an invoice: 422 data_error with the message, not a 500 forever", async () => {
    const p = await createProduct({ stock: 10, reserved: 2 });
    const { id } = await createOrder({ lines: [{ productId: p, quantity: 1 }] });
    await deliver({ order_id: id, status: "paid" });
    await env.DB.prepare("UPDATE orders SET status = 'AWAITING_PAYMENT' WHERE id = ?").bind(id).run();

    const res = await deliver({ order_id: id, status: "paid" });

    expect(res.status).toBe(422);
    expect((await res.json<{ details: { reason: string } }>()).details.reason).toMatch(/UNIQUE constraint failed: invoices.order_id/);
    // The rolled-back batch moved no stock a second time.
    expect(await product(p)).toEqual({ stock: 9, stock_reserved: 1 });
    expect(await invoicesOf(id)).toHaveLength(1);
    expect((await eventsOf(id)).map((e) => e.outcome)).toEqual(["confirmed", "data_error"]);
    expect(await attentionOf(id)).toMatchObject([{ kind: "data_error", detail: expect.stringMatching(/invoices.order_id/) }]);
  });

  it("once a human fixes the rows, the provider's next retry confirms and settles the item", async () => {
    const { id, p } = await awaitingOrderWithLine(0.5);
    expect((await deliver({ order_id: id, status: "paid" })).status).toBe(422);
    await env.DB.prepare("UPDATE order_items SET quantity = 1 WHERE order_id = ?").bind(id).run();
    expect(await (await deliver({ order_id: id, status: "paid" })).json()).toMatchObject({ outcome: "confirmed" });
    expect(await product(p)).toEqual({ stock: 9, stock_reserved: 4 });
    expect(await attentionOf(id)).toMatchObject([{ kind: "data_error", resolved_by: "system" }]);
  });
});
