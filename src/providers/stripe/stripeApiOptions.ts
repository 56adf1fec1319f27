// How the official `stripe` client reaches Stripe's API, from STRIPE_API_URL: Stripe itself by
// default, a local fake in tests. Kept apart from stripeApi.ts, which loads the package, so a
// Node CLI can build the same options around its own `new Stripe(key, options)` without
// bundling the Worker's fetch client.

/** What every caller of Stripe's API passes to `new Stripe(key, options)`, besides its HTTP client. */
export interface StripeClientOptions {
  host: string;
  port: number;
  protocol: "https" | "http";
  /**
   * Retries by the client itself, on a connection error, a 409, or a 5xx, after 0.5 s, 1 s, ...
   * Every POST we make carries an Idempotency-Key derived from what it is about (the order, the
   * refund), so a retried POST can only answer the first result, never make a second session or
   * refund: retrying is safe, and the caller chooses how many it can wait for.
   */
  maxNetworkRetries: number;
  /** Milliseconds before one attempt is abandoned. */
  timeout: number;
}

export function stripeClientOptions(apiUrl: string, opts: { maxNetworkRetries: number; timeoutMs: number }): StripeClientOptions {
  const url = new URL(apiUrl);
  const protocol = url.protocol === "http:" ? "http" : "https";
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : protocol === "http" ? 80 : 443,
    protocol,
    maxNetworkRetries: opts.maxNetworkRetries,
    timeout: opts.timeoutMs,
  };
}
