import { describe, expect, it } from "vitest";
import { createOrder, createProduct, eventsOf, invoicesOf, order, pay, product } from "./support/shop";

describe("a paid webhook for an order awaiting payment", () => {
  it("confirms the order, turns reserved stock into sold stock and allocates its invoice", async () => {
    const a = await createProduct({ stock: 10, reserved: 3 });
    const b = await createProduct({ stock: 5, reserved: 2 });
    const { id, orderNumber } = await createOrder({ lines: [{ productId: a, quantity: 3 }, { productId: b, quantity: 2 }] });

    const res = await pay(id);

    expect(res.status).toBe(200);
    const body = await res.json<Record<string, unknown>>();
    expect(body).toMatchObject({ message: "Webhook received", outcome: "confirmed", order_id: id });
    expect(res.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(await product(a)).toEqual({ stock: 7, stock_reserved: 0 });
    expect(await product(b)).toEqual({ stock: 3, stock_reserved: 0 });
    const confirmed = await order(id);
    expect(confirmed?.status).toBe("CONFIRMED");
    expect(confirmed?.confirmed_at).toBeGreaterThan(Date.now() - 60_000);
    const invoices = await invoicesOf(id);
    expect(invoices).toHaveLength(1);
    // PENDING until the real queue consumer (running beside the test) has sent it.
    expect(["PENDING", "SENT"]).toContain(invoices[0]!.status);
    expect(invoices[0]!.number).toMatch(new RegExp(`^INV-${new Date().getUTCFullYear()}-\\d{6}$`));
    expect(body.invoice_number).toBe(invoices[0]!.number);
    const events = await eventsOf(id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ outcome: "confirmed", http_status: 200, payment_status: "paid", order_status: "AWAITING_PAYMENT" });
    expect(events[0]!.request_id).toBe(res.headers.get("X-Request-Id"));
    expect(orderNumber).toBeGreaterThan(0);
  });

  it("numbers invoices sequentially without gaps", async () => {
    const p = await createProduct({ stock: 100, reserved: 100 });
    const numbers: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { id } = await createOrder({ lines: [{ productId: p, quantity: 1 }] });
      expect((await pay(id)).status).toBe(200);
      numbers.push((await invoicesOf(id))[0]!.seq);
    }
    expect(numbers[1]).toBe(numbers[0]! + 1);
    expect(numbers[2]).toBe(numbers[0]! + 2);
  });

  it("answers on the path without the trailing slash too, without a redirect", async () => {
    const p = await createProduct({ stock: 1, reserved: 1 });
    const { id } = await createOrder({ lines: [{ productId: p, quantity: 1 }] });
    const { deliver } = await import("./support/shop");
    const res = await deliver({ order_id: id, status: "paid" }, { url: "https://shop.test/api/webhooks/payment" });
    expect(res.status).toBe(200);
    expect((await order(id))?.status).toBe("CONFIRMED");
  });

  it("records the provider's delivery id", async () => {
    const p = await createProduct({ stock: 1, reserved: 1 });
    const { id } = await createOrder({ lines: [{ productId: p, quantity: 1 }] });
    await pay(id, "paid", { "X-Delivery-Id": "dlv_123" });
    expect((await eventsOf(id))[0]?.delivery_id).toBe("dlv_123");
  });
});
