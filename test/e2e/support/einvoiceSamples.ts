// E-invoices as the shop issues them, for the EN 16931 validator tests: the baskets issue 19
// names (two rates, a tax-free small business, JPY, non-Latin names, a credit note).
import type { EInvoice, EInvoiceSeller } from "../../../src/documents/einvoice/facturX";

export const SELLER: EInvoiceSeller = {
  name: "Example Coffee GmbH",
  addressLines: ["Kaffeestraße 1"],
  postalCode: "10115",
  city: "Berlin",
  countryCode: "DE",
  vatId: "DE000000000",
  taxNumber: "12/345/67890",
  registerEntry: "HRB 000000 B, Amtsgericht Charlottenburg",
  email: "invoices@shop.example",
};

const BUYER = {
  name: "Łukasz Żółć",
  addressLines: ["ul. Długa 1", "m. 2"],
  postalCode: "00-001",
  city: "Warszawa",
  countryCode: "PL",
  email: "lukasz@example.com",
};

/** A book at 7 % and a mug at 19 %, prices with tax, paid by card: 20.00 + 2 × 7.50 = 35.00. */
export const MIXED_RATES: EInvoice = {
  typeCode: "380",
  number: "INV-2026-000042",
  issueDate: "2026-11-29",
  supplyDate: "2026-11-28",
  currency: "EUR",
  seller: SELLER,
  buyer: BUYER,
  lines: [
    { description: 'Book "Kaffee & Kuchen" <2nd ed.>', quantity: 1, category: "S", rateBp: 700, netMinor: 1869 },
    { description: "Mug", quantity: 2, category: "S", rateBp: 1900, netMinor: 1261 },
  ],
  taxes: [
    { category: "S", rateBp: 700, netMinor: 1869, taxMinor: 131 },
    { category: "S", rateBp: 1900, netMinor: 1261, taxMinor: 239 },
  ],
  paidMinor: 3500,
  paymentMeansCode: "48",
  notes: ["Paid on 28 November 2026 by card via Stripe (pi_3Example)."],
};

/** A small business under §19 UStG: no VAT, category E with the note as the reason. */
export const TAX_FREE: EInvoice = {
  ...MIXED_RATES,
  number: "INV-2026-000043",
  seller: { ...SELLER, vatId: undefined },
  lines: [
    { description: "Beans 1 kg", quantity: 3, category: "E", rateBp: 0, netMinor: 5397 },
    { description: "Filter papers", quantity: 1, category: "E", rateBp: 0, netMinor: 399 },
  ],
  taxes: [{ category: "E", rateBp: 0, netMinor: 5796, taxMinor: 0, exemptionReason: "No VAT charged under §19 UStG" }],
  paidMinor: 5796,
};

/** Yen have no minor unit: amounts without decimals. 3 × ¥1,100 at 10 %, Japanese names. */
export const JPY: EInvoice = {
  ...MIXED_RATES,
  number: "INV-2026-000044",
  currency: "JPY",
  buyer: { name: "山田 太郎", addressLines: ["千代田1-1"], postalCode: "100-0001", city: "東京都千代田区", countryCode: "JP" },
  lines: [{ description: "コーヒー豆 (Äthiopien)", quantity: 3, category: "S", rateBp: 1000, netMinor: 3000 }],
  taxes: [{ category: "S", rateBp: 1000, netMinor: 3000, taxMinor: 300 }],
  paidMinor: 3300,
};

/** Greek and Cyrillic names, a zero-rated line beside a standard-rated one. */
export const ZERO_RATED: EInvoice = {
  ...MIXED_RATES,
  number: "INV-2026-000045",
  buyer: { name: "Αλέξανδρος Παπαδόπουλος / Александр Пушкин", addressLines: ["Οδός Αθηνάς 1"], postalCode: "10551", city: "Αθήνα", countryCode: "GR", vatId: "EL000000000" },
  lines: [
    { description: "Gift voucher print", quantity: 1, category: "Z", rateBp: 0, netMinor: 500 },
    { description: "Espresso machine", quantity: 1, category: "S", rateBp: 1900, netMinor: 25126 },
  ],
  taxes: [
    { category: "Z", rateBp: 0, netMinor: 500, taxMinor: 0 },
    { category: "S", rateBp: 1900, netMinor: 25126, taxMinor: 4774 },
  ],
  paidMinor: 30400,
};

/** The mug refunded: a credit note (381) that names the invoice it corrects. */
export const CREDIT_NOTE: EInvoice = {
  ...MIXED_RATES,
  typeCode: "381",
  number: "CN-2026-000007",
  issueDate: "2026-12-02",
  precedingInvoice: { number: "INV-2026-000042", issueDate: "2026-11-29" },
  lines: [{ description: "Refund for order #42: Mug", quantity: 2, category: "S", rateBp: 1900, netMinor: 1261 }],
  taxes: [{ category: "S", rateBp: 1900, netMinor: 1261, taxMinor: 239 }],
  paidMinor: 1500,
  notes: ["Refunded on 2 December 2026 to the card it was paid with (re_3Example)."],
};
