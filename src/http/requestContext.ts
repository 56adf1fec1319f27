// Per-request context: a request id (returned as X-Request-Id), the parsed configuration,
// a logger, and exactly one structured log line per request when the answer is ready.
import type { MiddlewareHandler } from "hono";
import { readConfig } from "../config";
import { createLogger } from "../observability/log";
import type { AppEnv } from "./appEnv";

export const REQUEST_ID_HEADER = "X-Request-Id";

export const requestContext: MiddlewareHandler<AppEnv> = async (c, next) => {
  const started = performance.now();
  const requestId = crypto.randomUUID();
  const config = readConfig(c.env);
  const log = createLogger(config.logLevel, { request_id: requestId });
  c.set("requestId", requestId);
  c.set("config", config);
  c.set("log", log);
  c.set("outcome", "unknown");
  await next();
  c.header(REQUEST_ID_HEADER, requestId);
  log.info("request", {
    method: c.req.method,
    path: c.req.path,
    status: c.res.status,
    outcome: c.get("outcome"),
    // Workers' clock only advances across I/O, so this is wall time spent waiting on D1.
    duration_ms: Math.round((performance.now() - started) * 10) / 10,
  });
};
