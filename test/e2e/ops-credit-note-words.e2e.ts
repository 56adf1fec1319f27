// The credit note line of `npm run ops -- order`: it names how the email went out, in the same
// words as the invoice's line (scripts/lib/ops/emailWords.mjs). Under `npm run dev` the log
// mailer only prints it, so "emailed" would be untrue. Fast (no wrangler).
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { ROOT } from "./support/wranglerDev";

const { paymentLines } = (await import(pathToFileURL(path.join(ROOT, "scripts", "lib", "ops", "orderPayments.mjs")).href)) as {
  paymentLines(money: Record<string, unknown[]>, options: { formatMoney(cents: number, currency: string): string }): string[];
};

const formatMoney = (cents: number, currency: string) => `${(cents / 100).toFixed(2)} ${currency}`;
const payment = { provider: "stripe", provider_ref: "pi_test_1", ref_from_provider: 1, status: "succeeded", amount_cents: 5630, currency: "EUR", refunded_cents: 500, confirmed_order: 1 };
const creditNote = (messageId: string | null) => ({
  number: "CN-2026-000001", amount_cents: 500, currency: "EUR", status: "SENT", sent_at: Date.UTC(2026, 10, 29, 12), message_id: messageId, last_error: null,
});

describe("the credit note line of ops order", () => {
  it.each([
    ["the log mailer of npm run dev", "log-3f2a", "sent 2026-11-29 12:00:00 UTC, printed by the log mailer of `npm run dev`, not emailed (id log-3f2a)"],
    ["Postmark", "b7bc2f4a-e38e-4336-af7d-e6c392c2f817", "sent 2026-11-29 12:00:00 UTC, Postmark message id b7bc2f4a-e38e-4336-af7d-e6c392c2f817"],
  ])("says how it went out: %s", (_how, messageId, words) => {
    const lines = paymentLines({ payments: [payment], refunds: [], disputes: [], creditNotes: [creditNote(messageId)] }, { formatMoney });
    expect(lines).toContain(`    credit note CN-2026-000001: 5.00 EUR, ${words}`);
  });
});
