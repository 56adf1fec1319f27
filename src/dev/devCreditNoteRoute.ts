// GET /dev/credit-notes/<number>.pdf — local development only, beside /dev/invoices/: the
// credit note PDF rendered from the database with the same code the consumer emails. Like
// the invoice route it is mounted only by the development entry (src/dev/devWorker.ts) and
// answers only on a loopback host: anyone who can guess a number would get the document.
import { Hono } from "hono";
import { readMailConfig } from "../config";
import { creditNoteFileName } from "../documents/composeCreditNoteEmail";
import { loadCreditNoteDocument } from "../documents/creditNoteDocument";
import { creditNoteEInvoiceFinisher } from "../documents/einvoice/eInvoiceFinisher";
import { renderCreditNotePdf } from "../documents/pdf/renderCreditNotePdf";
import { assetFontLoader } from "../documents/pdf/renderInvoicePdf";
import type { AppEnv } from "../http/appEnv";
import { ApiError } from "../http/errors";
import { isLoopbackHost } from "../http/localHosts";

export const devCreditNotes = new Hono<AppEnv>();

devCreditNotes.get("/:file{[A-Z0-9]+-\\d{4}-\\d{6}\\.pdf}", async (c) => {
  if (!isLoopbackHost(new URL(c.req.url).hostname)) throw new ApiError(404, "Not found", undefined, "no_route");
  const number = c.req.param("file").replace(/\.pdf$/, "");
  const config = readMailConfig(c.env);
  const document = await loadCreditNoteDocument(c.env.DB, number, config);
  if (!document) throw new ApiError(404, "Credit note not found", { number }, "not_found");
  const pdf = await renderCreditNotePdf(document, assetFontLoader(c.env.ASSETS), await creditNoteEInvoiceFinisher(document, config));
  c.set("outcome", "dev_credit_note");
  return c.body(pdf as Uint8Array<ArrayBuffer>, 200, {
    "Content-Type": "application/pdf",
    "Content-Disposition": `inline; filename="${creditNoteFileName(number)}"`,
  });
});
