// The shop's four order operations, once, for both doors: the HTTP routes
// (src/orders/http/orderRoutes.ts) and the service binding (src/orders/ordersEntrypoint.ts)
// call these and hand back the same `{ status, body }`, so a storefront sees the same answers
// whichever way it calls. Each validates its input, runs one transition and says what it did.
import { readLogLevel, readShopConfig, readStripeApiConfig } from "../config";
import { createLogger } from "../observability/log";
import { describeIssues } from "../providers/generic/paymentPayload";
import { cancelOrder } from "./cancelOrder";
import { checkoutReservationMinutes, startCheckoutSession } from "./checkoutSession";
import { normaliseUuid } from "./normaliseUuid";
import { CreateOrderSchema, IDEMPOTENCY_KEY } from "./orderRequest";
import { readOrder, toOrderBody, type OrderBody } from "./orderView";
import { createOrder, reservePendingOrder } from "./reserveOrder";

export interface ErrorBody {
  error: string;
  details?: unknown;
  order_id?: string;
  order_status?: string;
}

export interface OrderAnswer {
  status: 200 | 201 | 400 | 404 | 409 | 422 | 502;
  /** `checkout_url`: the Stripe Checkout Session of a create that asked for one. */
  body: (OrderBody & { checkout_url?: string }) | ErrorBody;
  /** What happened, for the request's log line (created, replayed, insufficient_stock, ...). */
  outcome: string;
  /** A retry with an Idempotency-Key already used: the first order, nothing created. */
  replayed?: boolean;
}

const invalid = (error: string, details: { field: string; message: string }[], outcome = "invalid_request"): OrderAnswer => ({
  status: 400,
  body: { error, details },
  outcome,
});

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** `orderId` in any UUID form; null after a 400 answer. */
function orderIdOf(input: unknown): string | null {
  return typeof input === "string" ? normaliseUuid(input) : null;
}
const badOrderId = () => invalid("Invalid order id", [{ field: "order_id", message: "order_id must be a UUID" }]);
const notFound = (orderId: string): OrderAnswer => ({ status: 404, body: { error: "Order not found", order_id: orderId }, outcome: "not_found" });

export async function createOrderOperation(env: Env, input: unknown, idempotencyKey?: unknown, now = Date.now()): Promise<OrderAnswer> {
  const config = readShopConfig(env);
  // The binding passes whatever its caller had (a numeric cart id too): a bad key is a 400.
  const key = typeof idempotencyKey === "string" ? idempotencyKey.trim() || null : null;
  if (idempotencyKey != null && (key === null || !IDEMPOTENCY_KEY.test(key))) {
    return invalid("Invalid Idempotency-Key", [
      { field: "Idempotency-Key", message: "Idempotency-Key must be 1 to 255 printable ASCII characters without spaces" },
    ]);
  }
  const parsed = CreateOrderSchema.safeParse(input);
  if (!parsed.success) return invalid("Invalid order", describeIssues(parsed.error));
  const request = parsed.data;
  // Stripe's settings are read only when a request asks for Checkout: a wrong one stops only that.
  const stripe = request.checkout ? readStripeApiConfig(env) : null;
  const secretKey = stripe?.secretKey;
  if (request.checkout && (stripe === null || secretKey === undefined)) {
    return invalid(
      "Stripe Checkout is not offered",
      [{ field: "checkout", message: "this service has no STRIPE_SECRET_KEY: create the Checkout Session in the shop, or ask the operator to set the key" }],
      "checkout_not_offered",
    );
  }
  const minutes = request.checkout ? checkoutReservationMinutes(config.reservationMinutes) : config.reservationMinutes;
  const result = await createOrder(env.DB, {
    orderId: crypto.randomUUID(),
    customerEmail: request.customer_email,
    customerName: request.customer_name,
    currency: config.currency,
    lines: request.lines,
    billingAddress: request.billing_address,
    supplyDate: request.supply_date,
    now,
    reservedUntil: now + minutes * 60_000,
    idempotencyKey: key,
    requestHash: await sha256Hex(JSON.stringify(request)),
  });
  switch (result.outcome) {
    case "created":
    case "replayed": {
      const replayed = result.outcome === "replayed" ? { replayed: true } : {};
      const order = toOrderBody(result.order);
      // A replay of an order that has since been paid or cancelled is answered as it is now.
      if (!request.checkout || secretKey === undefined || order.status !== "AWAITING_PAYMENT") {
        return { status: 201, body: order, outcome: result.outcome, ...replayed };
      }
      const checkout = await startCheckoutSession(env.DB, { ...stripe!, secretKey }, order, request.checkout, key, now);
      if (checkout.outcome === "stripe_failed") {
        const { failure } = checkout;
        createLogger(readLogLevel(env).level).error("checkout_session_failed", {
          order_id: order.order_id,
          stripe_status: failure.status,
          stripe_type: failure.type,
          stripe_code: failure.code,
          stripe_message: failure.message,
          action: failure.reachable ? "the shop's request: see stripe_message" : "Stripe or STRIPE_SECRET_KEY: see stripe_message",
        });
        return {
          status: 502,
          body: {
            error: `Stripe did not create the Checkout Session: ${failure.message}`,
            details: { stripe_status: failure.status, stripe_type: failure.type, stripe_code: failure.code, stripe_param: failure.param },
            order_id: order.order_id,
            order_status: checkout.order?.status ?? order.status,
          },
          outcome: "stripe_failed",
        };
      }
      return { status: 201, body: { ...checkout.order, checkout_url: checkout.checkoutUrl }, outcome: result.outcome, ...replayed };
    }
    case "idempotency_key_reused":
      return {
        status: 422,
        body: {
          error: "Idempotency-Key already used for a different order",
          details: [{ field: "Idempotency-Key", message: "this key created another order; use a new key for a new order" }],
          order_id: result.orderId,
        },
        outcome: "idempotency_key_reused",
      };
    case "unknown_products": {
      const unknown = new Set(result.productIds);
      return invalid(
        "Unknown product",
        request.lines.flatMap((line, i) =>
          unknown.has(line.product_id) ? [{ field: `lines.${i}.product_id`, message: `no product has id ${line.product_id}` }] : [],
        ),
        "unknown_product",
      );
    }
    case "insufficient_stock":
      return { status: 400, body: { error: "Insufficient stock", details: result.shortages }, outcome: "insufficient_stock" };
  }
}

