// Races that must come out right: many shoppers for the last units, a cancel against a
// payment, a checkout against the expiry job. Each is fired at the real Worker at once (D1
// serialises the batches in whatever order they arrive), and judged by the stored state.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createOrder, createProduct, order, pay, product, runCron } from "./support/shop";
import { callOrders, newOrder, postOrder } from "./support/orders";

/** Reads every product until `done`, failing if any ever promised more than it had. */
async function watchReservations(done: () => boolean) {
  let reads = 0;
  // Bounded, with a pause between reads: a tight loop of reads starves the requests it watches.
  while (!done() && reads < 500) {
    const over = await env.DB.prepare("SELECT id, stock, stock_reserved FROM products WHERE stock_reserved > stock").all();
    expect(over.results).toEqual([]);
    reads++;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return reads;
}

describe("twenty shoppers for the last five units", () => {
  it("makes exactly five orders, and stock_reserved is never above stock", async () => {
    // 45 of 50 already held by other orders: five left.
    const p = await createProduct({ stock: 50, reserved: 45, name: "Last five" });
    let finished = false;
    const shoppers = Promise.all(
      Array.from({ length: 20 }, (_, i) => postOrder(newOrder([{ product_id: p, quantity: 1 }], { customer_email: `shopper${i}@example.test` }))),
    ).finally(() => (finished = true));
    const [answers, reads] = await Promise.all([shoppers, watchReservations(() => finished)]);
    expect(reads).toBeGreaterThan(0);
    const created = answers.filter((a) => a.status === 201);
    const refused = answers.filter((a) => a.status === 400);
    expect(created).toHaveLength(5);
    expect(refused).toHaveLength(15);
    for (const r of refused) expect(r.body).toMatchObject({ error: "Insufficient stock", details: [{ product_id: p, requested: 1, available: 0 }] });
    expect(await product(p)).toEqual({ stock: 50, stock_reserved: 50 });
    const stored = await env.DB.prepare("SELECT count(DISTINCT order_id) AS orders, SUM(quantity) AS units FROM order_items WHERE product_id = ?")
      .bind(p)
      .first();
    expect(stored).toEqual({ orders: 5, units: 5 });
    expect(new Set(created.map((a) => a.body.order_number)).size).toBe(5);
  });

  it("fits whole orders of mixed sizes and several products, never a part of one", async () => {
    const a = await createProduct({ stock: 7, name: "A" });
    const b = await createProduct({ stock: 4, name: "B" });
    const wants = Array.from({ length: 20 }, (_, i) => [
      { product_id: a, quantity: 1 + (i % 3) },
      { product_id: b, quantity: 1 + (i % 2) },
    ]);
    const answers = await Promise.all(wants.map((lines) => postOrder(newOrder(lines))));
    const reservedA = answers.reduce((sum, r, i) => sum + (r.status === 201 ? wants[i]![0]!.quantity : 0), 0);
    const reservedB = answers.reduce((sum, r, i) => sum + (r.status === 201 ? wants[i]![1]!.quantity : 0), 0);
    expect(answers.every((r) => r.status === 201 || r.status === 400)).toBe(true);
    expect(await product(a)).toEqual({ stock: 7, stock_reserved: reservedA });
    expect(await product(b)).toEqual({ stock: 4, stock_reserved: reservedB });
    expect(reservedA).toBeLessThanOrEqual(7);
    expect(reservedB).toBeLessThanOrEqual(4);
    expect(reservedB).toBeGreaterThanOrEqual(3);
    // Every order written is whole: both of its lines, nothing for a refused one.
    const lines = await env.DB.prepare("SELECT order_id, count(*) AS n FROM order_items WHERE product_id IN (?, ?) GROUP BY order_id").bind(a, b).all<{ n: number }>();
    expect(lines.results.every((r) => r.n === 2)).toBe(true);
    expect(lines.results).toHaveLength(answers.filter((r) => r.status === 201).length);
  });
});

describe("a cancel and a payment at the same moment", () => {
  it("cancel first: the payment is refund_required; payment first: the cancel is 409", async () => {
    const p = await createProduct({ stock: 10 });
    const cancelFirst = (await postOrder(newOrder([{ product_id: p, quantity: 1 }]))).body.order_id;
    expect((await callOrders("POST", `/${cancelFirst}/cancel`)).status).toBe(200);
    expect(await (await pay(cancelFirst)).json()).toMatchObject({ outcome: "refund_required" });
    const payFirst = (await postOrder(newOrder([{ product_id: p, quantity: 1 }]))).body.order_id;
    expect(await (await pay(payFirst)).json()).toMatchObject({ outcome: "confirmed" });
    expect((await callOrders("POST", `/${payFirst}/cancel`)).status).toBe(409);
    expect(await product(p)).toEqual({ stock: 9, stock_reserved: 0 });
  });

  it("exactly one wins each time, and stock moves once", async () => {
    const p = await createProduct({ stock: 100 });
    const ids = await Promise.all(Array.from({ length: 12 }, async () => (await postOrder(newOrder([{ product_id: p, quantity: 2 }]))).body.order_id));
    expect(await product(p)).toEqual({ stock: 100, stock_reserved: 24 });
    // Half start with the cancel, half with the payment; both are in flight together.
    const results = await Promise.all(
      ids.map(async (id, i) => {
        const [cancel, paid] =
          i % 2 === 0
            ? await Promise.all([callOrders("POST", `/${id}/cancel`), pay(id)])
            : (await Promise.all([pay(id), callOrders("POST", `/${id}/cancel`)])).reverse();
        return { id, cancel: cancel!.status, outcome: ((await paid!.json()) as { outcome: string }).outcome };
      }),
    );
    let confirmed = 0;
    for (const r of results) {
      const status = (await order(r.id))!.status;
      if (r.cancel === 200) {
        expect(r.outcome, r.id).toBe("refund_required");
        expect(status).toBe("CANCELLED");
      } else {
        expect(r.cancel, r.id).toBe(409);
        expect(r.outcome).toBe("confirmed");
        expect(status).toBe("CONFIRMED");
        confirmed++;
      }
    }
    expect(await product(p)).toEqual({ stock: 100 - 2 * confirmed, stock_reserved: 0 });
  });
});

describe("a checkout and the expiry job at the same moment", () => {
  it("an expired reservation is released once and its checkout refused, whichever runs first", async () => {
    const p = await createProduct({ stock: 20, reserved: 6 });
    const now = Date.now();
    const ids = await Promise.all(
      [1, 2, 3].map(async () => (await createOrder({ reservedUntil: now - 1000, lines: [{ productId: p, quantity: 2 }] })).id),
    );
    const [answers] = await Promise.all([Promise.all(ids.map((id) => callOrders("POST", `/${id}/checkout`))), runCron(now)]);
    for (const res of answers) {
      expect(res.status).toBe(409);
      expect(["Reservation expired", "Order is CANCELLED: it cannot be checked out"]).toContain(((await res.json()) as { error: string }).error);
    }
    for (const id of ids) expect((await order(id))!.status).toBe("CANCELLED");
    expect(await product(p)).toEqual({ stock: 20, stock_reserved: 0 });
  });

  it("a PENDING order with a stale reserved_until is reserved afresh and the job leaves it alone", async () => {
    const p = await createProduct({ stock: 20, reserved: 4 });
    const now = Date.now();
    // Two orders awaiting payment have expired; four PENDING ones carry an old reserved_until.
    const expired = await Promise.all([1, 2].map(async () => (await createOrder({ reservedUntil: now - 1000, lines: [{ productId: p, quantity: 2 }] })).id));
    const pending = await Promise.all(
      [1, 2, 3, 4].map(async () => (await createOrder({ status: "PENDING", reservedUntil: now - 1000, lines: [{ productId: p, quantity: 3 }] })).id),
    );
    const [answers] = await Promise.all([
      Promise.all(pending.map((id) => callOrders("POST", `/${id}/checkout`))),
      runCron(now),
      runCron(now),
    ]);
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    for (const id of expired) expect((await order(id))!.status).toBe("CANCELLED");
    for (const id of pending) expect((await order(id))!.status).toBe("AWAITING_PAYMENT");
    // The expired orders' 4 units released, the four checkouts' 12 held: exactly.
    expect(await product(p)).toEqual({ stock: 20, stock_reserved: 12 });
  });
});
