// Start-up benchmark only (scripts/bench/startup.mjs): the Worker as it was before lazy
// loading, every handler imported statically into one script.
import { createApp } from "../../../src/createApp";
import { consumeQueue } from "../../../src/jobs/consumeQueue";
import { runScheduledWork } from "../../../src/jobs/runScheduledWork";

const app = createApp();
export default {
  fetch: app.fetch,
  queue: (batch, env) => consumeQueue(batch, env),
  scheduled: (controller, env) => runScheduledWork(controller, env),
} satisfies ExportedHandler<Env>;
