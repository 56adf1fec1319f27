// The Worker of local development (`npm run dev` runs `wrangler dev src/dev/devWorker.ts`):
// the deployed Worker's handlers, plus what must never be deployed: the invoice and credit note PDF routes
// and the log mailer that prints emails when there is no Postmark token. `wrangler deploy`
// bundles src/index.ts, which imports nothing from here, so no setting can turn these on
// in production.
import { createApp } from "../createApp";
import { consumeQueue } from "../jobs/consumeQueue";
import { runScheduledWork } from "../jobs/runScheduledWork";
import { logMailer } from "../mail/logMailer";
import { devCreditNotes } from "./devCreditNoteRoute";
import { devInvoices } from "./devInvoiceRoute";

// The storefront binding works against `npm run dev` too.
export { OrdersEntrypoint } from "../orders/ordersEntrypoint";

const app = createApp((app) => app.route("/dev/invoices", devInvoices).route("/dev/credit-notes", devCreditNotes));

const devWorker: ExportedHandler<Env> = {
  fetch: app.fetch,
  queue: (batch, env) => consumeQueue(batch, env, { devMailer: logMailer }),
  scheduled: (controller, env) => runScheduledWork(controller, env),
};
export default devWorker;
