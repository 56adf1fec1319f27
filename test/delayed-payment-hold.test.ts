// A delayed payment under way (SEPA Direct Debit, a bank transfer: Stripe's
// checkout.session.completed with payment_status "unpaid") holds its order's reservation past
// reserved_until, until it succeeds, fails, or PENDING_PAYMENT_HOLD_DAYS (default 14) pass.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { attentionOf, createOrder, createProduct, order, product, runCron } from "./support/shop";
import {
  checkoutSessionAsyncPaymentFailed,
  checkoutSessionAsyncPaymentSucceeded,
  checkoutSessionCompleted,
  signedStripeRequest,
} from "./support/stripeEvents";

const MINUTE = 60_000;
const DAY = 86_400_000;
const TOTAL = 3998;

async function sepaOrder() {
  const productId = await createProduct({ stock: 10, reserved: 2 });
  const o = await createOrder({ reservedUntil: Date.now() - MINUTE, lines: [{ productId, quantity: 2, unitPriceCents: 1999 }] });
  const pi = `pi_test_sepa_${crypto.randomUUID().slice(0, 8)}`;
  const started = await send(checkoutSessionCompleted({ clientReferenceId: o.id, amountTotal: TOTAL, paymentStatus: "unpaid", paymentIntent: pi }));
  expect(started).toMatchObject({ outcome: "payment_pending" });
  return { ...o, productId, pi };
}
const send = async (event: object) => (await exports.default.fetch(await signedStripeRequest(event))).json<{ outcome: string }>();

describe("a delayed payment holds the order", () => {
  it("keeps the reservation past reserved_until, and the payment's success days later confirms the order", async () => {
    const o = await sepaOrder();
    await runCron(Date.now());
    await runCron(Date.now() + 5 * DAY);
    expect((await order(o.id))?.status).toBe("AWAITING_PAYMENT");
    expect(await product(o.productId)).toEqual({ stock: 10, stock_reserved: 2 });

    expect(await send(checkoutSessionAsyncPaymentSucceeded({ clientReferenceId: o.id, amountTotal: TOTAL, paymentIntent: o.pi }))).toMatchObject({ outcome: "confirmed" });
    expect((await order(o.id))?.status).toBe("CONFIRMED");
    expect(await product(o.productId)).toEqual({ stock: 8, stock_reserved: 0 });
    expect(await attentionOf(o.id)).toEqual([]);
  });

  it("its failure ends the hold: the next expiry run releases the stock as usual", async () => {
    const o = await sepaOrder();
    await runCron(Date.now());
    expect((await order(o.id))?.status).toBe("AWAITING_PAYMENT");

    expect(await send(checkoutSessionAsyncPaymentFailed({ clientReferenceId: o.id, amountTotal: TOTAL, paymentIntent: o.pi }))).toMatchObject({ outcome: "payment_failed" });
    // A late copy of the "unpaid" completion must not start the hold again.
    await send(checkoutSessionCompleted({ clientReferenceId: o.id, amountTotal: TOTAL, paymentStatus: "unpaid", paymentIntent: o.pi }));
    await runCron(Date.now());
    expect((await order(o.id))?.status).toBe("CANCELLED");
    expect(await product(o.productId)).toEqual({ stock: 10, stock_reserved: 0 });
  });

  it("ends after PENDING_PAYMENT_HOLD_DAYS (default 14)", async () => {
    const o = await sepaOrder();
    await runCron(Date.now() + 13 * DAY);
    expect((await order(o.id))?.status).toBe("AWAITING_PAYMENT");
    await runCron(Date.now() + 14 * DAY + MINUTE);
    expect((await order(o.id))?.status).toBe("CANCELLED");
    expect(await product(o.productId)).toEqual({ stock: 10, stock_reserved: 0 });

    const short = await sepaOrder();
    await runCron(Date.now() + 3 * DAY, { PENDING_PAYMENT_HOLD_DAYS: "2" } as Partial<Env>);
    expect((await order(short.id))?.status).toBe("CANCELLED");
  });

  it("holds nothing for an order without a pending payment", async () => {
    const productId = await createProduct({ stock: 10, reserved: 2 });
    const o = await createOrder({ reservedUntil: Date.now() - MINUTE, lines: [{ productId, quantity: 2 }] });
    await runCron(Date.now());
    expect((await order(o.id))?.status).toBe("CANCELLED");
  });
});
