import { describe, expect, it } from "vitest";
import { createOrder, createProduct, eventsOf, invoicesOf, order, pay, product } from "./support/shop";

describe("insufficient stock", () => {
  it("on the second line of a two-line order rolls back the first line, and answers 400", async () => {
    const plenty = await createProduct({ stock: 10, reserved: 4 });
    const scarce = await createProduct({ stock: 1, reserved: 1, name: "Last one" });
    const { id } = await createOrder({
      lines: [
        { productId: plenty, quantity: 4 },
        { productId: scarce, quantity: 2 },
      ],
    });

    const res = await pay(id);

    expect(res.status).toBe(400);
    const body = await res.json<{ error: string; details: unknown[] }>();
    expect(body.error).toBe("Insufficient stock");
    expect(body.details).toEqual([
      { product_id: scarce, product_name: "Last one", requested: 2, stock: 1, stock_reserved: 1, short_of: "stock" },
    ]);
    expect(await product(plenty)).toEqual({ stock: 10, stock_reserved: 4 });
    expect(await product(scarce)).toEqual({ stock: 1, stock_reserved: 1 });
    expect((await order(id))?.status).toBe("AWAITING_PAYMENT");
    expect(await invoicesOf(id)).toHaveLength(0);
    const events = await eventsOf(id);
    expect(events).toMatchObject([{ outcome: "insufficient_stock", http_status: 400, order_status: "AWAITING_PAYMENT" }]);
    expect(JSON.parse(events[0]!.detail!)).toEqual(body.details);
  });

  it("is detected when the reservation is short even though stock is there", async () => {
    const p = await createProduct({ stock: 10, reserved: 1 });
    const { id } = await createOrder({ lines: [{ productId: p, quantity: 3 }] });
    const res = await pay(id);
    expect(res.status).toBe(400);
    expect((await res.json<{ details: { short_of: string }[] }>()).details[0]?.short_of).toBe("reservation");
    expect(await product(p)).toEqual({ stock: 10, stock_reserved: 1 });
  });

  it("does not consume an invoice number", async () => {
    const p = await createProduct({ stock: 10, reserved: 10 });
    const first = await createOrder({ lines: [{ productId: p, quantity: 1 }] });
    await pay(first.id);
    const short = await createOrder({ lines: [{ productId: p, quantity: 50 }] });
    expect((await pay(short.id)).status).toBe(400);
    const next = await createOrder({ lines: [{ productId: p, quantity: 1 }] });
    await pay(next.id);
    expect((await invoicesOf(next.id))[0]!.seq).toBe((await invoicesOf(first.id))[0]!.seq + 1);
  });
});
