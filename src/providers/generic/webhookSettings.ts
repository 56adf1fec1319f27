// The webhook routes' own settings, parsed on the routes that use them (not for every
// request: a wrong webhook setting must not take the OpenAPI document or the queue down).
// A setting that makes the whole config unusable (INVOICE_PREFIX, INVOICE_TIME_ZONE) throws
// a ConfigError: 500 with a log line naming the variable, and the provider retries. Refused
// secrets are reported once per isolate at error level; the good ones keep working.
import type { MiddlewareHandler } from "hono";
import { readWebhookConfig, type WebhookConfig } from "../../config";
import type { AppEnv } from "../../http/appEnv";

const reported = new WeakSet<WebhookConfig>();

export const webhookSettings: MiddlewareHandler<AppEnv> = async (c, next) => {
  const config = readWebhookConfig(c.env);
  if (config.problems.length > 0 && !reported.has(config)) {
    reported.add(config);
    c.get("log").error("config_secret_refused", { problems: config.problems });
  }
  c.set("config", config);
  return next();
};
