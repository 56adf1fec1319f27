// POST /api/orders/{id}/checkout, POST /api/orders/{id}/cancel and GET /api/orders/{id}: the
// reservation of an order another tool wrote, its release exactly once, and what a
// thank-you page reads.
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createOrder, createProduct, eventsOf, order, pay, product, snapshot } from "./support/shop";
import { callOrders, newOrder, postOrder, type OrderAnswerBody } from "./support/orders";
import {
  chargeRefunded,
  checkoutSessionAsyncPaymentSucceeded,
  checkoutSessionCompleted,
  disputeEvent,
  refundEvent,
  signedStripeRequest,
} from "./support/stripeEvents";

async function call(method: string, path: string) {
  const res = await callOrders(method, path);
  return { status: res.status, body: (await res.json()) as OrderAnswerBody };
}

describe("checkout of a PENDING order", () => {
  it("reserves its lines and starts the clock; a second checkout changes nothing", async () => {
    const p = await createProduct({ stock: 10, reserved: 1 });
    const { id } = await createOrder({ status: "PENDING", lines: [{ productId: p, quantity: 3, unitPriceCents: 500 }] });
    const first = await call("POST", `/${id}/checkout`);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ order_id: id, status: "AWAITING_PAYMENT", total_cents: 1500, currency: "EUR" });
    expect(Date.parse(first.body.reserved_until!)).toBeGreaterThan(Date.now() + 29 * 60_000);
    expect(await product(p)).toEqual({ stock: 10, stock_reserved: 4 });
    const again = await call("POST", `/${id}/checkout`);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(await product(p)).toEqual({ stock: 10, stock_reserved: 4 });
  });

  it("reserves nothing and keeps the order PENDING when a line is short", async () => {
    const fine = await createProduct({ stock: 10 });
    const short = await createProduct({ stock: 2, reserved: 1, name: "Short" });
    const { id } = await createOrder({ status: "PENDING", lines: [{ productId: fine, quantity: 1 }, { productId: short, quantity: 2 }] });
    const before = await snapshot();
    const res = await call("POST", `/${id}/checkout`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      error: "Insufficient stock",
      details: [{ product_id: short, product_name: "Short", requested: 2, available: 1 }],
      order_id: id,
      order_status: "PENDING",
    });
    expect(await snapshot()).toBe(before);
  });

  it("answers 409 for orders past payment or cancelled, 422 for an order without lines, 404 for none", async () => {
    const p = await createProduct({ stock: 10 });
    for (const status of ["CONFIRMED", "SHIPPED", "DELIVERED", "CANCELLED"]) {
      const { id } = await createOrder({ status, lines: [{ productId: p, quantity: 1 }] });
      const res = await call("POST", `/${id}/checkout`);
      expect(res.status, status).toBe(409);
      expect(res.body.order_status).toBe(status);
    }
    const empty = await createOrder({ status: "PENDING" });
    expect((await call("POST", `/${empty.id}/checkout`)).status).toBe(422);
    expect((await call("POST", `/${crypto.randomUUID()}/checkout`)).status).toBe(404);
    expect(await product(p)).toEqual({ stock: 10, stock_reserved: 0 });
  });

  it("answers 409 for a reservation past its time that the expiry job has not swept yet", async () => {
    const p = await createProduct({ stock: 10, reserved: 1 });
    const { id } = await createOrder({ reservedUntil: Date.now() - 1000, lines: [{ productId: p, quantity: 1 }] });
    const res = await call("POST", `/${id}/checkout`);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ error: "Reservation expired", order_status: "AWAITING_PAYMENT" });
  });
});

