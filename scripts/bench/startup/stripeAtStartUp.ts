// Start-up benchmark only (scripts/bench/startup.mjs): the webhook route with the Stripe
// verifier (the `stripe` package) imported statically, i.e. what every webhook isolate would
// pay if the Stripe route did not load it on first use. Compare with the route alone.
import { createApp } from "../../../src/createApp";
import "../../../src/providers/stripe/verifyStripeEvent";

export default { fetch: createApp().fetch } satisfies ExportedHandler<Env>;
