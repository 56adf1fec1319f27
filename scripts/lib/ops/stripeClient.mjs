// The operator's Stripe client for `npm run ops -- refund`: the key and API address from the
// operator's machine, the official `stripe` package, and Stripe's errors in words that say
// what to do next.
//
// Where the key comes from: STRIPE_SECRET_KEY in the environment; when it is not set there
// and the command works on the local database, .dev.vars (DEV_VARS_PATH), the local Worker's
// own secrets. Never .dev.vars for --remote: that file holds a local (test mode) key, and the
// deployed Worker's secret cannot be read back. STRIPE_API_URL is taken from the same place
// as the key, so a key is never sent to an address that was set for another one, and it
// follows the Worker's rule for POSTMARK_API_URL: https://, or http:// only for loopback and
// `.test` hosts (src/http/localHosts.ts, imported, not copied).
//
// The key is a secret: no message here contains it, and Stripe's own texts are passed
// through `withoutKey` before they are shown (Stripe's 401 echoes a masked key).
import Stripe from "stripe";
import { devVarsName, readDevVars } from "../devVars.mjs";
import { importTs } from "../importTs.mjs";

const STRIPE_API = "https://api.stripe.com";
/** The client retries 409, 5xx and lost connections with the same Idempotency-Key, so a retry cannot refund twice. */
const MAX_NETWORK_RETRIES = 2;
const TIMEOUT_MS = 30_000;

/** A setting that stops the command before anything is sent; `message` says what to fix. */
export class StripeSettingsError extends Error {}

/**
 * { key, apiUrl, source } for `target`, or throws StripeSettingsError. `source` names where
 * the key was found ("the environment", ".dev.vars"), never the key.
 */
export async function readStripeSettings(target) {
  let vars = process.env;
  let source = "the environment";
  if (!vars.STRIPE_SECRET_KEY) {
    if (target.remote) {
      throw new StripeSettingsError(
        "STRIPE_SECRET_KEY is not set: for --remote, set it in your environment to the live (or restricted) key with Refunds write, " +
          'e.g. STRIPE_SECRET_KEY="$(cat ~/stripe-refunds.key)" npm run ops -- refund ... (.dev.vars holds the local key only). Nothing was refunded.',
      );
    }
    vars = readDevVars();
    source = devVarsName();
    if (!vars.STRIPE_SECRET_KEY) {
      throw new StripeSettingsError(
        `STRIPE_SECRET_KEY is set neither in the environment nor in ${source}: add a test key with Refunds write ` +
          `(a line STRIPE_SECRET_KEY=sk_test_... or rk_test_...) to ${source}, or set it in the environment. Nothing was refunded.`,
      );
    }
  }
  const key = vars.STRIPE_SECRET_KEY.trim();
  if (/^pk_/.test(key)) {
    throw new StripeSettingsError(`STRIPE_SECRET_KEY in ${source} is a publishable key (pk_...), which cannot refund: use a secret key (sk_...) or a restricted key (rk_...) with Refunds write. Nothing was refunded.`);
  }
  if (!/^(?:sk|rk)_[A-Za-z0-9_]{8,}$/.test(key)) {
    throw new StripeSettingsError(`STRIPE_SECRET_KEY in ${source} is not a Stripe secret key (sk_... or a restricted rk_...): check that line. Nothing was refunded.`);
  }
  const apiUrl = await checkApiUrl(vars.STRIPE_API_URL, source);
  return { key, apiUrl, source };
}

async function checkApiUrl(value, source) {
  if (value === undefined || value.trim() === "") return new URL(STRIPE_API);
  let url;
  try {
    url = new URL(value.trim());
  } catch {
    throw new StripeSettingsError(`STRIPE_API_URL in ${source} is not a URL: remove it to use Stripe's own API. Nothing was refunded.`);
  }
  const { isLocalOrTestHost } = await importTs("src/http/localHosts.ts");
  if (url.protocol === "https:") return url;
  if (url.protocol === "http:" && isLocalOrTestHost(url.hostname)) return url;
  throw new StripeSettingsError(
    `STRIPE_API_URL in ${source} must be https:// (the key travels in a header); http:// only for a local fake on loopback or a .test host. Nothing was refunded.`,
  );
}

/** The official client, pointed at `apiUrl` (a local fake in tests), without telemetry. */
export function createStripeClient({ key, apiUrl }) {
  const protocol = apiUrl.protocol === "http:" ? "http" : "https";
  return new Stripe(key, {
    host: apiUrl.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: apiUrl.port ? Number(apiUrl.port) : protocol === "http" ? 80 : 443,
    protocol,
    maxNetworkRetries: MAX_NETWORK_RETRIES,
    timeout: TIMEOUT_MS,
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
