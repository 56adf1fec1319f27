// A `paid` delivery is never acknowledged and dropped: for a PENDING order it is answered 409
// so the provider retries, and the retry confirms once the shop has moved the order on.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { attentionOf, createOrder, createProduct, deliver, eventsOf, invoicesOf, order, product } from "./support/shop";

const moveToAwaitingPayment = (id: string) =>
  env.DB.prepare("UPDATE orders SET status = 'AWAITING_PAYMENT' WHERE id = ?").bind(id).run();

describe("a payment that arrives before checkout has reserved stock", () => {
  it("answers 409 not_ready, records it, and changes nothing", async () => {
    const p = await createProduct({ stock: 5, reserved: 0 });
    const { id } = await createOrder({ status: "PENDING", lines: [{ productId: p, quantity: 2 }] });

    const res = await deliver({ order_id: id, status: "paid" });

    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({
      error: "Order is not awaiting payment yet",
      outcome: "not_ready",
      order_id: id,
      order_status: "PENDING",
    });
    expect((await order(id))?.status).toBe("PENDING");
    expect(await product(p)).toEqual({ stock: 5, stock_reserved: 0 });
    expect(await eventsOf(id)).toMatchObject([{ outcome: "not_ready", http_status: 409, order_status: "PENDING" }]);
    expect(await attentionOf(id)).toMatchObject([{ kind: "not_ready", resolved_at: null }]);
  });

  it("the provider's retry with the same delivery id confirms once the order awaits payment, exactly once", async () => {
    const p = await createProduct({ stock: 5, reserved: 2 });
    const { id } = await createOrder({ status: "PENDING", lines: [{ productId: p, quantity: 2 }] });
    const headers = { "webhook-id": "msg_too_early" };

    expect((await deliver({ order_id: id, status: "paid" }, { headers })).status).toBe(409);
    expect((await deliver({ order_id: id, status: "paid" }, { headers })).status).toBe(409);
    await moveToAwaitingPayment(id);
    const retried = await deliver({ order_id: id, status: "paid" }, { headers });
    const again = await deliver({ order_id: id, status: "paid" }, { headers });

    expect(await retried.json()).toMatchObject({ outcome: "confirmed" });
    expect(await again.json()).toMatchObject({ outcome: "duplicate" });
    expect(await product(p)).toEqual({ stock: 3, stock_reserved: 0 });
    expect(await invoicesOf(id)).toHaveLength(1);
    expect((await eventsOf(id)).map((e) => e.outcome)).toEqual(["not_ready", "not_ready", "confirmed", "duplicate"]);
    // One item for the two 409s, settled by the confirmation.
    const items = await attentionOf(id);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ kind: "not_ready", resolved_by: "system" });
    expect(items[0]!.resolved_at).not.toBeNull();
  });

  it("a new delivery id confirms as well", async () => {
    const p = await createProduct({ stock: 5, reserved: 1 });
    const { id } = await createOrder({ status: "PENDING", lines: [{ productId: p, quantity: 1 }] });
    await deliver({ order_id: id, status: "paid" }, { headers: { "webhook-id": "msg_a" } });
    await moveToAwaitingPayment(id);
    const res = await deliver({ order_id: id, status: "paid" }, { headers: { "webhook-id": "msg_b" } });
    expect(await res.json()).toMatchObject({ outcome: "confirmed" });
  });

  it("a delivery id first answered payment_failed does not make a later paid with that id a duplicate", async () => {
    const p = await createProduct({ stock: 5, reserved: 1 });
    const { id } = await createOrder({ lines: [{ productId: p, quantity: 1 }] });
    const headers = { "X-Delivery-Id": "dlv_reused" };
    expect(await (await deliver({ order_id: id, status: "failed" }, { headers })).json()).toMatchObject({ outcome: "payment_failed" });
    expect(await (await deliver({ order_id: id, status: "paid" }, { headers })).json()).toMatchObject({ outcome: "confirmed" });
  });
});
