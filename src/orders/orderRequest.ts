// What a shop may send to create an order, over HTTP or the binding: one schema, which also
// describes the request in the OpenAPI document. Anything else in the body (a price, a
// total) is dropped: prices come from `products`, inside the batch.
import { z } from "zod";
import { isSingleEmailAddress, MAX_EMAIL_LENGTH } from "../mail/emailAddress";

/** Lines per order: keeps the one JSON parameter of the batch far below D1's 100 KB per statement. */
export const MAX_ORDER_LINES = 100;
export const MAX_QUANTITY = 1_000_000;
export const MAX_NAME_LENGTH = 200;
/** Printable ASCII, as Stripe's and most providers' Idempotency-Key headers. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

// Control characters (newlines, escapes) in a name would reach invoices, emails and terminals.
const CONTROL = /\p{Cc}/u;
const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069]/;

const wholeNumber = (field: string, min: number, max: number) =>
  z
    .number({ error: `${field} must be a whole number from ${min} to ${max}` })
    .int(`${field} must be a whole number from ${min} to ${max}`)
    .min(min, `${field} must be a whole number from ${min} to ${max}`)
    .max(max, `${field} must be a whole number from ${min} to ${max}`);

/**
 * Text a customer typed that is printed on the invoice and shown to the operator: trimmed, of
 * bounded length, no control characters and no bidirectional overrides (as customer_name).
 * An empty string counts as absent.
 */
const customerText = (field: string, max: number, example: string, description?: string) =>
  z
    .string({ error: `${field} must be a string` })
    .trim()
    .max(max, `${field} must be at most ${max} characters`)
    .refine((text) => !CONTROL.test(text), `${field} must not contain control characters (newlines, tabs, ...)`)
    .refine((text) => !BIDI_CONTROL.test(text), `${field} must not contain bidirectional override characters (U+202A-U+202E, U+2066-U+2069)`)
    .transform((text) => (text === "" ? undefined : text))
    .optional()
    .meta({ example, ...(description ? { description } : {}) });

export const BillingAddressSchema = z
  .object({
    name: customerText("billing_address.name", MAX_NAME_LENGTH, "Ada Lovelace", "Who is billed, when not customer_name."),
    company: customerText("billing_address.company", MAX_NAME_LENGTH, "Analytical Engines Ltd"),
    line1: customerText("billing_address.line1", MAX_NAME_LENGTH, "12 St James's Square"),
    line2: customerText("billing_address.line2", MAX_NAME_LENGTH, "Flat 3"),
    postal_code: customerText("billing_address.postal_code", 20, "SW1Y 4JH"),
    city: customerText("billing_address.city", 100, "London"),
    country: z
      .string({ error: "billing_address.country must be a two-letter ISO 3166-1 country code (DE)" })
      .trim()
      .toUpperCase()
      .regex(/^[A-Z]{2}$/, "billing_address.country must be a two-letter ISO 3166-1 country code (DE)")
      .optional()
      .meta({ example: "GB", description: "ISO 3166-1 alpha-2." }),
    vat_id: z
      .string({ error: "billing_address.vat_id must be a string" })
      .trim()
      .toUpperCase()
      .regex(/^[A-Z0-9][A-Z0-9 .+*-]{1,19}$/, "billing_address.vat_id must be 2 to 20 letters and digits (e.g. DE123456789)")
      .optional()
      .meta({ example: "GB123456789", description: "The customer's VAT id, printed on the invoice (business customers)." }),
  })
  .strict()
  .meta({ title: "BillingAddress", description: "Printed on the invoice when given; every part optional." });

/** A calendar date that exists: 2026-02-30 is refused. */
const calendarDate = z
  .string({ error: "supply_date must be a date as YYYY-MM-DD" })
  .regex(/^\d{4}-\d{2}-\d{2}$/, "supply_date must be a date as YYYY-MM-DD")
  .refine((date) => {
    const [y, m, d] = date.split("-").map(Number) as [number, number, number];
    const at = new Date(Date.UTC(y, m - 1, d));
    return at.getUTCFullYear() === y && at.getUTCMonth() === m - 1 && at.getUTCDate() === d;
  }, "supply_date must be a date that exists (YYYY-MM-DD)");

