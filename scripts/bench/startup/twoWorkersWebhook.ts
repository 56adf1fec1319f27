// Start-up benchmark only (scripts/bench/startup.mjs): the webhook Worker of the design not
// chosen, where the invoice consumer is a second Worker (twoWorkersConsumer.ts) with its own
// config: this one keeps the HTTP app and the cron jobs, statically imported.
import { createApp } from "../../../src/createApp";
import { runScheduledWork } from "../../../src/jobs/runScheduledWork";

const app = createApp();
export default {
  fetch: app.fetch,
  scheduled: (controller, env) => runScheduledWork(controller, env),
} satisfies ExportedHandler<Env>;
