// Configuration is read from the Worker's environment and validated here, in one place,
// so the rest of the code receives typed values and never touches `env` strings.
//
// Two parts, parsed separately: a wrong invoice or email setting must not stop payment
// webhooks or reservation expiry, and a wrong webhook setting must not stop invoice emails.
import { z } from "zod";
import type { LogLevel } from "./observability/log";
import { parseSigningSecrets } from "./webhooks/standardWebhooks";

const text = (fallback?: string) =>
  z
    .string()
    .optional()
    .transform((v) => (v !== undefined && v.trim() !== "" ? v.trim() : fallback));

const flag = z
  .string()
  .optional()
  .transform((v) => v === "true");

const CoreSchema = z.object({
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
  /** Standard Webhooks secrets ("whsec_<base64>"), comma-separated; optional. */
  WEBHOOK_SIGNING_SECRET: z
    .string()
    .optional()
    .transform((v, ctx) => {
      try {
        return parseSigningSecrets(v);
      } catch {
        ctx.addIssue({ code: "custom", message: "WEBHOOK_SIGNING_SECRET must be whsec_<base64> (comma-separated for rotation)" });
        return z.NEVER;
      }
    }),
  /** Local development only (.dev.vars): dev routes, and the log mailer when there is no token. */
  DEV_MODE: flag,
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  INVOICE_PREFIX: z
    .string()
    .regex(/^[A-Z0-9]{1,10}$/, "INVOICE_PREFIX must be 1-10 upper-case letters or digits")
    .default("INV"),
});

const MailSchema = z
  .object({
    POSTMARK_SERVER_TOKEN: text(),
    POSTMARK_API_URL: z.url({ protocol: /^https?$/ }).default("https://api.postmarkapp.com"),
    POSTMARK_MESSAGE_STREAM: text("outbound"),
    INVOICE_FROM_EMAIL: text(),
    SELLER_NAME: text("Your Shop"),
    /** Address lines separated by "|" (wrangler vars are single strings). */
    SELLER_ADDRESS: text(""),
    SELLER_VAT_ID: text(),
    INVOICE_LOCALE: text("en-GB"),
    /** Prices are gross; when set, the invoice shows net, tax and gross. */
    INVOICE_TAX_RATE_PERCENT: z.coerce.number().min(0).max(100).optional().or(z.literal("").transform(() => undefined)),
  })
  .refine((c) => !c.POSTMARK_SERVER_TOKEN || c.INVOICE_FROM_EMAIL, {
    message: "INVOICE_FROM_EMAIL must be set when POSTMARK_SERVER_TOKEN is (a verified Postmark sender)",
    path: ["INVOICE_FROM_EMAIL"],
  });

export interface Config {
  webhookKeys: string[];
  signingSecrets: Uint8Array[];
  devMode: boolean;
  logLevel: LogLevel;
  invoicePrefix: string;
}

export interface MailConfig {
  postmark: { token: string | undefined; apiUrl: string; messageStream: string };
  invoice: {
    fromEmail: string;
    locale: string;
    taxRatePercent: number | undefined;
    seller: { name: string; addressLines: string[]; vatId: string | undefined };
  };
}

/** Memoised per env object: the env of an isolate does not change between requests. */
function memoise<T>(parse: (env: Record<string, unknown>) => T) {
  const parsed = new WeakMap<object, T>();
  return (env: object): T => {
    let value = parsed.get(env);
    if (value === undefined) {
      value = parse(env as Record<string, unknown>);
      parsed.set(env, value);
    }
    return value;
  };
}

export const readConfig = memoise((env): Config => {
  const c = CoreSchema.parse(env);
  return {
    webhookKeys: c.WEBHOOK_SECRET,
    signingSecrets: c.WEBHOOK_SIGNING_SECRET,
    devMode: c.DEV_MODE,
    logLevel: c.LOG_LEVEL,
    invoicePrefix: c.INVOICE_PREFIX,
  };
});

export const readMailConfig = memoise((env): MailConfig => {
  const c = MailSchema.parse(env);
  return {
    postmark: { token: c.POSTMARK_SERVER_TOKEN, apiUrl: c.POSTMARK_API_URL, messageStream: c.POSTMARK_MESSAGE_STREAM! },
    invoice: {
      fromEmail: c.INVOICE_FROM_EMAIL ?? "invoices@localhost.invalid",
      locale: c.INVOICE_LOCALE!,
      taxRatePercent: c.INVOICE_TAX_RATE_PERCENT,
      seller: {
        name: c.SELLER_NAME!,
        addressLines: (c.SELLER_ADDRESS ?? "").split("|").map((l) => l.trim()).filter(Boolean),
        vatId: c.SELLER_VAT_ID,
      },
    },
  };
});
