// Every module the Worker loads on first use, each behind a loader that keeps it once loaded.
//
// Why import() at all: the webhook's start-up must not evaluate the invoice renderer, postmark,
// the stripe package or the cron jobs (BENCHMARKS.md §1). The build (scripts/build/buildWorker.mjs)
// makes each import() below a module of its own, compiled the first time an isolate needs it;
// test/e2e/webhook-start-up-leaves-out-the-invoice-pipeline.e2e.ts fails if a static import
// pulls one back.
//
// Why one place, and why keep the module: after its first load a handler gets the module with no
// further import(). In production that saves little (a bundled import() resolves at once). Under
// the tests' module runner (vitest with @cloudflare/vitest-plugin) every import() is a request to
// vite through the test runner's Durable Object, and two concurrent imports of one module share
// one promise: a queue batch delivered by the real queue while a test imported the same module
// could go on in the test's I/O context and fail at message.ack() ("Cannot perform I/O on behalf
// of a different request"). test/support/loadLazyModules.ts calls every loader here before the
// tests run, so the Worker never import()s while a test does.
function loadOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: T | undefined;
  return async () => (loaded ??= await load());
}

export const lazyModules = {
  /** The queue consumer: pdf-lib, fontkit, the bundled font, postmark. */
  consumeQueue: loadOnce(() => import("./jobs/consumeQueue")),
  /** The cron's jobs. */
  runScheduledWork: loadOnce(() => import("./jobs/runScheduledWork")),
  /** Stripe's signature check (the stripe package), for the Stripe route. */
  verifyStripeEvent: loadOnce(() => import("./providers/stripe/verifyStripeEvent")),
  /** Stripe's API client: Checkout Sessions for the order API, and the reconciliation cron. */
  stripeApi: loadOnce(() => import("./providers/stripe/stripeApi")),
  /** The e-invoice (XML builder, PDF/A embedding), only with INVOICE_EINVOICE set. */
  attachFacturX: loadOnce(() => import("./documents/einvoice/attachFacturX")),
};
