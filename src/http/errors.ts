// The one place that turns exceptions into the JSON error shape `{ error, details? }`.
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ConfigError } from "../config";
import { createLogger, errorMessage } from "../observability/log";
import type { AppEnv } from "./appEnv";

/** A client error with a JSON body; thrown by middleware, answered by `onError`. */
export class ApiError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    readonly error: string,
    readonly details?: unknown,
    readonly outcome: string = "rejected",
  ) {
    super(status, { message: error });
  }
}

export function handleError(err: Error, c: Context<AppEnv>): Response {
  if (err instanceof ApiError) {
    c.set("outcome", err.outcome);
    return c.json({ error: err.error, ...(err.details === undefined ? {} : { details: err.details }) }, err.status);
  }
  if (err instanceof HTTPException) {
    // Hono's own (malformed JSON or form body from the validator): a client error, its message.
    c.set("outcome", "rejected");
    const message = err.message || "Bad request";
    return c.json({ error: message, details: [{ field: "(body)", message }] }, err.status);
  }
  // `log` is missing only if the request context itself failed.
  const log = c.get("log") ?? createLogger("info");
  if (err instanceof ConfigError) {
    // A setting of ours is wrong: 500 so the provider retries once it is fixed; the log
    // line names the variable (never its value when it is a secret).
    c.set("outcome", "misconfigured");
    log.error("config_invalid", { error: err.message });
    return c.json({ error: "Service misconfigured", request_id: c.get("requestId") }, 500);
  }
  // Our own fault (D1 unavailable, a bug): 500 so that the provider retries the delivery.
  c.set("outcome", "internal_error");
  log.error("unhandled_error", { error: errorMessage(err) });
  return c.json({ error: "Internal error", request_id: c.get("requestId") }, 500);
}
