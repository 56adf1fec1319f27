// Per-request context: a request id (returned as X-Request-Id), a logger, and exactly one
// structured log line per request when the answer is ready.
import type { MiddlewareHandler } from "hono";
import { readLogLevel } from "../config";
import { createLogger } from "../observability/log";
import type { AppEnv } from "./appEnv";

export const REQUEST_ID_HEADER = "X-Request-Id";

const reportedLogLevel = new WeakSet<object>();

export const requestContext: MiddlewareHandler<AppEnv> = async (c, next) => {
  const started = performance.now();
  const requestId = crypto.randomUUID();
  const logLevel = readLogLevel(c.env);
  const log = createLogger(logLevel.level, { request_id: requestId });
  if (logLevel.problem && !reportedLogLevel.has(logLevel)) {
    reportedLogLevel.add(logLevel);
    log.error("config_invalid", { error: logLevel.problem });
  }
  c.set("requestId", requestId);
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
