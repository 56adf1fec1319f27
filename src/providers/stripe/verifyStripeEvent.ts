// Decides whether a POST really comes from Stripe: the one place that does, with Stripe's own
// verifier (stripe-node's Webhooks.ts), so we check exactly what Stripe signs and the tests
// and `npm run webhook -- --stripe` sign with Stripe's own signer.
//
//   Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, `${t}.${raw body}`)>[,v1=...]
//
// The secret is the whole "whsec_..." string, used as-is (unlike Standard Webhooks, it is not
// base64-decoded). Stripe compares in constant time and then rejects a timestamp older than
// the tolerance; it does not reject a timestamp in the future.
//
// This is the only module that imports `stripe` (about 240 KB minified, 33 KB gzipped): the route loads it
// with a dynamic import() (src/lazyModules.ts), so the generic webhook's start-up never pays for the package.
import Stripe from "stripe";
import type { StripeEventLike } from "./stripePayment";

// Re-exported for the route; configuration code can import it from ./stripeSecrets without
// loading the stripe package.
export { parseStripeSecrets } from "./stripeSecrets";

/** Stripe's default (`Stripe.webhooks.DEFAULT_TOLERANCE`): how old a signature may be. */
export const STRIPE_SIGNATURE_TOLERANCE_SECONDS = 300;

export type StripeVerdict = { ok: true; event: StripeEventLike } | { ok: false; reason: string };

/**
 * Accepts `rawBody` when `signatureHeader` (Stripe-Signature) carries a valid signature by
 * one of `secrets`, tried in order (several during a rotation), made at most
 * STRIPE_SIGNATURE_TOLERANCE_SECONDS before `nowSeconds`. Never throws for bad input: every
 * refusal is `{ ok: false, reason }`, with a reason that says what to fix and no secret in it.
 */
export async function verifyStripeEvent(
  rawBody: string,
  signatureHeader: string | undefined,
  secrets: readonly string[],
  nowSeconds?: number,
): Promise<StripeVerdict> {
  if (secrets.length === 0) {
    return { ok: false, reason: "No Stripe webhook secret is configured: set STRIPE_WEBHOOK_SECRET to the endpoint's whsec_... secret" };
  }
  // Stripe's verifier measures age in milliseconds ("receivedAt"); undefined means Date.now().
  const receivedAtMs = nowSeconds === undefined ? undefined : nowSeconds * 1000;
  let staleReason: string | null = null;
  let firstReason: string | null = null;
  for (const secret of secrets) {
    try {
      const event: unknown = await Stripe.webhooks.constructEventAsync(
        rawBody,
        signatureHeader ?? "",
        secret,
        STRIPE_SIGNATURE_TOLERANCE_SECONDS,
        subtleCrypto(),
        receivedAtMs,
      );
      return asEvent(event);
    } catch (error) {
      if (!isSignatureError(error)) {
        // Signed by Stripe but not JSON, or a v2 "thin" event: authentic, yet not something
        // this endpoint can read. No other secret will change that.
        return { ok: false, reason: `Signature is valid but the body is not a Stripe event: ${messageOf(error)}` };
      }
      const reason = describe(error);
      // A stale timestamp means this secret's signature matched: that is the useful answer,
      // not the other secrets' "no signatures found".
      if (/tolerance/i.test(error.message)) staleReason ??= reason;
      firstReason ??= reason;
    }
  }
  return { ok: false, reason: staleReason ?? firstReason ?? "Stripe signature not verified" };
}

// The crypto provider is stateless; one per isolate, made on first use.
let cryptoProvider: ReturnType<typeof Stripe.createSubtleCryptoProvider> | undefined;
function subtleCrypto() {
  cryptoProvider ??= Stripe.createSubtleCryptoProvider();
  return cryptoProvider;
}

function asEvent(parsed: unknown): StripeVerdict {
  const candidate = parsed as Partial<StripeEventLike> | null;
  if (
    typeof candidate !== "object" ||
    candidate === null ||
    typeof candidate.id !== "string" ||
    typeof candidate.type !== "string" ||
    typeof candidate.data !== "object" ||
    candidate.data === null ||
    typeof candidate.data.object !== "object" ||
    candidate.data.object === null
  ) {
    return { ok: false, reason: "Signature is valid but the body is not a Stripe event (no id, type and data.object)" };
  }
  return { ok: true, event: candidate as StripeEventLike };
}

function isSignatureError(error: unknown): error is Error {
  return error instanceof Stripe.errors.StripeSignatureVerificationError;
}

// Stripe's messages are multi-line and end with a docs link: one line for a log or a 400.
function describe(error: Error): string {
  return error.message.replace(/\s+/g, " ").trim();
}

function messageOf(error: unknown): string {
  return error instanceof Error ? describe(error) : String(error);
}
