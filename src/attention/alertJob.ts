// The message that asks the queue consumer to email the operator about one attention item.
// It carries only the id: the item's alert_* columns are the send ledger.
import { z } from "zod";

export const AlertJobSchema = z.object({
  kind: z.literal("alert"),
  itemId: z.number().int().positive(),
});
export type AlertJob = z.infer<typeof AlertJobSchema>;

export function alertJob(itemId: number): AlertJob {
  return { kind: "alert", itemId };
}
