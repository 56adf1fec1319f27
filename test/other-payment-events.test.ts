// Everything else Stripe says about a payment: payment_intent.canceled and
// checkout.session.expired are recorded in the ledger and change no order; a failed or
// pending payment that names no order moved no money and raises nothing.
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { attentionOf, createOrder, createProduct, order, product } from "./support/shop";
import { checkoutSession, checkoutSessionCompleted, paymentIntent, paymentIntentPaymentFailed, signedStripeRequest, stripeEvent } from "./support/stripeEvents";

const send = async (event: object) => (await exports.default.fetch(await signedStripeRequest(event))).json<{ outcome: string }>();
const payment = (ref: string) => env.DB.prepare("SELECT order_id, status, amount_cents FROM payments WHERE provider_ref = ?").bind(ref).first();

describe("other payment events", () => {
  it("payment_intent.canceled and checkout.session.expired are recorded in the ledger and change no order", async () => {
    const productId = await createProduct({ stock: 10, reserved: 2 });
    const o = await createOrder({ lines: [{ productId, quantity: 2, unitPriceCents: 1999 }] });
    const canceled = stripeEvent("payment_intent.canceled", { ...paymentIntent({ id: "pi_test_canceled", amount: 3998, status: "processing" }), status: "canceled", metadata: { order_id: o.id } });
    const expired = stripeEvent("checkout.session.expired", { ...checkoutSession({ id: "cs_test_expired", clientReferenceId: o.id, amountTotal: 3998, paymentIntent: null, paymentStatus: "unpaid" }), status: "expired" });

    expect(await send(canceled)).toMatchObject({ outcome: "payment_recorded" });
    expect(await send(expired)).toMatchObject({ outcome: "payment_recorded" });

    expect(await payment("pi_test_canceled")).toEqual({ order_id: o.id, status: "canceled", amount_cents: 3998 });
    expect(await payment("cs_test_expired")).toEqual({ order_id: o.id, status: "canceled", amount_cents: 3998 });
    expect((await order(o.id))?.status).toBe("AWAITING_PAYMENT");
    expect(await product(productId)).toEqual({ stock: 10, stock_reserved: 2 });
    expect(await attentionOf(o.id)).toEqual([]);
  });

  it("a failed or pending payment that names no order raises nothing", async () => {
    const before = (await attentionOf(null)).length;
    expect(await send(paymentIntentPaymentFailed({ id: "pi_test_failed_orphan" }))).toMatchObject({ outcome: "payment_recorded" });
    expect(await send(checkoutSessionCompleted({ paymentStatus: "unpaid", paymentIntent: "pi_test_pending_orphan" }))).toMatchObject({ outcome: "payment_recorded" });
    expect(await attentionOf(null)).toHaveLength(before);
    expect(await payment("pi_test_failed_orphan")).toEqual({ order_id: null, status: "failed", amount_cents: null });
    expect(await payment("pi_test_pending_orphan")).toEqual({ order_id: null, status: "pending", amount_cents: null });
  });
});
