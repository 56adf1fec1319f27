// The generic endpoint's optional amount: checked against the order's total inside the
// confirming batch; without it the endpoint behaves as it always did.
import { describe, expect, it } from "vitest";
import { attentionOf, createOrder, createProduct, deliver, invoicesOf, order, product, snapshot } from "./support/shop";

async function awaitingOrder() {
  const a = await createProduct({ stock: 10, reserved: 3 });
  const b = await createProduct({ stock: 10, reserved: 1 });
  // 2 x 12.50 + 1 x 6.30 = 31.30 EUR
  const o = await createOrder({ lines: [{ productId: a, quantity: 2, unitPriceCents: 1250 }, { productId: b, quantity: 1, unitPriceCents: 630 }] });
  return { ...o, a, b };
}

describe("amount_cents and currency on the generic endpoint", () => {
  it("confirms when they equal the order's total and currency (any case)", async () => {
    const { id } = await awaitingOrder();
    const res = await deliver({ order_id: id, status: "paid", amount_cents: 3130, currency: "eur" });
    expect(await res.json()).toMatchObject({ outcome: "confirmed" });
  });

  it("accepts them in a form body", async () => {
    const { id } = await awaitingOrder();
    const res = await deliver(new URLSearchParams({ order_id: id, status: "paid", amount_cents: "3130", currency: "EUR" }));
    expect(await res.json()).toMatchObject({ outcome: "confirmed" });
  });

  it.each([
    ["a different amount", 3000, "EUR"],
    ["a different currency", 3130, "USD"],
  ])("%s is not confirmed: 200 amount_mismatch, stock untouched, an item for a human", async (_, cents, currency) => {
    const { id, a } = await awaitingOrder();
    const res = await deliver({ order_id: id, status: "paid", amount_cents: cents, currency });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      outcome: "amount_mismatch",
      details: { paid_cents: cents, paid_currency: currency, order_cents: 3130, order_currency: "EUR" },
    });
    expect((await order(id))?.status).toBe("AWAITING_PAYMENT");
    expect(await product(a)).toEqual({ stock: 10, stock_reserved: 3 });
    expect(await invoicesOf(id)).toHaveLength(0);
    expect(await attentionOf(id)).toMatchObject([{ kind: "amount_mismatch" }]);
  });

  it.each([
    ["amount_cents without currency", { amount_cents: 3130 }],
    ["currency without amount_cents", { currency: "EUR" }],
    ["a fractional amount", { amount_cents: 31.3, currency: "EUR" }],
    ["a negative amount", { amount_cents: -1, currency: "EUR" }],
    ["a currency that is not three letters", { amount_cents: 3130, currency: "EURO" }],
  ])("%s is a 400 and changes nothing", async (_, fields) => {
    const { id } = await awaitingOrder();
    const before = await snapshot();
    const res = await deliver({ order_id: id, status: "paid", ...fields });
    expect(res.status).toBe(400);
    expect(await snapshot()).toBe(before);
  });

  it.each([["null", null], ["an empty string", ""], ["true", true], ["an exponent", "1e3"]])(
    "amount_cents %s is a 400, never taken for a number",
    async (_, value) => {
      const { id } = await awaitingOrder();
      const res = await deliver({ order_id: id, status: "paid", amount_cents: value, currency: "EUR" });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ details: [{ field: "amount_cents" }] });
    },
  );
});
