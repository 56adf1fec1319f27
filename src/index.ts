// The Worker: wiring only. Each handler lives with the capability it serves.
//
// Only the webhook is imported at start-up. The queue consumer (pdf-lib, fontkit, the
// bundled font, postmark) and the cron jobs are dynamic imports (src/lazyModules.ts): the build
// (scripts/build/buildWorker.mjs) makes each its own module, which workerd compiles the
// first time an isolate runs that handler, so an isolate that only answers webhooks never
// pays for the invoice renderer. test/e2e/webhook-start-up-leaves-out-the-invoice-pipeline.e2e.ts
// fails if a static import pulls it back.
import { createApp } from "./createApp";
import { lazyModules } from "./lazyModules";

// The order API for a storefront's service binding (entrypoint = "OrdersEntrypoint").
export { OrdersEntrypoint } from "./orders/ordersEntrypoint";

const app = createApp();

const worker: ExportedHandler<Env> = {
  fetch: app.fetch,
  async queue(batch, env) {
    const { consumeQueue } = await lazyModules.consumeQueue();
    return consumeQueue(batch, env);
  },
  async scheduled(controller, env) {
    const { runScheduledWork } = await lazyModules.runScheduledWork();
    return runScheduledWork(controller, env);
  },
};
export default worker;