export async function checkoutOrderOperation(env: Env, orderIdInput: unknown, now = Date.now()): Promise<OrderAnswer> {
  const config = readShopConfig(env);
  const orderId = orderIdOf(orderIdInput);
  if (orderId === null) return badOrderId();
  const result = await reservePendingOrder(env.DB, orderId, now, now + config.reservationMinutes * 60_000);
  switch (result.outcome) {
    case "not_found":
      return notFound(orderId);
    case "reserved":
      return { status: 200, body: toOrderBody(result.order), outcome: "reserved" };
    case "already_reserved": {
      const until = result.order.reserved_until;
      const body = toOrderBody(result.order);
      // Past its time but not yet swept by the expiry job: it is about to be cancelled, so the
      // shop must not send the customer to pay for it (the payment would be a refund). Unless a
      // delayed payment (SEPA) is under way: that holds the order (src/orders/expireReservations.ts).
      if (until !== null && until <= now && body.payment_status !== "pending") {
        return {
          status: 409,
          body: { error: "Reservation expired", order_id: result.order.id, order_status: result.order.status },
          outcome: "reservation_expired",
        };
      }
      return { status: 200, body, outcome: "already_reserved" };
    }
    case "no_lines":
      return {
        status: 422,
        body: { error: "Order has no lines", order_id: result.order.id, order_status: result.order.status },
        outcome: "no_lines",
      };
    case "not_reservable":
      return {
        status: 409,
        body: { error: `Order is ${result.order.status}: it cannot be checked out`, order_id: result.order.id, order_status: result.order.status },
        outcome: "not_reservable",
      };
    case "insufficient_stock":
      return {
        status: 400,
        body: { error: "Insufficient stock", details: result.shortages, order_id: result.order.id, order_status: result.order.status },
        outcome: "insufficient_stock",
      };
  }
}

export async function cancelOrderOperation(env: Env, orderIdInput: unknown, now = Date.now()): Promise<OrderAnswer> {
  const orderId = orderIdOf(orderIdInput);
  if (orderId === null) return badOrderId();
  const result = await cancelOrder(env.DB, orderId, now);
  switch (result.outcome) {
    case "not_found":
      return notFound(orderId);
    case "cancelled":
    case "already_cancelled":
      return { status: 200, body: toOrderBody(result.order), outcome: result.outcome };
    case "not_cancellable":
      return {
        status: 409,
        body: {
          error: `Order is ${result.order.status}: it was paid, so it is refunded, not cancelled`,
          order_id: result.order.id,
          order_status: result.order.status,
        },
        outcome: "not_cancellable",
      };
  }
}

export async function getOrderOperation(env: Env, orderIdInput: unknown): Promise<OrderAnswer> {
  const orderId = orderIdOf(orderIdInput);
  if (orderId === null) return badOrderId();
  const order = await readOrder(env.DB, orderId);
  return order ? { status: 200, body: toOrderBody(order), outcome: "read" } : notFound(orderId);
}
