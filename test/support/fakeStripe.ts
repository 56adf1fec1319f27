// The fake Stripe API (test/support/fakeStripeApi.ts) in front of the test isolate's fetch: the
// Worker's `stripe` client (src/providers/stripe/stripeApi.ts) calls the global fetch at each
// request, so with STRIPE_API_URL at FAKE_STRIPE_URL (vitest.config.ts) every call it makes in
// a test reaches this fake, and every other fetch goes on as before (the fake Postmark).
import { createFakeStripeApi } from "./fakeStripeApi";

export const FAKE_STRIPE_URL = "http://stripe.fake.test";
/** The tests' STRIPE_SECRET_KEY (vitest.config.ts): obviously not a real key. */
export const FAKE_STRIPE_KEY = "sk_test_FAKE_not_a_real_key_0000000000";

export const stripeApi = createFakeStripeApi();

const previousFetch = globalThis.fetch;
globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
  const url = input instanceof Request ? input.url : String(input);
  if (url.startsWith(`${FAKE_STRIPE_URL}/`)) return stripeApi.handle(new Request(input, init));
  return previousFetch(input, init);
}) as typeof fetch;
