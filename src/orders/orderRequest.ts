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
      .meta({ description: "The same product may appear on several lines; each line is priced from `products`." }),
    checkout: CheckoutRequestSchema.optional().meta({
      description:
        "Also create a Stripe Checkout Session for the order (needs STRIPE_SECRET_KEY): the answer adds `checkout_url`. " +
        "If Stripe refuses, the answer is 502 and the order is cancelled, its stock released.",
    }),
  })
  .meta({ title: "CreateOrderRequest" });

export type CreateOrderRequest = z.output<typeof CreateOrderSchema>;
