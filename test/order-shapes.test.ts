import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createOrder, createProduct, invoicesOf, order, pay, product } from "./support/shop";

describe("orders of every shape", () => {
  it("an order with no lines is confirmed and invoiced, touching no stock", async () => {
    const p = await createProduct({ stock: 3, reserved: 3 });
    const { id } = await createOrder({ lines: [] });
    expect((await pay(id)).status).toBe(200);
    expect((await order(id))?.status).toBe("CONFIRMED");
    expect(await invoicesOf(id)).toHaveLength(1);
    expect(await product(p)).toEqual({ stock: 3, stock_reserved: 3 });
  });

  it("an order of 120 lines over 120 products is confirmed in one batch", async () => {
    // 120 lines is past D1's 100 bound parameters per statement: the SQL must be set-based.
    const ids: number[] = [];
    for (let i = 0; i < 120; i++) ids.push(await createProduct({ stock: 10 + i, reserved: 2 }));
    const { id } = await createOrder({ lines: ids.map((productId) => ({ productId, quantity: 2 })) });

    const res = await pay(id);

    expect(res.status).toBe(200);
    expect((await order(id))?.status).toBe("CONFIRMED");
    const { results } = await env.DB.prepare(
      `SELECT count(*) AS n FROM products WHERE id BETWEEN ? AND ? AND stock_reserved = 0 AND stock = 8 + (id - ?)`,
    )
      .bind(ids[0], ids[119], ids[0])
      .all<{ n: number }>();
    expect(results[0]!.n).toBe(120);
  });

  it("an order listing the same product twice takes the summed quantity", async () => {
    const p = await createProduct({ stock: 10, reserved: 5 });
    const { id } = await createOrder({ lines: [{ productId: p, quantity: 2 }, { productId: p, quantity: 3 }] });
    expect((await pay(id)).status).toBe(200);
    expect(await product(p)).toEqual({ stock: 5, stock_reserved: 0 });
  });

  it("an order listing the same product twice fails as a whole when the sum is short", async () => {
    const p = await createProduct({ stock: 4, reserved: 4 });
    const { id } = await createOrder({ lines: [{ productId: p, quantity: 2 }, { productId: p, quantity: 3 }] });
    expect((await pay(id)).status).toBe(400);
    expect(await product(p)).toEqual({ stock: 4, stock_reserved: 4 });
  });
});
