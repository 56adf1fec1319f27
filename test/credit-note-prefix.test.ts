// CREDIT_NOTE_PREFIX: the first part of credit note numbers, read with the webhook's settings
// (the refund batch allocates the number). It must differ from INVOICE_PREFIX, because
// `resend-invoice` and the dev routes find a document by its number alone.
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { readWebhookConfig } from "../src/config";

it("defaults to CN, takes 1-10 upper-case letters or digits, and refuses the invoices' prefix", () => {
  expect(readWebhookConfig({ ...env }).creditNotePrefix).toBe("CN");
  expect(readWebhookConfig({ ...env, CREDIT_NOTE_PREFIX: "" }).creditNotePrefix).toBe("CN");
  expect(readWebhookConfig({ ...env, CREDIT_NOTE_PREFIX: " GS2 " }).creditNotePrefix).toBe("GS2");
  expect(() => readWebhookConfig({ ...env, CREDIT_NOTE_PREFIX: "cn-" })).toThrow(/CREDIT_NOTE_PREFIX must be 1-10 upper-case letters or digits/);
  expect(() => readWebhookConfig({ ...env, CREDIT_NOTE_PREFIX: "INV" })).toThrow(/CREDIT_NOTE_PREFIX must differ from INVOICE_PREFIX/);
});
