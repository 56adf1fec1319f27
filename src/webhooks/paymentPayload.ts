// The body of a payment webhook, as the original Django endpoint accepted it: JSON,
// url-encoded form or multipart form, with `order_id` (a UUID) and `status`.
import { z } from "zod";

export const PAYMENT_STATUSES = ["paid", "failed"] as const;

export const PaymentPayloadSchema = z
  .object({
    order_id: z
      // Any 8-4-4-4-12 hex id, as Django's UUIDField accepts; stored lower-case.
      .guid({ error: (issue) => (issue.input === undefined ? "order_id is required" : "order_id must be a UUID") })
      .transform((id) => id.toLowerCase())
      .meta({ description: "The order's id (a UUID).", example: "d0d0d0d0-0000-4000-8000-000000000001" }),
    status: z
      .enum(PAYMENT_STATUSES, {
        error: (issue) => (issue.input === undefined ? "status is required" : "status must be 'paid' or 'failed'"),
      })
      .meta({ description: "The outcome of the payment." }),
  })
  // Providers add fields of their own (amount, provider reference, ...): accepted, ignored.
  .loose()
  .meta({ title: "PaymentWebhookRequest" });

export type PaymentPayload = z.output<typeof PaymentPayloadSchema>;

/** zod issues as `{ field, message }` pairs for the 400 answer. */
export function describeIssues(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }) {
  return error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.map(String).join(".") : "(body)",
    message: issue.message,
  }));
}
