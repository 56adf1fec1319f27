// The Worker: wiring only. Each handler lives with the capability it serves.
import { createApp } from "./http/createApp";
import { consumeQueue } from "./jobs/consumeQueue";
import { runScheduledWork } from "./jobs/runScheduledWork";

const app = createApp();

const worker: ExportedHandler<Env> = {
  fetch: app.fetch,
  queue: (batch, env) => consumeQueue(batch, env),
  scheduled: (controller, env) => runScheduledWork(controller, env),
};
export default worker;
