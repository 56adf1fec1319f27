// GET /dev/invoices/<number>.pdf — local development only: the invoice PDF, rendered from
// the database with the same code the consumer emails, so a person running `npm run dev`
// can open what the log mailer "sent". It would hand any invoice to anyone who can guess
// its number, so it is mounted only by the development entry (src/dev/devWorker.ts, which
// `wrangler deploy` never bundles), and even there it answers only on a loopback host.
import { Hono } from "hono";
import { readMailConfig } from "../config";
import type { AppEnv } from "../http/appEnv";
import { ApiError } from "../http/errors";
import { isLoopbackHost } from "../http/localHosts";
import { invoiceFileName } from "../documents/composeInvoiceEmail";
import { invoiceEInvoiceFinisher } from "../documents/einvoice/eInvoiceFinisher";
import { loadInvoiceDocument } from "../documents/invoiceDocument";
import { assetFontLoader, renderInvoicePdf } from "../documents/pdf/renderInvoicePdf";

export const devInvoices = new Hono<AppEnv>();

devInvoices.get("/:file{[A-Z0-9]+-\\d{4}-\\d{6}\\.pdf}", async (c) => {
  if (!isLoopbackHost(new URL(c.req.url).hostname)) throw new ApiError(404, "Not found", undefined, "no_route");
  const number = c.req.param("file").replace(/\.pdf$/, "");
  const config = readMailConfig(c.env);
  const document = await loadInvoiceDocument(c.env.DB, number, config);
  if (!document) throw new ApiError(404, "Invoice not found", { number }, "not_found");
  const pdf = await renderInvoicePdf(document, assetFontLoader(c.env.ASSETS), await invoiceEInvoiceFinisher(document, config));
  c.set("outcome", "dev_invoice");
  return c.body(pdf as Uint8Array<ArrayBuffer>, 200, {
    "Content-Type": "application/pdf",
    "Content-Disposition": `inline; filename="${invoiceFileName(number)}"`,
  });
});
