// The message on the invoice queue. It carries only the invoice id: the `invoices` row is
// the source of truth (and the send ledger), so a stale or repeated message is harmless.
import { z } from "zod";

export const InvoiceJobSchema = z.object({
  kind: z.literal("invoice"),
  invoiceId: z.number().int().positive(),
});
export type InvoiceJob = z.infer<typeof InvoiceJobSchema>;

export function invoiceJob(invoiceId: number): InvoiceJob {
  return { kind: "invoice", invoiceId };
}
