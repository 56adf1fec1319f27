// Configuration is read from the Worker's environment and validated here, in one place,
// so the rest of the code receives typed values and never touches `env` strings.
//
// Each handler parses only the settings it uses, so a wrong value can stop only the work
// that needs it: a malformed webhook secret never stops invoice emails or the cron, a
// wrong email setting never stops payment webhooks. A wrong value in a handler's own
// setting fails loudly (an error naming the variable) and that handler keeps its work for
// later (the queue retries, the webhook answers 500 so the provider retries).
// LOG_LEVEL can stop nothing: an unknown value falls back to "info" with an error line.
import { z } from "zod";
import { isLocalOrTestHost } from "./http/localHosts";
import { isSingleEmailAddress } from "./mail/emailAddress";
import type { LogLevel } from "./observability/log";
import { parseStripeSecrets } from "./providers/stripe/stripeSecrets";
import { parseSigningSecrets } from "./providers/generic/standardWebhooks";

/** A value that names the variable and says what is wrong with it. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

const text = (fallback?: string) =>
  z
    .string()
    .optional()
    .transform((v) => (v !== undefined && v.trim() !== "" ? v.trim() : fallback));

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

function parseOrThrow<S extends z.ZodType>(schema: S, env: Record<string, unknown>): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((i) => (i.path.length > 0 ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; "),
  );
}

// ---- LOG_LEVEL: every handler --------------------------------------------------------

const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;

export const readLogLevel = memoise((env): { level: LogLevel; problem: string | undefined } => {
  const raw = typeof env.LOG_LEVEL === "string" ? env.LOG_LEVEL.trim() : "";
  if (raw === "") return { level: "info", problem: undefined };
  if ((LOG_LEVELS as readonly string[]).includes(raw)) return { level: raw as LogLevel, problem: undefined };
  return { level: "info", problem: `LOG_LEVEL "${raw.slice(0, 20)}" is not one of ${LOG_LEVELS.join(", ")}; using "info"` };
});

// ---- Invoice numbering and dates: the webhook (series year) and the consumer (date) ----

const InvoiceTimeZone = text("UTC").refine(
  (zone) => {
    try {
      new Intl.DateTimeFormat("en", { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  },
  { message: "INVOICE_TIME_ZONE must be an IANA time zone such as UTC or Europe/Berlin" },
);

// ---- The webhook ---------------------------------------------------------------------

/** Shorter keys are refused: they can be guessed, and a shared key is all that guards the endpoint. */
export const MIN_WEBHOOK_KEY_LENGTH = 32;

const WebhookSchema = z.object({
  /** Comma-separated accepted values of X-Webhook-Key; several allow rotation. */
  WEBHOOK_SECRET: z.string().optional(),
  /** Standard Webhooks secrets ("whsec_<base64>"), comma-separated; optional. */
  WEBHOOK_SIGNING_SECRET: z.string().optional(),
  INVOICE_PREFIX: z
    .string()
    .optional()
    .transform((v) => (v === undefined ? "INV" : v.trim()))
    .pipe(z.string().regex(/^[A-Z0-9]{1,10}$/, "INVOICE_PREFIX must be 1-10 upper-case letters or digits")),
  /** First part of credit note numbers (CN-2026-000001): their own gapless series (issue 16 §4). */
  CREDIT_NOTE_PREFIX: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === "" ? "CN" : v.trim()))
    .pipe(z.string().regex(/^[A-Z0-9]{1,10}$/, "CREDIT_NOTE_PREFIX must be 1-10 upper-case letters or digits")),
  INVOICE_TIME_ZONE: InvoiceTimeZone,
}).refine((c) => c.CREDIT_NOTE_PREFIX !== c.INVOICE_PREFIX, {
  // A number must say which document it is: `resend-invoice` and /dev/ look it up by number.
  message: "CREDIT_NOTE_PREFIX must differ from INVOICE_PREFIX",
  path: ["CREDIT_NOTE_PREFIX"],
});

