// Runs before every test file (vitest.config.ts): loads the modules that src/index.ts
// imports only on first use, so the first queue message or cron run of a test does not
// also pay for transforming and evaluating pdf-lib, fontkit and postmark inside its own
// 5 s timeout (several seconds on 2 busy cores). The Worker's dynamic import() still runs
// in every test; it just finds the module loaded. Add here every module that src/ loads
// with import() (for example the Stripe verifier).
await import("../../src/jobs/consumeQueue");
await import("../../src/jobs/runScheduledWork");
await import("../../src/providers/stripe/verifyStripeEvent");
await import("../../src/providers/stripe/stripeApi");
export {};
