import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createOrder, createProduct, eventsOf, invoicesOf, order, pay, product } from "./support/shop";

describe("concurrent deliveries", () => {
  it("10 concurrent deliveries of one payment decrement once and create one invoice", async () => {
    const a = await createProduct({ stock: 20, reserved: 6 });
    const b = await createProduct({ stock: 20, reserved: 6 });
    const { id } = await createOrder({ lines: [{ productId: a, quantity: 3 }, { productId: b, quantity: 6 }] });

    const responses = await Promise.all(Array.from({ length: 10 }, () => pay(id)));

    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    const outcomes = await Promise.all(responses.map(async (r) => (await r.json<{ outcome: string }>()).outcome));
    expect(outcomes.filter((o) => o === "confirmed")).toHaveLength(1);
    expect(outcomes.filter((o) => o === "duplicate")).toHaveLength(9);
    expect(await product(a)).toEqual({ stock: 17, stock_reserved: 3 });
    expect(await product(b)).toEqual({ stock: 14, stock_reserved: 0 });
    expect(await invoicesOf(id)).toHaveLength(1);
    expect((await eventsOf(id)).map((e) => e.outcome).sort()).toEqual(["confirmed", ...Array(9).fill("duplicate")]);
    expect((await order(id))?.status).toBe("CONFIRMED");
  });

  it("many orders of one product confirmed concurrently lose no update", async () => {
    const p = await createProduct({ stock: 100, reserved: 60 });
    const orders = await Promise.all(Array.from({ length: 30 }, (_, i) => createOrder({ lines: [{ productId: p, quantity: 1 + (i % 3) }] })));
    const sold = Array.from({ length: 30 }, (_, i) => 1 + (i % 3)).reduce((a, b) => a + b, 0);

    const responses = await Promise.all(orders.map((o) => pay(o.id)));

    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect(await product(p)).toEqual({ stock: 100 - sold, stock_reserved: 60 - sold });
    const { results } = await env.DB.prepare(
      `SELECT count(*) AS n, count(DISTINCT seq) AS seqs, max(seq) - min(seq) + 1 AS span FROM invoices
       WHERE order_id IN (${orders.map(() => "?").join(",")})`,
    )
      .bind(...orders.map((o) => o.id))
      .all<{ n: number; seqs: number; span: number }>();
    expect(results[0]).toEqual({ n: 30, seqs: 30, span: 30 });
  });
});