export interface WebhookConfig {
  webhookKeys: string[];
  signingSecrets: Uint8Array[];
  invoicePrefix: string;
  /** CREDIT_NOTE_PREFIX, default "CN" */
  creditNotePrefix: string;
  invoiceTimeZone: string;
  /**
   * Configured secrets that were refused (too short, malformed), each naming its variable.
   * The good ones still work: one bad entry must not turn a correctly signed delivery into
   * a 500. With no good one left the endpoint fails closed.
   */
  problems: string[];
}

export const readWebhookConfig = memoise((env): WebhookConfig => {
  const c = parseOrThrow(WebhookSchema, env);
  const problems: string[] = [];
  const webhookKeys: string[] = [];
  (c.WEBHOOK_SECRET ?? "")
    .split(",")
    .map((key) => key.trim())
    // An empty entry ("a,,b", a trailing comma) must never make an empty key valid.
    .filter((key) => key.length > 0)
    .forEach((key, index) => {
      if (key.length >= MIN_WEBHOOK_KEY_LENGTH) webhookKeys.push(key);
      else
        problems.push(
          `WEBHOOK_SECRET entry ${index + 1} is ${key.length} characters; at least ${MIN_WEBHOOK_KEY_LENGTH} are required ` +
            "(make one with `openssl rand -hex 32`): it is refused",
        );
    });
  const signing = parseSigningSecrets(c.WEBHOOK_SIGNING_SECRET);
  for (const problem of signing.problems) problems.push(`WEBHOOK_SIGNING_SECRET ${problem}: it is refused`);
  return {
    webhookKeys,
    signingSecrets: signing.secrets,
    invoicePrefix: c.INVOICE_PREFIX,
    creditNotePrefix: c.CREDIT_NOTE_PREFIX,
    invoiceTimeZone: c.INVOICE_TIME_ZONE!,
    problems,
  };
});

// ---- Stripe's route ------------------------------------------------------------------

/** STRIPE_WEBHOOK_SECRET: unset means the Stripe route does not exist (404). */
export const readStripeConfig = memoise((env): { secrets: string[]; problems: string[] } =>
  parseStripeSecrets(typeof env.STRIPE_WEBHOOK_SECRET === "string" ? env.STRIPE_WEBHOOK_SECRET : undefined),
);

// ---- Stripe's API: Checkout Sessions from orders, reconciliation, refunds -----------------

/**
 * A secret key (sk_live_/sk_test_) or a restricted key (rk_live_/rk_test_). A publishable key
 * (pk_...) or an endpoint secret (whsec_...) pasted here is refused by name: Stripe would
 * answer every call 401 and the operator would be left guessing.
 */
const STRIPE_KEY = /^(?:sk|rk)_(?:live|test)_[A-Za-z0-9_]{8,}$/;

const StripeApiSchema = z.object({
  STRIPE_SECRET_KEY: text().refine((v) => v === undefined || STRIPE_KEY.test(v), {
    message:
      "STRIPE_SECRET_KEY must be a secret key (sk_live_..., sk_test_...) or a restricted key (rk_live_..., rk_test_...) " +
      "from the Stripe dashboard's API keys page, not a publishable key or a webhook signing secret",
  }),
  STRIPE_API_URL: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === "" ? "https://api.stripe.com" : v.trim()))
    .pipe(z.url({ protocol: /^https?$/, error: "STRIPE_API_URL must be an http(s) URL" }))
    .refine((url) => new URL(url).protocol === "https:" || isLocalOrTestHost(new URL(url).hostname), {
      message: "STRIPE_API_URL must be https:// (the secret key travels in a header); http:// only for a local fake",
    })
    .refine((url) => ["", "/"].includes(new URL(url).pathname) && new URL(url).search === "", {
      message: "STRIPE_API_URL is the API's origin only (https://api.stripe.com): the client adds /v1/...",
    }),
});

export interface StripeApiConfig {
  /** Unset: no Checkout Session is created and nothing is reconciled; everything else works as before. */
  secretKey: string | undefined;
  apiUrl: string;
}

