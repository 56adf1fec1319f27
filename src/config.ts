// Configuration is read from the Worker's environment and validated here, once per
// use, so the rest of the code receives typed values and never touches `env` strings.
import { z } from "zod";
import type { LogLevel } from "./observability/log";

const ConfigSchema = z.object({
  /** Comma-separated accepted values of X-Webhook-Key; several allow rotation. */
  WEBHOOK_SECRET: z
    .string()
    .optional()
    .transform((v) =>
      (v ?? "")
        .split(",")
        .map((key) => key.trim())
        // An empty entry ("a,,b", a trailing comma) must never make an empty key valid.
        .filter((key) => key.length > 0),
    ),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  INVOICE_PREFIX: z
    .string()
    .regex(/^[A-Z0-9]{1,10}$/, "INVOICE_PREFIX must be 1-10 upper-case letters or digits")
    .default("INV"),
});

export interface Config {
  webhookKeys: string[];
  logLevel: LogLevel;
  invoicePrefix: string;
}

export function readConfig(env: Record<string, unknown>): Config {
  const parsed = ConfigSchema.parse(env);
  return {
    webhookKeys: parsed.WEBHOOK_SECRET,
    logLevel: parsed.LOG_LEVEL,
    invoicePrefix: parsed.INVOICE_PREFIX,
  };
}
