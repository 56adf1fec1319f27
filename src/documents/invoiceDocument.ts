// From database rows to the InvoiceDocument that the PDF, the e-invoice and the email are made of.
import { sql, type SQL } from "drizzle-orm";
import type { MailConfig } from "../config";
import { rowsOf, runBatch } from "../db/client";
import type { BillingAddress, InvoiceDocument, InvoicePayment, SellerDetails } from "./invoiceModel";
import { percentToBp } from "./invoiceModel";

/** The order's billing columns and the invoice's fixed tax settings, as both documents read them. */
export interface OrderBillingRow {
  billing_name: string | null;
  billing_company: string | null;
  billing_line1: string | null;
  billing_line2: string | null;
  billing_postal_code: string | null;
  billing_city: string | null;
  billing_country: string | null;
  billing_vat_id: string | null;
  supply_date: string | null;
  /** invoices.prices_include_tax: NULL until the first rendering fixes it */
  prices_include_tax: number | null;
  tax_note: string | null;
}

export interface InvoiceHeaderRow extends OrderBillingRow {
  number: string;
  created_at: number;
  order_number: number;
  customer_email: string;
  customer_name: string;
  currency: string;
  confirmed_at: number | null;
  paid_provider: string | null;
  paid_ref: string | null;
}

export interface InvoiceLineRow {
  name: string;
  quantity: number;
  unit_price_cents: number;
  tax_rate_bp: number | null;
}

export function sellerOf(config: MailConfig): SellerDetails {
  const { name, addressLines, vatId, countryCode, taxNumber, registerEntry, contactLines } = config.invoice.seller;
  return { name, addressLines, vatId, countryCode, taxNumber, registerEntry, contactLines, email: config.invoice.fromEmail };
}

export function billingAddressOf(row: OrderBillingRow): BillingAddress | null {
  const address: BillingAddress = {
    name: row.billing_name,
    company: row.billing_company,
    line1: row.billing_line1,
    line2: row.billing_line2,
    postalCode: row.billing_postal_code,
    city: row.billing_city,
    country: row.billing_country,
    vatId: row.billing_vat_id,
  };
  return Object.values(address).some((part) => typeof part === "string" && part.trim() !== "") ? address : null;
}

/** The invoice's fixed tax settings, or the shop's current ones before the first rendering fixes them. */
export function taxSettingsOf(row: OrderBillingRow, config: MailConfig) {
  const fixed = row.prices_include_tax !== null && row.prices_include_tax !== undefined;
  return {
    taxRatePercent: config.invoice.taxRatePercent,
    pricesIncludeTax: fixed ? row.prices_include_tax === 1 : config.invoice.pricesIncludeTax,
    taxNote: fixed ? (row.tax_note ?? null) : (config.invoice.taxNote ?? null),
  };
}

export function toInvoiceDocument(invoice: InvoiceHeaderRow, lines: InvoiceLineRow[], config: MailConfig): InvoiceDocument {
  const payment: InvoicePayment | null =
    invoice.confirmed_at === null || invoice.confirmed_at === undefined
      ? null
      : { paidAt: invoice.confirmed_at, provider: invoice.paid_provider ?? "", reference: invoice.paid_ref };
  return {
    seller: sellerOf(config),
    number: invoice.number,
    // The invoice date is the confirmation: the row is written in the confirming batch.
    issuedAt: invoice.created_at,
    orderNumber: invoice.order_number,
    customer: { name: invoice.customer_name, email: invoice.customer_email, billingAddress: billingAddressOf(invoice) },
    currency: invoice.currency,
    locale: config.invoice.locale,
    timeZone: config.invoice.timeZone,
    supplyDate: invoice.supply_date,
    lines: lines.map((l) => ({
      description: l.name,
      quantity: l.quantity,
      unitPriceCents: l.unit_price_cents,
      taxRateBp: l.tax_rate_bp,
    })),
    ...taxSettingsOf(invoice, config),
    payment,
  };
}

/** The columns of an OrderBillingRow, from `invoices i JOIN orders o`. */
export const BILLING_COLUMNS =
  "o.billing_name, o.billing_company, o.billing_line1, o.billing_line2, o.billing_postal_code, o.billing_city, " +
  "o.billing_country, o.billing_vat_id, o.supply_date, i.prices_include_tax, i.tax_note";

/** The columns of an InvoiceHeaderRow, from `invoices i JOIN orders o`. */
export const invoiceHeaderColumns = sql.raw(
  "i.number, i.created_at, o.order_number, o.customer_email, o.customer_name, o.currency, o.confirmed_at, " +
    `${BILLING_COLUMNS}, ` +
    // The payment that confirmed the order (the ledger's, one at most: a unique index).
    "(SELECT provider FROM payments WHERE order_id = o.id AND confirmed_order = 1) AS paid_provider, " +
    "(SELECT provider_ref FROM payments WHERE order_id = o.id AND confirmed_order = 1 AND ref_from_provider = 1) AS paid_ref",
);

/** The InvoiceLineRows of the invoices `i` that `where` selects, in order. */
export const invoiceLines = (where: SQL) => sql`
  SELECT p.name, oi.quantity, oi.unit_price_cents, oi.tax_rate_bp
  FROM invoices i JOIN order_items oi ON oi.order_id = i.order_id JOIN products p ON p.id = oi.product_id
  WHERE ${where} ORDER BY oi.id`;

/**
 * Fixes an invoice's tax when it is first rendered: PRICES_INCLUDE_TAX and INVOICE_TAX_NOTE onto
 * the invoice row, the default rate onto lines that have none (the confirmation already gave
 * them their product's). Each statement changes only what is still NULL, so a second rendering,
 * a resend after a settings change, or a credit note reads what the first rendering fixed.
 * `invoice` selects the invoice's id.
 */
export function fixInvoiceTax(invoice: SQL, config: MailConfig): SQL[] {
  const defaultBp = config.invoice.taxRatePercent === undefined ? null : percentToBp(config.invoice.taxRatePercent);
  return [
    sql`UPDATE invoices SET prices_include_tax = ${config.invoice.pricesIncludeTax ? 1 : 0}, tax_note = ${config.invoice.taxNote ?? null}
        WHERE id = ${invoice} AND prices_include_tax IS NULL`,
    sql`UPDATE order_items SET tax_rate_bp = ${defaultBp}
        WHERE ${defaultBp} IS NOT NULL AND tax_rate_bp IS NULL AND order_id = (SELECT order_id FROM invoices WHERE id = ${invoice})`,
  ];
}

/** The document of an invoice by its number (one round trip), or null when there is none. */
export async function loadInvoiceDocument(d1: D1Database, number: string, config: MailConfig): Promise<InvoiceDocument | null> {
  const [header, lines] = await runBatch(d1, [
    sql`SELECT ${invoiceHeaderColumns} FROM invoices i JOIN orders o ON o.id = i.order_id WHERE i.number = ${number}`,
    invoiceLines(sql`i.number = ${number}`),
  ]);
  const row = rowsOf<InvoiceHeaderRow>(header)[0];
  return row ? toInvoiceDocument(row, rowsOf<InvoiceLineRow>(lines), config) : null;
}
