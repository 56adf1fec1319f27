import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { createOrder, createProduct, pay } from "./support/shop";

it("50 concurrent deliveries of every kind keep stock and invoices consistent", async () => {
  const start = [30, 12, 6];
  const products = await Promise.all(start.map((stock) => createProduct({ stock, reserved: stock })));
  // 16 orders over shared products; with the stock above some of them cannot all be served.
  const orders = await Promise.all(
    Array.from({ length: 16 }, (_, i) =>
      createOrder({
        lines: [
          { productId: products[i % 3]!, quantity: 1 + (i % 2) },
          { productId: products[(i + 1) % 3]!, quantity: 1 },
        ],
      }),
    ),
  );
  const deliveries: Promise<Response>[] = [];
  for (let i = 0; i < 50; i++) {
    const o = orders[i % orders.length]!;
    if (i % 10 === 7) deliveries.push(pay(crypto.randomUUID())); // unknown order
    else if (i % 10 === 3) deliveries.push(pay(o.id, "failed"));
    else deliveries.push(pay(o.id)); // distinct orders, and duplicates of them
  }

  const statuses = (await Promise.all(deliveries)).map((r) => r.status);

  expect(statuses.every((s) => [200, 400, 404].includes(s))).toBe(true);
  expect(statuses.filter((s) => s === 404)).toHaveLength(5);
  const ids = orders.map((o) => o.id);
  const marks = ids.map(() => "?").join(",");
  for (const [i, productId] of products.entries()) {
    const sold = await env.DB.prepare(
      `SELECT COALESCE(SUM(oi.quantity), 0) AS n FROM order_items oi JOIN orders o ON o.id = oi.order_id
       WHERE oi.product_id = ? AND o.status = 'CONFIRMED' AND o.id IN (${marks})`,
    )
      .bind(productId, ...ids)
      .first<{ n: number }>();
    const row = await env.DB.prepare("SELECT stock, stock_reserved FROM products WHERE id = ?").bind(productId).first<{ stock: number; stock_reserved: number }>();
    expect(row!.stock + sold!.n).toBe(start[i]);
    expect(row!.stock_reserved + sold!.n).toBe(start[i]);
    expect(row!.stock).toBeGreaterThanOrEqual(0);
  }
  const invoices = await env.DB.prepare(
    `SELECT (SELECT count(*) FROM orders WHERE status = 'CONFIRMED' AND id IN (${marks})) AS confirmed,
            (SELECT count(*) FROM invoices WHERE order_id IN (${marks})) AS invoices,
            (SELECT count(DISTINCT order_id) FROM invoices WHERE order_id IN (${marks})) AS distinct_orders`,
  )
    .bind(...ids, ...ids, ...ids)
    .first<{ confirmed: number; invoices: number; distinct_orders: number }>();
  expect(invoices!.confirmed).toBeGreaterThan(0);
  expect(invoices!.invoices).toBe(invoices!.confirmed);
  expect(invoices!.distinct_orders).toBe(invoices!.confirmed);
}, 600_000); // 50 concurrent deliveries and their queue work
