// The operator's Stripe client for `npm run ops -- refund`: the key and API address from the
// operator's machine, the official `stripe` package, and Stripe's errors in words that say
// what to do next.
//
// Where the key comes from: STRIPE_SECRET_KEY in the environment; when it is not set there
// and the command works on the local database, .dev.vars (DEV_VARS_PATH), the local Worker's
// own secrets. Never .dev.vars for --remote: that file holds a local (test mode) key, and the
// deployed Worker's secret cannot be read back. STRIPE_API_URL is taken from the same place
// as the key, so a key is never sent to an address that was set for another one. Both are
// judged by the Worker's own src/config.ts (readStripeApiConfig, imported, not copied): a
// secret or restricted key, and https:// except loopback and `.test` hosts. The client's
// options are the Worker's too (src/providers/stripe/stripeApiOptions.ts).
//
// The key is a secret: no message here contains it, and Stripe's own texts are passed
// through `withoutKey` before they are shown (Stripe's 401 echoes a masked key).
import Stripe from "stripe";
import { devVarsName, readDevVars } from "../devVars.mjs";
import { importTs } from "../importTs.mjs";

/** The client retries 409, 5xx and lost connections with the same Idempotency-Key, so a retry cannot refund twice. */
const MAX_NETWORK_RETRIES = 2;
const TIMEOUT_MS = 30_000;

/** A setting that stops the command before anything is sent; `message` says what to fix. */
export class StripeSettingsError extends Error {}

/**
 * { key, apiUrl (a URL), source } for `target`, or throws StripeSettingsError. `source` names
 * where the key was found ("the environment", ".dev.vars"), never the key.
 */
export async function readStripeSettings(target) {
  let vars = process.env;
  let source = "the environment";
  if (!vars.STRIPE_SECRET_KEY?.trim()) {
    if (target.remote) {
      throw new StripeSettingsError(
        "STRIPE_SECRET_KEY is not set: for --remote, set it in your environment to the live secret key or a restricted key with Refunds write, " +
          'e.g. STRIPE_SECRET_KEY="$(cat ~/stripe-refunds.key)" npm run ops -- refund ... (.dev.vars holds the local key only). Nothing was refunded.',
      );
    }
    vars = readDevVars();
    source = devVarsName();
    if (!vars.STRIPE_SECRET_KEY?.trim()) {
      throw new StripeSettingsError(
        `STRIPE_SECRET_KEY is set neither in the environment nor in ${source}: add a test key with Refunds write ` +
          `(a line STRIPE_SECRET_KEY=sk_test_... or rk_test_...) to ${source}, or set it in the environment. Nothing was refunded.`,
      );
    }
  }
  const config = await importTs("src/config.ts");
  let parsed;
  try {
    parsed = config.readStripeApiConfig({ STRIPE_SECRET_KEY: vars.STRIPE_SECRET_KEY, STRIPE_API_URL: vars.STRIPE_API_URL });
  } catch (error) {
    // ConfigError names the variable and the rule, never the value.
    if (error?.name !== "ConfigError") throw error;
    // Its "NAME: NAME must ..." reads better without the path.
    throw new StripeSettingsError(`${error.message.replace(/\b(STRIPE_\w+): (?=\1 )/g, "")} (in ${source}). Nothing was refunded.`);
  }
  return { key: parsed.secretKey, apiUrl: new URL(parsed.apiUrl), source };
}

/** The official client with the Worker's options, pointed at `apiUrl` (a local fake in tests), without telemetry. */
export async function createStripeClient({ key, apiUrl }) {
  const { stripeClientOptions } = await importTs("src/providers/stripe/stripeApiOptions.ts");
  return new Stripe(key, {
    ...stripeClientOptions(apiUrl.href, { maxNetworkRetries: MAX_NETWORK_RETRIES, timeoutMs: TIMEOUT_MS }),
    telemetry: false,
  });
}

/** `text` with the key (and any other Stripe key) masked: Stripe's messages can echo one. */
export function withoutKey(text, key) {
  let out = String(text ?? "");
  if (key) out = out.split(key).join("[STRIPE_SECRET_KEY]");
  return out.replace(/\b(sk|rk)_(test|live)_[A-Za-z0-9*]+/g, "$1_$2_[hidden]");
}

/**
 * What went wrong, for the operator: { message, retry } where `retry` says the same command is
 * worth repeating (it carries the same Idempotency-Key, so Stripe refunds once).
 */
export function explainStripeError(error, { key, apiUrl, source }, { repeat }) {
  // Stripe's sentence, without its final full stop (ours follows).
  const stripeSays = (e) => withoutKey(e.message, key).slice(0, 500).replace(/[.\s]+$/, "");
  const again = `Try again in a minute; the same command is safe to repeat (its Idempotency-Key makes Stripe refund once): ${repeat}`;
  const status = error?.statusCode;
  switch (error?.type) {
    case "StripeAuthenticationError":
      return {
        retry: false,
        message: `Stripe refused STRIPE_SECRET_KEY from ${source} (HTTP 401): the key is wrong or revoked. Nothing was refunded. Set a current secret key, or a restricted key with Refunds write, and run the command again.`,
      };
    case "StripePermissionError":
      return {
        retry: false,
        message: `Stripe says STRIPE_SECRET_KEY from ${source} may not create refunds (HTTP ${status ?? 403}): give the restricted key the Refunds write permission in the Stripe dashboard. Nothing was refunded.`,
      };
    case "StripeRateLimitError":
      return { retry: true, message: `Stripe is limiting requests (HTTP 429): ${stripeSays(error)}. Nothing was refunded. ${again}` };
    case "StripeAPIError":
      return { retry: true, message: `Stripe had a problem on its side (HTTP ${status ?? "5xx"}): ${stripeSays(error)}. ${again}` };
    case "StripeConnectionError":
      return {
        retry: true,
        message: `Could not reach Stripe at ${apiUrl.host}: ${stripeSays(error)}. ${again}`,
      };
    case "StripeIdempotencyError":
      return {
        retry: false,
        message: `Stripe refused the refund (HTTP ${status ?? 400}, idempotency_error): ${stripeSays(error)}. Nothing new was refunded; \`npm run ops -- order\` shows what is recorded.`,
      };
    case "StripeInvalidRequestError":
    case "StripeCardError":
    case "StripeInvalidGrantError":
      return {
        retry: false,
        message: `Stripe refused the refund (HTTP ${status ?? 400}${error.code ? `, ${error.code}` : ""}): ${stripeSays(error)}. Nothing was refunded.`,
      };
    default:
      if (typeof status === "number" && status >= 500) return { retry: true, message: `Stripe answered HTTP ${status}: ${stripeSays(error)}. ${again}` };
      return { retry: false, message: `the refund request failed: ${stripeSays(error)}` };
  }
}