export const OrderLineSchema = z
  .object({
    product_id: wholeNumber("product_id", 1, Number.MAX_SAFE_INTEGER).meta({ description: "The product's id in `products`." }),
    quantity: wholeNumber("quantity", 1, MAX_QUANTITY),
  })
  .meta({ title: "OrderLineRequest" });

const checkoutUrl = (field: string) =>
  z
    .string({ error: `${field} is required: where Stripe sends the customer` })
    .trim()
    .max(2000, `${field} must be at most 2000 characters`)
    .pipe(z.url({ protocol: /^https?$/, error: `${field} must be an http(s) URL` }));

/** Ask for a Stripe Checkout Session too (issue 18): the answer then carries its `checkout_url`. */
export const CheckoutRequestSchema = z
  .object({
    provider: z.literal("stripe", { error: 'checkout.provider must be "stripe" (the only provider this service creates sessions with)' }),
    success_url: checkoutUrl("checkout.success_url").meta({
      description: "Where Stripe sends the customer after paying; may contain Stripe's {CHECKOUT_SESSION_ID}.",
      example: "https://shop.example/thanks",
    }),
    cancel_url: checkoutUrl("checkout.cancel_url").meta({ description: "Where Stripe sends a customer who goes back.", example: "https://shop.example/cart" }),
  })
  .meta({ title: "CheckoutRequest" });

export const CreateOrderSchema = z
  .object({
    customer_email: z
      .string({ error: "customer_email is required: one email address" })
      .trim()
      .max(MAX_EMAIL_LENGTH, `customer_email must be at most ${MAX_EMAIL_LENGTH} characters`)
      .refine(isSingleEmailAddress, "customer_email must be exactly one email address (no names, no lists)")
      .meta({ description: "Where the invoice goes: exactly one plain address.", example: "ada@example.com" }),
    customer_name: z
      .string({ error: "customer_name is required" })
      .trim()
      .min(1, "customer_name must not be empty")
      .max(MAX_NAME_LENGTH, `customer_name must be at most ${MAX_NAME_LENGTH} characters`)
      .refine((name) => !CONTROL.test(name), "customer_name must not contain control characters (newlines, tabs, ...)")
      // Overrides and isolates reorder what follows them on every screen that prints the name
      // (an invoice, the operator's terminal): no name needs them (right-to-left names don't).
      .refine((name) => !BIDI_CONTROL.test(name), "customer_name must not contain bidirectional override characters (U+202A-U+202E, U+2066-U+2069)")
      .meta({ description: "As printed on the invoice; any script.", example: "Ada Lovelace" }),
    lines: z
      .array(OrderLineSchema, { error: "lines must be a list of {product_id, quantity}" })
      .min(1, "lines must hold at least one line")
      .max(MAX_ORDER_LINES, `lines must hold at most ${MAX_ORDER_LINES} lines`)
      .meta({ description: "The same product may appear on several lines; each line is priced and taxed from `products`." }),
    billing_address: BillingAddressSchema.optional(),
    supply_date: calendarDate.optional().meta({
      description: "The date of supply printed on the invoice, when it is not the day the order is paid (the default).",
      example: "2026-11-27",
    }),
    checkout: CheckoutRequestSchema.optional().meta({
      description:
        "Also create a Stripe Checkout Session for the order (needs STRIPE_SECRET_KEY): the answer adds `checkout_url`. " +
        "If Stripe refuses, the answer is 502 and the order is cancelled, its stock released.",
    }),
  })
  .meta({ title: "CreateOrderRequest" });

export type CreateOrderRequest = z.output<typeof CreateOrderSchema>;