/**
 * STRIPE_SECRET_KEY and STRIPE_API_URL: read only by what calls Stripe (the order API when a
 * request asks for Checkout, the reconciliation job), so a wrong value stops only those.
 */
export const readStripeApiConfig = memoise((env): StripeApiConfig => {
  const c = parseOrThrow(StripeApiSchema, env);
  return { secretKey: c.STRIPE_SECRET_KEY, apiUrl: c.STRIPE_API_URL };
});

// ---- The invoice consumer ------------------------------------------------------------

const MailSchema = z
  .object({
    POSTMARK_SERVER_TOKEN: text(),
    POSTMARK_API_URL: z
      .url({ protocol: /^https?$/, error: "POSTMARK_API_URL must be an http(s) URL" })
      .default("https://api.postmarkapp.com")
      .refine((url) => new URL(url).protocol === "https:" || isLocalOrTestHost(new URL(url).hostname), {
        message: "POSTMARK_API_URL must be https:// (the server token travels in a header); http:// only for a local fake",
      }),
    POSTMARK_MESSAGE_STREAM: text("outbound"),
    INVOICE_FROM_EMAIL: text().refine((v) => v === undefined || isSingleEmailAddress(v), {
      message: "INVOICE_FROM_EMAIL must be one email address",
    }),
    SELLER_NAME: text("Your Shop"),
    /** Address lines separated by "|" (wrangler vars are single strings). */
    SELLER_ADDRESS: text(""),
    SELLER_VAT_ID: text(),
    /** The seller's country, ISO 3166-1 alpha-2 (DE): not printed (SELLER_ADDRESS says it), for the e-invoice. */
    SELLER_COUNTRY: text().pipe(
      z.string().regex(/^[A-Z]{2}$/, "SELLER_COUNTRY must be a two-letter ISO 3166-1 code in capitals (DE)").optional(),
    ),
    /** The seller's national tax number (a German Steuernummer), printed when set. */
    SELLER_TAX_NUMBER: text(),
    /** The register entry ("Amtsgericht Berlin HRB 12345"), printed when set. */
    SELLER_REGISTER: text(),
    /** Contact lines separated by "|" (phone, website, managing directors), printed when set. */
    SELLER_CONTACT: text(""),
    INVOICE_LOCALE: text("en-GB"),
    INVOICE_TIME_ZONE: InvoiceTimeZone,
    /**
     * The VAT rate of every product without its own (products.tax_rate_bp), in percent with
     * at most two decimals. Unset: a line without a rate cannot be invoiced (an invoice must
     * state its rate), unless INVOICE_TAX_NOTE says the shop charges no VAT.
     */
    INVOICE_TAX_RATE_PERCENT: z
      // wrangler.toml may hold it as a number (INVOICE_TAX_RATE_PERCENT = 19).
      .preprocess((v) => (typeof v === "number" ? String(v) : v), z.string().optional())
      .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()))
      .pipe(
        z
          .string()
          .regex(/^\d{1,3}(\.\d{1,2})?$/, "INVOICE_TAX_RATE_PERCENT must be a percentage such as 19 or 8.1 (at most two decimals)")
          .transform(Number)
          .pipe(z.number().max(100, "INVOICE_TAX_RATE_PERCENT must be at most 100"))
          .optional(),
      ),
    /** "true" (the default): prices are gross, tax included; "false": prices are net. */
    PRICES_INCLUDE_TAX: text("true").pipe(
      z.enum(["true", "false"], { error: 'PRICES_INCLUDE_TAX must be "true" (prices include VAT) or "false"' }),
    ),
    /** A shop that charges no VAT (a small business): the note every invoice prints instead. */
    INVOICE_TAX_NOTE: text().refine((v) => v === undefined || v.length <= 300, { message: "INVOICE_TAX_NOTE must be at most 300 characters" }),
    /** "factur-x": every invoice and credit note PDF carries its EN 16931 XML (docs/einvoice.md). */
    INVOICE_EINVOICE: text("off").pipe(
      z.enum(["off", "factur-x"], { error: 'INVOICE_EINVOICE must be "factur-x" (an EN 16931 e-invoice inside the PDF) or unset' }),
    ),
  })
  .refine((c) => c.INVOICE_EINVOICE !== "factur-x" || c.SELLER_COUNTRY, {
    message: "SELLER_COUNTRY must be set when INVOICE_EINVOICE is factur-x (EN 16931 needs the seller's country code)",
    path: ["SELLER_COUNTRY"],
  })
  .refine((c) => !c.POSTMARK_SERVER_TOKEN || c.INVOICE_FROM_EMAIL, {
    message: "INVOICE_FROM_EMAIL must be set when POSTMARK_SERVER_TOKEN is (a verified Postmark sender)",
    path: ["INVOICE_FROM_EMAIL"],
  });

