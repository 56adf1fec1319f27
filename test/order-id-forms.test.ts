// Every UUID form the original Django endpoint accepted, normalised to the stored form.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createOrder, createProduct, deliver, eventsOf, order } from "./support/shop";

async function awaitingOrder() {
  const p = await createProduct({ stock: 5, reserved: 1 });
  return createOrder({ lines: [{ productId: p, quantity: 1 }] });
}

describe("order ids", () => {
  it.each([
    ["upper case", (id: string) => id.toUpperCase()],
    ["in braces", (id: string) => `{${id}}`],
    ["as a URN", (id: string) => `urn:uuid:${id}`],
    ["as 32 hex digits", (id: string) => id.replaceAll("-", "")],
    ["as 32 upper-case hex digits in braces", (id: string) => `{${id.replaceAll("-", "").toUpperCase()}}`],
  ])("accepts an id %s and answers with the lower-case hyphenated form", async (_, form) => {
    const { id } = await awaitingOrder();
    const res = await deliver({ order_id: form(id), status: "paid" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ outcome: "confirmed", order_id: id });
    expect(await eventsOf(id)).toHaveLength(1);
  });

  it.each(["not-a-uuid", "{d0d0d0d0-0000-4000-8000-000000000001", "d0d0d0d0-0000-4000-8000-00000000000g", "d0d0-d0d0-0000-4000-8000-000000000001"])(
    "refuses %s with 400",
    async (bad) => {
      const res = await deliver({ order_id: bad, status: "paid" });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ details: [{ field: "order_id", message: "order_id must be a UUID" }] });
    },
  );

  it("finds an order whose id another tool stored in upper case", async () => {
    const p = await createProduct({ stock: 5, reserved: 1 });
    const { id } = await createOrder({ lines: [] });
    const upper = id.toUpperCase();
    await env.DB.batch([
      env.DB.prepare("UPDATE orders SET id = ? WHERE id = ?").bind(upper, id),
      env.DB.prepare("INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents) VALUES (?, ?, 1, 100)").bind(upper, p),
    ]);
    const res = await deliver({ order_id: id, status: "paid" });
    expect(await res.json()).toMatchObject({ outcome: "confirmed" });
    expect((await order(upper))?.status).toBe("CONFIRMED");
    const stock = await env.DB.prepare("SELECT stock, stock_reserved FROM products WHERE id = ?").bind(p).first();
    expect(stock).toEqual({ stock: 4, stock_reserved: 0 });
  });
});
