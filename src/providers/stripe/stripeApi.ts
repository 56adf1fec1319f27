// The Worker's client of Stripe's API: the official `stripe` package, pointed at STRIPE_API_URL.
//
// Like verifyStripeEvent.ts, this module imports `stripe` (about 240 KB): callers load it with
// a dynamic import() (src/lazyModules.ts) only when they are about to call Stripe (an order asking for Checkout, the
// reconciliation job), so neither the webhook's start-up nor a plain order pays for it.
import Stripe from "stripe";
import type { StripeApiConfig } from "../../config";
import { stripeClientOptions } from "./stripeApiOptions";

export type StripeApi = Stripe;

/**
 * A client for `config`'s key. The HTTP client calls the global fetch at each request (not a
 * copy taken now), which is how workerd reaches Stripe, and how a test's fake sees the calls.
 */
export function createStripeApi(
  config: StripeApiConfig & { secretKey: string },
  opts: { maxNetworkRetries: number; timeoutMs: number },
): Stripe {
  return new Stripe(config.secretKey, {
    ...stripeClientOptions(config.apiUrl, opts),
    httpClient: Stripe.createFetchHttpClient((input, init) => fetch(input, init)),
  });
}

/**
 * What Stripe said, in the words the callers answer with and log. `reachable: false` means the
 * fault is Stripe's availability or our key (a connection error, 5xx, 429, 401, 403), not the
 * one request: the same call for another order would fail the same way. The message is
 * Stripe's own (it masks keys: "Invalid API Key provided: sk_test_****1234").
 */
export interface StripeFailure {
  status: number | null;
  type: string;
  code: string | null;
  param: string | null;
  message: string;
  reachable: boolean;
}

export function describeStripeFailure(error: unknown): StripeFailure {
  if (error instanceof Stripe.errors.StripeError) {
    const status = typeof error.statusCode === "number" ? error.statusCode : null;
    const type = error.rawType ?? error.type;
    const unreachable =
      status === null ||
      status === 401 ||
      status === 403 ||
      status === 429 ||
      status >= 500 ||
      error instanceof Stripe.errors.StripeConnectionError ||
      error instanceof Stripe.errors.StripeAuthenticationError ||
      error instanceof Stripe.errors.StripePermissionError ||
      error instanceof Stripe.errors.StripeRateLimitError ||
      error instanceof Stripe.errors.StripeAPIError;
    return {
      status,
      type: String(type),
      code: error.code ?? null,
      param: error.param ?? null,
      message: oneLine(error.message),
      reachable: !unreachable,
    };
  }
  return {
    status: null,
    type: "connection_error",
    code: null,
    param: null,
    message: oneLine(error instanceof Error ? error.message : String(error)),
    reachable: false,
  };
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim().slice(0, 500);
}
