import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createOrder, createProduct, deliverWithEnv, invoicesOf, order, product, snapshot, webhookRequest } from "./support/shop";

describe("faults around the commit", () => {
  it("a queue send that fails after the commit still answers 200 and leaves the invoice in the outbox", async () => {
    const p = await createProduct({ stock: 5, reserved: 1 });
    const { id } = await createOrder({ lines: [{ productId: p, quantity: 1 }] });
    const brokenQueue = { send: async () => { throw new Error("queue unavailable"); }, sendBatch: async () => { throw new Error("queue unavailable"); } };

    const res = await deliverWithEnv({ INVOICE_QUEUE: brokenQueue as unknown as Queue }, webhookRequest({ order_id: id, status: "paid" }));

    expect(res.status).toBe(200);
    expect((await order(id))?.status).toBe("CONFIRMED");
    expect(await product(p)).toEqual({ stock: 4, stock_reserved: 0 });
    expect(await invoicesOf(id)).toMatchObject([{ status: "PENDING" }]);
  });

  it("a statement failing in the middle of the batch rolls back the whole batch and answers 500", async () => {
    const p = await createProduct({ stock: 5, reserved: 1 });
    const { id } = await createOrder({ lines: [{ productId: p, quantity: 1 }] });
    const before = await snapshot();
    // The real batch, plus one statement that violates a CHECK after all of its writes.
    const failingLast = new Proxy(env.DB, {
      get(target, prop) {
        if (prop === "batch") {
          return (statements: D1PreparedStatement[]) =>
            target.batch([...statements, target.prepare("UPDATE orders SET status = 'LOST' WHERE id = ?").bind(id)]);
        }
        return Reflect.get(target, prop);
      },
    });

    const res = await deliverWithEnv({ DB: failingLast }, webhookRequest({ order_id: id, status: "paid" }));

    expect(res.status).toBe(500);
    expect(await snapshot()).toBe(before);
    expect((await order(id))?.status).toBe("AWAITING_PAYMENT");
    expect(await product(p)).toEqual({ stock: 5, stock_reserved: 1 });
    expect(await invoicesOf(id)).toHaveLength(0);
  });

  it("a database that throws answers 500, so the provider retries, and nothing is half-written", async () => {
    const p = await createProduct({ stock: 5, reserved: 1 });
    const { id } = await createOrder({ lines: [{ productId: p, quantity: 1 }] });
    const before = await snapshot();
    const unavailable = new Proxy(env.DB, {
      get(target, prop) {
        if (prop === "batch" || prop === "prepare" || prop === "exec") {
          return () => { throw new Error("D1_ERROR: Network connection lost."); };
        }
        return Reflect.get(target, prop);
      },
    });

    const res = await deliverWithEnv({ DB: unavailable }, webhookRequest({ order_id: id, status: "paid" }));

    expect(res.status).toBe(500);
    const body = await res.json<{ error: string; request_id: string }>();
    expect(body.error).toBe("Internal error");
    expect(body.request_id).toBe(res.headers.get("X-Request-Id"));
    expect(JSON.stringify(body)).not.toContain("D1_ERROR");
    expect(await snapshot()).toBe(before);
  });
});