export interface MailConfig {
  postmark: { token: string | undefined; apiUrl: string; messageStream: string };
  invoice: {
    fromEmail: string;
    locale: string;
    timeZone: string;
    /** INVOICE_TAX_RATE_PERCENT: the default rate of lines without their own */
    taxRatePercent: number | undefined;
    /** PRICES_INCLUDE_TAX, default true */
    pricesIncludeTax: boolean;
    /** INVOICE_TAX_NOTE: set when the shop charges no VAT */
    taxNote: string | undefined;
    seller: {
      name: string;
      addressLines: string[];
      vatId: string | undefined;
      /** SELLER_COUNTRY, ISO 3166-1 alpha-2 */
      countryCode: string | undefined;
      taxNumber: string | undefined;
      registerEntry: string | undefined;
      contactLines: string[];
    };
    /** INVOICE_EINVOICE: "factur-x" embeds the EN 16931 XML in every PDF */
    einvoice: "off" | "factur-x";
  };
}

export const readMailConfig = memoise((env): MailConfig => {
  const c = parseOrThrow(MailSchema, env);
  return {
    postmark: { token: c.POSTMARK_SERVER_TOKEN, apiUrl: c.POSTMARK_API_URL, messageStream: c.POSTMARK_MESSAGE_STREAM! },
    invoice: {
      fromEmail: c.INVOICE_FROM_EMAIL ?? "invoices@localhost.invalid",
      locale: c.INVOICE_LOCALE!,
      timeZone: c.INVOICE_TIME_ZONE!,
      taxRatePercent: c.INVOICE_TAX_RATE_PERCENT,
      pricesIncludeTax: c.PRICES_INCLUDE_TAX === "true",
      taxNote: c.INVOICE_TAX_NOTE,
      seller: {
        name: c.SELLER_NAME!,
        addressLines: (c.SELLER_ADDRESS ?? "").split("|").map((l) => l.trim()).filter(Boolean),
        vatId: c.SELLER_VAT_ID,
        countryCode: c.SELLER_COUNTRY,
        taxNumber: c.SELLER_TAX_NUMBER,
        registerEntry: c.SELLER_REGISTER,
        contactLines: (c.SELLER_CONTACT ?? "").split("|").map((l) => l.trim()).filter(Boolean),
      },
      einvoice: c.INVOICE_EINVOICE,
    },
  };
});

// ---- Alerts to the operator: the cron (enqueue) and the consumer (send) ----------------

const AlertSchema = z.object({
  OPS_ALERT_EMAIL: text().refine((v) => v === undefined || isSingleEmailAddress(v), {
    message: "OPS_ALERT_EMAIL must be one email address",
  }),
});

export const readAlertConfig = memoise((env): { opsAlertEmail: string | undefined } => {
  return { opsAlertEmail: parseOrThrow(AlertSchema, env).OPS_ALERT_EMAIL };
});

// ---- Retention of the audit log: the cron ----------------------------------------------

const RetentionSchema = z.object({
  WEBHOOK_EVENT_RETENTION_DAYS: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === "" ? "400" : v.trim()))
    .transform(Number)
    .pipe(
      z
        .number({ error: "WEBHOOK_EVENT_RETENTION_DAYS must be a whole number of days" })
        .int("WEBHOOK_EVENT_RETENTION_DAYS must be a whole number of days")
        .min(30, "WEBHOOK_EVENT_RETENTION_DAYS must be at least 30"),
    ),
});

