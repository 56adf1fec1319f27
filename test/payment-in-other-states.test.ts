import { describe, expect, it } from "vitest";
import { createOrder, createProduct, eventsOf, invoicesOf, order, pay, product } from "./support/shop";

describe("payments that do not confirm an order", () => {
  it.each([
    ["CONFIRMED", "duplicate"],
    ["SHIPPED", "duplicate"],
    ["DELIVERED", "duplicate"],
    ["CANCELLED", "refund_required"],
  ])("a paid webhook for a %s order answers 200 and changes only the audit log (%s)", async (status, outcome) => {
    const p = await createProduct({ stock: 5, reserved: 2 });
    const { id } = await createOrder({ status, lines: [{ productId: p, quantity: 2 }] });

    const res = await pay(id);

    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ message: "Webhook received", outcome, order_status: status });
    expect((await order(id))?.status).toBe(status);
    expect(await product(p)).toEqual({ stock: 5, stock_reserved: 2 });
    expect(await invoicesOf(id)).toHaveLength(0);
    expect(await eventsOf(id)).toMatchObject([{ outcome, http_status: 200, order_status: status }]);
  });

  it("a failed payment for a PENDING order answers 200 payment_failed and changes nothing", async () => {
    const p = await createProduct({ stock: 5, reserved: 0 });
    const { id } = await createOrder({ status: "PENDING", lines: [{ productId: p, quantity: 2 }] });
    const res = await pay(id, "failed");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ outcome: "payment_failed", order_status: "PENDING" });
    expect((await order(id))?.status).toBe("PENDING");
  });

  it("a failed payment leaves the order awaiting payment, so the customer can retry", async () => {
    const p = await createProduct({ stock: 5, reserved: 2 });
    const { id } = await createOrder({ lines: [{ productId: p, quantity: 2 }] });

    const failed = await pay(id, "failed");
    expect(failed.status).toBe(200);
    expect(await failed.json()).toMatchObject({ message: "Webhook received", outcome: "payment_failed" });
    expect((await order(id))?.status).toBe("AWAITING_PAYMENT");
    expect(await product(p)).toEqual({ stock: 5, stock_reserved: 2 });

    const retried = await pay(id, "paid");
    expect(await retried.json()).toMatchObject({ outcome: "confirmed" });
    expect(await product(p)).toEqual({ stock: 3, stock_reserved: 0 });
    expect((await eventsOf(id)).map((e) => e.outcome)).toEqual(["payment_failed", "confirmed"]);
  });

  it("a failed payment after confirmation does not undo it", async () => {
    const p = await createProduct({ stock: 5, reserved: 2 });
    const { id } = await createOrder({ lines: [{ productId: p, quantity: 2 }] });
    await pay(id, "paid");
    const res = await pay(id, "failed");
    expect(res.status).toBe(200);
    expect((await order(id))?.status).toBe("CONFIRMED");
    expect(await product(p)).toEqual({ stock: 3, stock_reserved: 0 });
  });

  it("an unknown order answers 404 and is recorded as not_found", async () => {
    const id = crypto.randomUUID();
    const res = await pay(id);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: "Order not found" });
    expect(await eventsOf(id)).toMatchObject([{ outcome: "not_found", http_status: 404, order_status: null }]);
  });

  it("a paid delivery for an unknown order is recorded for a human, and settles if a retry finds the order later", async () => {
    const { env } = await import("cloudflare:workers");
    const { attentionOf } = await import("./support/shop");
    const id = crypto.randomUUID();
    expect((await pay(id)).status).toBe(404);
    expect((await pay(id)).status).toBe(404);
    expect(await attentionOf(id)).toMatchObject([{ kind: "not_found", key: `not_found:${id}`, resolved_at: null }]);

    // The shop writes the order late (checkout reserves its stock); the provider's retry confirms it.
    const p = await createProduct({ stock: 5, reserved: 1 });
    await env.DB.batch([
      env.DB.prepare("INSERT INTO orders (id, order_number, status, customer_email) VALUES (?, ?, 'AWAITING_PAYMENT', 'late@example.test')").bind(
        id,
        900_000 + Math.floor(Math.random() * 99_999),
      ),
      env.DB.prepare("INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents) VALUES (?, ?, 1, 100)").bind(id, p),
    ]);
    expect(await (await pay(id)).json()).toMatchObject({ outcome: "confirmed" });
    expect(await attentionOf(id)).toMatchObject([{ kind: "not_found", resolved_by: "system" }]);
  });

  it("a failed payment for an unknown order needs nobody", async () => {
    const { attentionOf } = await import("./support/shop");
    const id = crypto.randomUUID();
    expect((await pay(id, "failed")).status).toBe(404);
    expect(await attentionOf(id)).toEqual([]);
  });
});
