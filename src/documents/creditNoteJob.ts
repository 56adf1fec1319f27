// The message that asks the queue consumer to send a credit note. Like the invoice job it
// carries only the id: the `credit_notes` row is the source of truth and the send ledger,
// so a stale or repeated message is harmless.
import { z } from "zod";

export const CreditNoteJobSchema = z.object({
  kind: z.literal("credit_note"),
  creditNoteId: z.number().int().positive(),
});
export type CreditNoteJob = z.infer<typeof CreditNoteJobSchema>;

export function creditNoteJob(creditNoteId: number): CreditNoteJob {
  return { kind: "credit_note", creditNoteId };
}
