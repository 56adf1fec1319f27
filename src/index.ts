// The Worker: wiring only. Each handler lives with the capability it serves.
import { createApp } from "./http/createApp";
import { consumeInvoiceQueue } from "./invoices/invoiceQueueConsumer";

const app = createApp();

const worker: ExportedHandler<Env> = {
  fetch: app.fetch,
  queue: (batch, env) => consumeInvoiceQueue(batch, env),
};
export default worker;