describe("cancelling", () => {
  it("releases exactly what was reserved, once", async () => {
    const a = await createProduct({ stock: 10 });
    const b = await createProduct({ stock: 10 });
    const created = await postOrder(newOrder([{ product_id: a, quantity: 2 }, { product_id: b, quantity: 1 }, { product_id: a, quantity: 1 }]));
    const other = await postOrder(newOrder([{ product_id: a, quantity: 4 }]));
    expect(await product(a)).toEqual({ stock: 10, stock_reserved: 7 });
    const first = await call("POST", `/${created.body.order_id}/cancel`);
    expect(first.status).toBe(200);
    expect(first.body.status).toBe("CANCELLED");
    expect(await product(a)).toEqual({ stock: 10, stock_reserved: 4 });
    expect(await product(b)).toEqual({ stock: 10, stock_reserved: 0 });
    const again = await Promise.all([1, 2, 3].map(() => call("POST", `/${created.body.order_id}/cancel`)));
    expect(again.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(await product(a)).toEqual({ stock: 10, stock_reserved: 4 });
    // The expiry job later finds nothing to release either.
    const { runCron } = await import("./support/shop");
    await runCron(Date.now() + 31 * 60_000);
    expect(await product(a)).toEqual({ stock: 10, stock_reserved: 0 });
    expect((await order(other.body.order_id))!.status).toBe("CANCELLED");
  });

  it("cancels a PENDING order without touching stock", async () => {
    const p = await createProduct({ stock: 10, reserved: 2 });
    const { id } = await createOrder({ status: "PENDING", lines: [{ productId: p, quantity: 2 }] });
    const res = await call("POST", `/${id}/cancel`);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("CANCELLED");
    expect(await product(p)).toEqual({ stock: 10, stock_reserved: 2 });
  });

  it("answers 409 for a paid order (that is a refund) and changes nothing", async () => {
    const p = await createProduct({ stock: 10 });
    const created = await postOrder(newOrder([{ product_id: p, quantity: 1 }]));
    expect((await pay(created.body.order_id)).status).toBe(200);
    for (const status of ["CONFIRMED", "SHIPPED", "DELIVERED"]) {
      await env.DB.prepare("UPDATE orders SET status = ? WHERE id = ?").bind(status, created.body.order_id).run();
      const before = await snapshot();
      const res = await call("POST", `/${created.body.order_id}/cancel`);
      expect(res.status, status).toBe(409);
      expect(res.body).toMatchObject({ order_id: created.body.order_id, order_status: status });
      expect(await snapshot()).toBe(before);
    }
  });

  it("makes a later payment a refund for a human", async () => {
    const p = await createProduct({ stock: 10 });
    const created = await postOrder(newOrder([{ product_id: p, quantity: 1 }]));
    expect((await call("POST", `/${created.body.order_id}/cancel`)).status).toBe(200);
    const paid = await pay(created.body.order_id);
    expect(await paid.json()).toMatchObject({ outcome: "refund_required" });
    expect((await eventsOf(created.body.order_id)).map((e) => e.outcome)).toEqual(["refund_required"]);
    expect(await product(p)).toEqual({ stock: 10, stock_reserved: 0 });
  });
});

describe("reading an order", () => {
  it("answers its status, lines, totals, reservation and invoice, for any form of its id", async () => {
    const p = await createProduct({ stock: 10, priceCents: 1234, name: "Kettle" });
    const created = await postOrder(newOrder([{ product_id: p, quantity: 2 }]));
    const id = created.body.order_id;
    for (const form of [id, id.toUpperCase(), id.replaceAll("-", ""), `{${id}}`, `urn:uuid:${id}`]) {
      const res = await call("GET", `/${encodeURIComponent(form)}`);
      expect(res.status, form).toBe(200);
      expect(res.body).toEqual(created.body);
    }
    await pay(id);
    const paid = await call("GET", `/${id}`);
    expect(paid.body).toMatchObject({ status: "CONFIRMED", total_cents: 2468, lines: [{ product_name: "Kettle", quantity: 2 }] });
    expect(paid.body.invoice_number).toMatch(/^INV-/);
  });

  it("finds an order another tool stored with an upper-case id", async () => {
    const p = await createProduct({ stock: 10 });
    const { id } = await createOrder({ status: "PENDING", lines: [] });
    await env.DB.batch([
      env.DB.prepare("UPDATE orders SET id = ? WHERE id = ?").bind(id.toUpperCase(), id),
      env.DB.prepare("INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents) VALUES (?, ?, 1, 100)").bind(id.toUpperCase(), p),
    ]);
    expect((await call("GET", `/${id}`)).status).toBe(200);
    expect((await call("POST", `/${id}/checkout`)).body.status).toBe("AWAITING_PAYMENT");
    expect((await call("POST", `/${id}/cancel`)).body.status).toBe("CANCELLED");
    expect(await product(p)).toEqual({ stock: 10, stock_reserved: 0 });
  });

  it("answers 404 for no such order and 400 for an id that is not a UUID", async () => {
    expect((await call("GET", `/${crypto.randomUUID()}`)).status).toBe(404);
    for (const path of ["/not-a-uuid", "/not-a-uuid/cancel", "/not-a-uuid/checkout"]) {
      const res = await call(path === "/not-a-uuid" ? "GET" : "POST", path);
      expect(res.status, path).toBe(400);
      expect(res.body).toMatchObject({ error: "Invalid order id", details: [{ field: "order_id" }] });
    }
  });
});

describe("what a thank-you page reads of the money (the payments ledger)", () => {
  const stripe = async (event: object) => {
    const res = await exports.default.fetch(await signedStripeRequest(event));
    expect(res.status).toBe(200);
    return res.json<{ outcome: string }>();
  };

  it("follows the payment from unpaid to pending, paid, partly refunded, disputed and refunded", async () => {
    const p = await createProduct({ stock: 10, priceCents: 2500 });
    const created = await postOrder(newOrder([{ product_id: p, quantity: 2 }]));
    const id = created.body.order_id;
    expect(created.body).toMatchObject({ payment_status: "unpaid", refunded_cents: 0, disputed: false, payments: [] });

    // A SEPA Checkout: started, not yet paid.
    const pi = `pi_test_${crypto.randomUUID().slice(0, 8)}`;
    await stripe(checkoutSessionCompleted({ clientReferenceId: id, amountTotal: 5000, currency: "eur", paymentIntent: pi, paymentStatus: "unpaid" }));
    expect((await call("GET", `/${id}`)).body).toMatchObject({ status: "AWAITING_PAYMENT", payment_status: "pending" });

    expect(await stripe(checkoutSessionAsyncPaymentSucceeded({ clientReferenceId: id, amountTotal: 5000, currency: "eur", paymentIntent: pi }))).toMatchObject({
      outcome: "confirmed",
    });
    const paid = (await call("GET", `/${id}`)).body;
    expect(paid).toMatchObject({ status: "CONFIRMED", payment_status: "paid", refunded_cents: 0, disputed: false });
    expect(paid.payments).toEqual([
      { provider: "stripe", reference: pi, status: "succeeded", amount_cents: 5000, currency: "EUR", refunded_cents: 0, confirmed_order: true, dispute_status: null },
    ]);

    await stripe(refundEvent("refund.created", { id: `re_test_${crypto.randomUUID().slice(0, 8)}`, paymentIntent: pi, amount: 1000 }));
    await stripe(disputeEvent("created", { paymentIntent: pi, amount: 4000 }));
    expect((await call("GET", `/${id}`)).body).toMatchObject({
      status: "CONFIRMED",
      payment_status: "partially_refunded",
      refunded_cents: 1000,
      disputed: true,
      payments: [{ reference: pi, refunded_cents: 1000, dispute_status: "needs_response" }],
    });

    await stripe(chargeRefunded({ paymentIntent: pi, amount: 5000, amountRefunded: 5000 }));
    expect((await call("GET", `/${id}`)).body).toMatchObject({ status: "CANCELLED", payment_status: "refunded", refunded_cents: 5000 });
  });

  it("a checkout past reserved_until is not refused while a delayed payment holds the order", async () => {
    const p = await createProduct({ stock: 10, priceCents: 700 });
    const { body } = await postOrder(newOrder([{ product_id: p, quantity: 1 }]));
    await stripe(checkoutSessionCompleted({ clientReferenceId: body.order_id, amountTotal: 700, currency: "eur", paymentStatus: "unpaid" }));
    await env.DB.prepare("UPDATE orders SET reserved_until = ? WHERE id = ?").bind(Date.now() - 60_000, body.order_id).run();
    const res = await call("POST", `/${body.order_id}/checkout`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "AWAITING_PAYMENT", payment_status: "pending" });
  });

  it("an order cancelled before its payment arrived says the money was paid, then refunded", async () => {
    const p = await createProduct({ stock: 10, priceCents: 1500 });
    const { body } = await postOrder(newOrder([{ product_id: p, quantity: 1 }]));
    expect((await call("POST", `/${body.order_id}/cancel`)).status).toBe(200);
    const pi = `pi_test_${crypto.randomUUID().slice(0, 8)}`;
    expect(await stripe(checkoutSessionCompleted({ clientReferenceId: body.order_id, amountTotal: 1500, currency: "eur", paymentIntent: pi }))).toMatchObject({
      outcome: "refund_required",
    });
    expect((await call("GET", `/${body.order_id}`)).body).toMatchObject({
      status: "CANCELLED",
      payment_status: "paid",
      payments: [{ reference: pi, status: "succeeded", confirmed_order: false }],
    });
    await stripe(chargeRefunded({ paymentIntent: pi, amount: 1500, amountRefunded: 1500 }));
    expect((await call("GET", `/${body.order_id}`)).body).toMatchObject({ status: "CANCELLED", payment_status: "refunded", refunded_cents: 1500 });
  });

  it("a generic payment without payment_id is listed without a reference", async () => {
    const p = await createProduct({ stock: 10 });
    const { body } = await postOrder(newOrder([{ product_id: p, quantity: 1 }]));
    await pay(body.order_id);
    const read = (await call("GET", `/${body.order_id}`)).body;
    expect(read).toMatchObject({ payment_status: "paid", payments: [{ provider: "generic", reference: null, status: "succeeded", confirmed_order: true }] });
  });
});
