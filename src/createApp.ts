import { Hono, type Context } from "hono";
import { readStripeConfig } from "./config";
import { STRIPE_WEBHOOK_PATH, stripeWebhook } from "./providers/stripe/stripeRoute";
import { openApiDocument } from "./openApiDocument";
import { paymentWebhook, PAYMENT_WEBHOOK_PATH } from "./providers/generic/paymentRoute";
import type { AppEnv } from "./http/appEnv";
import { handleError } from "./http/errors";
import { requestContext } from "./http/requestContext";
import { orderRoutes, ORDERS_PATH } from "./orders/http/orderRoutes";

/** The webhook paths answer every other method the same way. */
const postOnly = (c: Context<AppEnv>) => {
  c.set("outcome", "method_not_allowed");
  c.header("Allow", "POST");
  return c.json({ error: "Method not allowed", details: { allowed: ["POST"] } }, 405);
};

const noRoute = (c: Context<AppEnv>) => {
  c.set("outcome", "no_route");
  return c.json({ error: "Not found" }, 404);
};

/**
 * The Worker's HTTP app. `extend` mounts more routes before the 404 (the local development
 * entry, src/dev/devWorker.ts, adds its routes this way; the deployed Worker never imports them).
 */
export function createApp(extend?: (app: Hono<AppEnv>) => void) {
  // strict: false — the original endpoint has a trailing slash; providers configured without
  // it must get the same answer, not a redirect (most do not follow one for a POST).
  const app = new Hono<AppEnv>({ strict: false });
  app.use("*", requestContext);
  app.route(PAYMENT_WEBHOOK_PATH, paymentWebhook);
  app.all(PAYMENT_WEBHOOK_PATH, postOnly);
  app.route(STRIPE_WEBHOOK_PATH, stripeWebhook);
  // Without STRIPE_WEBHOOK_SECRET the Stripe path does not exist, whatever the method.
  app.all(STRIPE_WEBHOOK_PATH, (c) => (readStripeConfig(c.env).secrets.length === 0 ? noRoute(c) : postOnly(c)));
  app.route(ORDERS_PATH, orderRoutes);
  app.get("/api/openapi.json", (c) => {
    c.set("outcome", "openapi");
    return c.json(openApiDocument());
  });
  extend?.(app);
  // Returned, not thrown: Hono runs notFound outside the middleware's error handling, and
  // a throw here would skip the request log line and the X-Request-Id header.
  app.notFound(noRoute);
  app.onError(handleError);
  return app;
}
