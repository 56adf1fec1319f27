// The body of a payment webhook, as the original Django endpoint accepted it: JSON,
// url-encoded form or multipart form, with `order_id` (a UUID) and `status`.
import { z } from "zod";
import { normaliseUuid } from "../../orders/normaliseUuid";

export const PAYMENT_STATUSES = ["paid", "failed"] as const;

export const PaymentPayloadSchema = z
  .object({
    order_id: z
      .string({ error: (issue) => (issue.input === undefined ? "order_id is required" : "order_id must be a UUID") })
      // Every form Django's UUIDField accepts ({...}, urn:uuid:, 32 hex digits, any case),
      // normalised to the lower-case hyphenated form we store.
      .transform((id, ctx) => {
        const normalised = normaliseUuid(id);
        if (normalised === null) {
          ctx.addIssue({ code: "custom", message: "order_id must be a UUID" });
          return z.NEVER;
        }
        return normalised;
      })
      .meta({
        description: "The order's id: a UUID, hyphenated or not, in braces or as urn:uuid:, any case.",
        example: "d0d0d0d0-0000-4000-8000-000000000001",
      }),
    status: z
      .enum(PAYMENT_STATUSES, {
        error: (issue) => (issue.input === undefined ? "status is required" : "status must be 'paid' or 'failed'"),
      })
      .meta({ description: "The outcome of the payment." }),
    amount_cents: z
      // A number in JSON, digits in a form; never null, "", true or "1e3" turned into a number.
      .union([z.number(), z.string().regex(/^\d{1,15}$/).transform(Number)], { error: "amount_cents must be a whole number of cents" })
      .pipe(
        z
          .number()
          .int("amount_cents must be a whole number of cents")
          .min(0, "amount_cents must not be negative")
          .max(Number.MAX_SAFE_INTEGER, "amount_cents is too large"),
      )
      .optional()
      .meta({ description: "What was paid, in cents. When present (with currency) it must equal the order's total, or the order is not confirmed (`amount_mismatch`)." }),
    currency: z
      .string()
      .regex(/^[A-Za-z]{3}$/, "currency must be a three-letter ISO 4217 code")
      .transform((c) => c.toUpperCase())
      .optional()
      .meta({ description: "ISO 4217 code of amount_cents, any case (EUR, eur)." }),
    payment_id: z
      .string({ error: "payment_id must be a string" })
      .regex(/^[\x21-\x7e]{1,200}$/, "payment_id must be 1-200 printable ASCII characters without spaces")
      .optional()
      .meta({
        description:
          "The provider's own id of this payment (a charge or transaction id). With it, a payment of an order that " +
          "another payment already confirmed is recognised as a second payment (`paid_twice`, a refund for a human) " +
          "instead of a repeat of the first; the ledger and `npm run ops` show it, and a refund of it finds it. " +
          "Without it, a second `paid` for a confirmed order is answered `duplicate`: nothing tells a retry from a second payment.",
        example: "txn_000000000001",
      }),
  })
  // Providers add fields of their own (provider reference, ...): accepted, ignored.
  .loose()
  .refine((p) => (p.amount_cents === undefined) === (p.currency === undefined), {
    message: "amount_cents and currency go together: send both or neither",
    path: ["amount_cents"],
  })
  .meta({ title: "PaymentWebhookRequest" });

export type PaymentPayload = z.output<typeof PaymentPayloadSchema>;

/** zod issues as `{ field, message }` pairs for the 400 answer. */
export function describeIssues(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }) {
  return error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.map(String).join(".") : "(body)",
    message: issue.message,
  }));
}
