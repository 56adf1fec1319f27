// The order API as a named entrypoint for a service binding: a storefront that runs on
// Workers calls `env.ORDERS.createOrder(...)` with no key and no HTTP. A binding is granted by
// whoever deploys the storefront's wrangler.toml next to this Worker, so it is trusted the way
// a shop key is. Each method runs the same operation as its HTTP route and answers the same
// `{ status, body }` (the body as the OpenAPI document describes it for that status).
import { WorkerEntrypoint } from "cloudflare:workers";
import { ConfigError, readLogLevel } from "../config";
import { createLogger, errorMessage } from "../observability/log";
import {
  cancelOrderOperation,
  checkoutOrderOperation,
  createOrderOperation,
  getOrderOperation,
  type OrderAnswer,
} from "./orderOperations";

export type OrdersAnswer = Pick<OrderAnswer, "status" | "body"> & { replayed?: boolean } | { status: 500; body: { error: string; request_id: string } };

export class OrdersEntrypoint extends WorkerEntrypoint<Env> {
  /** POST /api/orders; `idempotencyKey` as the Idempotency-Key header. */
  createOrder(order: unknown, options?: { idempotencyKey?: string }): Promise<OrdersAnswer> {
    return this.run("createOrder", () => createOrderOperation(this.env, order, options?.idempotencyKey ?? null));
  }

  /** POST /api/orders/{orderId}/checkout. */
  checkoutOrder(orderId: string): Promise<OrdersAnswer> {
    return this.run("checkoutOrder", () => checkoutOrderOperation(this.env, orderId));
  }

  /** POST /api/orders/{orderId}/cancel. */
  cancelOrder(orderId: string): Promise<OrdersAnswer> {
    return this.run("cancelOrder", () => cancelOrderOperation(this.env, orderId));
  }

  /** GET /api/orders/{orderId}. */
  getOrder(orderId: string): Promise<OrdersAnswer> {
    return this.run("getOrder", () => getOrderOperation(this.env, orderId));
  }

  /**
   * One log line per call, like a request's; our own faults are answered 500 with a request id
   * (as over HTTP), never thrown at the caller with our internals in the message.
   */
  private async run(method: string, operation: () => Promise<OrderAnswer>): Promise<OrdersAnswer> {
    const requestId = crypto.randomUUID();
    const log = createLogger(readLogLevel(this.env).level, { request_id: requestId });
    try {
      const result = await operation();
      log.info("binding_call", { method, status: result.status, outcome: result.outcome });
      return { status: result.status, body: result.body, ...(result.replayed ? { replayed: true } : {}) };
    } catch (error) {
      if (error instanceof ConfigError) {
        log.error("config_invalid", { method, error: error.message });
        return { status: 500, body: { error: "Service misconfigured", request_id: requestId } };
      }
      log.error("unhandled_error", { method, error: errorMessage(error) });
      return { status: 500, body: { error: "Internal error", request_id: requestId } };
    }
  }
}