export const readRetentionDays = memoise((env): number => parseOrThrow(RetentionSchema, env).WEBHOOK_EVENT_RETENTION_DAYS);

// ---- Delayed payments: the cron's reservation expiry ------------------------------------

const HoldSchema = z.object({
  PENDING_PAYMENT_HOLD_DAYS: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === "" ? "14" : v.trim()))
    .transform(Number)
    .pipe(
      z
        .number({ error: "PENDING_PAYMENT_HOLD_DAYS must be a whole number of days" })
        .int("PENDING_PAYMENT_HOLD_DAYS must be a whole number of days")
        .min(0, "PENDING_PAYMENT_HOLD_DAYS must not be negative")
        .max(90, "PENDING_PAYMENT_HOLD_DAYS must be at most 90"),
    ),
});

/**
 * How long a delayed payment under way (SEPA Direct Debit, a bank transfer) holds its order's
 * reservation past reserved_until, counted from when it started; default 14 days.
 */
export const readPendingHoldDays = memoise((env): number => parseOrThrow(HoldSchema, env).PENDING_PAYMENT_HOLD_DAYS);

// ---- The shop's order API: POST /api/orders and the service binding ---------------------

/** Reservations last this long unless RESERVATION_MINUTES says otherwise. */
export const DEFAULT_RESERVATION_MINUTES = 30;

const ShopSchema = z.object({
  /** Comma-separated accepted values of `Authorization: Bearer <key>`; several allow rotation. */
  SHOP_API_KEY: z.string().optional(),
  SHOP_CURRENCY: text("EUR").pipe(z.string().regex(/^[A-Z]{3}$/, "SHOP_CURRENCY must be a three-letter ISO 4217 code in capitals (EUR)")),
  RESERVATION_MINUTES: text(String(DEFAULT_RESERVATION_MINUTES))
    .transform(Number)
    .pipe(
      z
        .number({ error: "RESERVATION_MINUTES must be a whole number of minutes" })
        .int("RESERVATION_MINUTES must be a whole number of minutes")
        .min(1, "RESERVATION_MINUTES must be at least 1")
        .max(7 * 24 * 60, "RESERVATION_MINUTES must be at most 10080 (a week)"),
    ),
});

export interface ShopConfig {
  apiKeys: string[];
  currency: string;
  reservationMinutes: number;
  /** Configured keys that were refused, each naming its variable (never its value). */
  problems: string[];
}

/**
 * Read only by the order routes and the binding: a wrong shop setting answers their callers
 * 500 and never touches the webhooks, the queue or the cron.
 */
export const readShopConfig = memoise((env): ShopConfig => {
  const c = parseOrThrow(ShopSchema, env);
  // A key that also opens the webhook is refused here: the two doors must never share a key,
  // or whoever holds the storefront's key could confirm orders as a payment provider.
  const webhookKeys = new Set(
    (typeof env.WEBHOOK_SECRET === "string" ? env.WEBHOOK_SECRET : "").split(",").map((k) => k.trim()).filter(Boolean),
  );
  const problems: string[] = [];
  const apiKeys: string[] = [];
  (c.SHOP_API_KEY ?? "")
    .split(",")
    .map((key) => key.trim())
    .filter((key) => key.length > 0)
    .forEach((key, index) => {
      if (key.length < MIN_WEBHOOK_KEY_LENGTH)
        problems.push(
          `SHOP_API_KEY entry ${index + 1} is ${key.length} characters; at least ${MIN_WEBHOOK_KEY_LENGTH} are required ` +
            "(make one with `openssl rand -hex 32`): it is refused",
        );
      else if (webhookKeys.has(key)) problems.push(`SHOP_API_KEY entry ${index + 1} is also a WEBHOOK_SECRET key: it is refused`);
      else apiKeys.push(key);
    });
  return { apiKeys, currency: c.SHOP_CURRENCY!, reservationMinutes: c.RESERVATION_MINUTES, problems };
});
