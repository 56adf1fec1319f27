// /api/orders: the shop's order API over HTTP. Read top to bottom in the order a request
// travels: authenticate (the shop's key, never a webhook key), limit and parse the body, then
// the operation (src/orders/orderOperations.ts, shared with the service binding) validates,
// acts and says what to answer.
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { readShopConfig, type ShopConfig } from "../../config";
import type { AppEnv } from "../../http/appEnv";
import { ApiError } from "../../http/errors";
import { isValidWebhookKey } from "../../providers/generic/authenticateKey";
import {
  cancelOrderOperation,
  checkoutOrderOperation,
  createOrderOperation,
  getOrderOperation,
  type OrderAnswer,
} from "../orderOperations";

export const ORDERS_PATH = "/api/orders";
export const MAX_ORDER_BODY_BYTES = 64 * 1024;

const reported = new WeakSet<ShopConfig>();

/**
 * `Authorization: Bearer <SHOP_API_KEY>`, compared in constant time against every configured
 * key (the same comparison as the webhook's X-Webhook-Key, over a separate list: config
 * refuses a shop key that is also a webhook key). No usable key configured: fail closed.
 */
const authenticateShop: MiddlewareHandler<AppEnv> = async (c, next) => {
  const config = readShopConfig(c.env);
  if (config.problems.length > 0 && !reported.has(config)) {
    reported.add(config);
    c.get("log").error("config_secret_refused", { problems: config.problems });
  }
  if (config.apiKeys.length === 0) {
    c.get("log").error("shop_api_key_missing", {
      message: "SHOP_API_KEY holds no usable key: the order API refuses every call. Set one with `wrangler secret put SHOP_API_KEY` (`openssl rand -hex 32`).",
    });
    throw new ApiError(500, "Order API authentication is not configured", undefined, "misconfigured");
  }
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(c.req.header("Authorization") ?? "");
  if (!(await isValidWebhookKey(match?.[1], config.apiKeys))) {
    c.header("WWW-Authenticate", 'Bearer realm="orders"');
    throw new ApiError(401, "Unauthorized", { reason: match ? "unknown key" : "send Authorization: Bearer <SHOP_API_KEY>" }, "unauthorized");
  }
  return next();
};

const limitBody = bodyLimit({
  maxSize: MAX_ORDER_BODY_BYTES,
  onError: () => {
    throw new ApiError(413, "Payload too large", { max_bytes: MAX_ORDER_BODY_BYTES });
  },
});

async function jsonBody(c: Context<AppEnv>): Promise<unknown> {
  const type = (c.req.header("Content-Type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json") throw new ApiError(415, "Unsupported content type", { received: type || null, accepted: ["application/json"] });
  try {
    return await c.req.json();
  } catch {
    throw new ApiError(400, "Malformed JSON", [{ field: "(body)", message: "the body is not valid JSON" }]);
  }
}

function answer(c: Context<AppEnv>, result: OrderAnswer) {
  c.set("outcome", result.outcome);
  if (result.replayed) c.header("Idempotent-Replayed", "true");
  return c.json(result.body, result.status);
}

export const orderRoutes = new Hono<AppEnv>();

orderRoutes.use("*", authenticateShop);

orderRoutes.post("/", limitBody, async (c) =>
  answer(c, await createOrderOperation(c.env, await jsonBody(c), c.req.header("Idempotency-Key"))),
);
orderRoutes.post("/:order_id/checkout", async (c) => answer(c, await checkoutOrderOperation(c.env, c.req.param("order_id"))));
orderRoutes.post("/:order_id/cancel", async (c) => answer(c, await cancelOrderOperation(c.env, c.req.param("order_id"))));
orderRoutes.get("/:order_id", async (c) => answer(c, await getOrderOperation(c.env, c.req.param("order_id"))));
