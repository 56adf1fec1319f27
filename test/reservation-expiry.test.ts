import { describe, expect, it } from "vitest";
import { createOrder, createProduct, eventsOf, invoicesOf, order, pay, product, runCron } from "./support/shop";

const MINUTE = 60_000;

describe("reservation expiry (cron)", () => {
  it("cancels orders whose reservation has passed and releases their reserved stock", async () => {
    const p = await createProduct({ stock: 10, reserved: 5 });
    const expired = await createOrder({ reservedUntil: Date.now() - MINUTE, lines: [{ productId: p, quantity: 2 }, { productId: p, quantity: 1 }] });
    const current = await createOrder({ reservedUntil: Date.now() + 10 * MINUTE, lines: [{ productId: p, quantity: 1 }] });
    const forever = await createOrder({ reservedUntil: null, lines: [{ productId: p, quantity: 1 }] });

    await runCron();

    expect((await order(expired.id))?.status).toBe("CANCELLED");
    expect((await order(current.id))?.status).toBe("AWAITING_PAYMENT");
    expect((await order(forever.id))?.status).toBe("AWAITING_PAYMENT");
    expect(await product(p)).toEqual({ stock: 10, stock_reserved: 2 });
  });

  it("releases stock exactly once when runs overlap or repeat", async () => {
    const p = await createProduct({ stock: 10, reserved: 6 });
    await createOrder({ reservedUntil: Date.now() - MINUTE, lines: [{ productId: p, quantity: 3 }] });
    await createOrder({ reservedUntil: Date.now() - MINUTE, lines: [{ productId: p, quantity: 2 }] });

    await Promise.all([runCron(), runCron(), runCron()]);
    await runCron(Date.now() + MINUTE);

    expect(await product(p)).toEqual({ stock: 10, stock_reserved: 1 });
  });

  it("a paid webhook for an expired order answers 200, keeps it CANCELLED and flags a refund", async () => {
    const p = await createProduct({ stock: 10, reserved: 2 });
    const { id } = await createOrder({ reservedUntil: Date.now() - MINUTE, lines: [{ productId: p, quantity: 2 }] });
    await runCron();
    expect(await product(p)).toEqual({ stock: 10, stock_reserved: 0 });

    const res = await pay(id);

    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ outcome: "refund_required", order_status: "CANCELLED" });
    expect((await order(id))?.status).toBe("CANCELLED");
    expect(await product(p)).toEqual({ stock: 10, stock_reserved: 0 });
    expect(await invoicesOf(id)).toHaveLength(0);
    expect(await eventsOf(id)).toMatchObject([{ outcome: "refund_required", http_status: 200 }]);
  });

  it("an expiry racing a paid webhook: exactly one wins and stock stays consistent", async () => {
    for (let round = 0; round < 10; round++) {
      const p = await createProduct({ stock: 5, reserved: 2 });
      const { id } = await createOrder({ reservedUntil: Date.now() - 1, lines: [{ productId: p, quantity: 2 }] });

      const [res] = await Promise.all([pay(id), runCron()]);

      const status = (await order(id))?.status;
      const outcome = (await res.json<{ outcome: string }>()).outcome;
      const stock = await product(p);
      if (status === "CONFIRMED") {
        expect(outcome).toBe("confirmed");
        expect(stock).toEqual({ stock: 3, stock_reserved: 0 });
        expect(await invoicesOf(id)).toHaveLength(1);
      } else {
        expect(status).toBe("CANCELLED");
        expect(outcome).toBe("refund_required");
        expect(stock).toEqual({ stock: 5, stock_reserved: 0 });
        expect(await invoicesOf(id)).toHaveLength(0);
      }
    }
  });

  it("does not let a reservation count that is already wrong block later expiries", async () => {
    const p = await createProduct({ stock: 10, reserved: 1 });
    const broken = await createOrder({ reservedUntil: Date.now() - 2 * MINUTE, lines: [{ productId: p, quantity: 3 }] });
    const q = await createProduct({ stock: 10, reserved: 1 });
    const fine = await createOrder({ reservedUntil: Date.now() - MINUTE, lines: [{ productId: q, quantity: 1 }] });
    await runCron();
    expect((await order(broken.id))?.status).toBe("CANCELLED");
    expect((await order(fine.id))?.status).toBe("CANCELLED");
    expect(await product(p)).toEqual({ stock: 10, stock_reserved: 0 });
    expect(await product(q)).toEqual({ stock: 10, stock_reserved: 0 });
  });
});
