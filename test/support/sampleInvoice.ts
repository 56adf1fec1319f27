import type { InvoiceDocument } from "../../src/documents/pdf/renderInvoicePdf";

/** An invoice document for the PDF and layout tests; override what a test is about. */
export function sampleInvoice(overrides: Partial<InvoiceDocument> = {}): InvoiceDocument {
  return {
    seller: {
      name: "Example Shop GmbH",
      addressLines: ["Hauptstraße 1", "10115 Berlin"],
      vatId: "DE123456789",
      email: "billing@shop.test",
    },
    number: "INV-2026-000042",
    // 23:30 UTC: still the 20th on the invoice, whatever the machine's time zone.
    issuedAt: Date.UTC(2026, 3, 20, 23, 30),
    orderNumber: 42,
    customer: { name: "Jane Doe", email: "jane@example.test" },
    currency: "EUR",
    lines: [
      { description: "Espresso beans, 1 kg", quantity: 2, unitPriceCents: 2490 },
      { description: "Ceramic mug", quantity: 1, unitPriceCents: 1299 },
      { description: "Gift wrap", quantity: 3, unitPriceCents: 150 },
    ],
    // The shop's default rate (INVOICE_TAX_RATE_PERCENT): an invoice must state one.
    taxRatePercent: 19,
    ...overrides,
  };
}
