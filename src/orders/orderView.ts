// What a shop sees of one order: the answer of every order operation (create, checkout,
// cancel, read), over HTTP and over the service binding alike. The SQL is one statement, so
// each transition appends it to its own batch and answers from the same transaction that
// changed the order, never from a second read that could see a later state.
import { sql, type SQL } from "drizzle-orm";
import { compileBatch, rowsOf } from "../db/client";
import type { OrderStatus } from "../db/schema";

export interface OrderLine {
  product_id: number;
  product_name: string | null;
  quantity: number;
  unit_price_cents: number;
  line_total_cents: number;
  /** basis points (1900 is 19 %), fixed when the line was priced or its invoice issued; null until then */
  tax_rate_bp: number | null;
}

/** The order's billing address as the shop sent it; null parts were not given. */
export interface OrderBillingAddress {
  name: string | null;
  company: string | null;
  line1: string | null;
  line2: string | null;
  postal_code: string | null;
  city: string | null;
  country: string | null;
  vat_id: string | null;
}

/** One payment of the order, as the ledger (src/payments) knows it. */
export interface OrderPayment {
  provider: string;
  /** The provider's id of the payment; null for a generic payment sent without payment_id. */
  reference: string | null;
  status: "pending" | "succeeded" | "failed" | "canceled";
  amount_cents: number | null;
  currency: string | null;
  refunded_cents: number;
  /** True for the payment that confirmed the order. */
  confirmed_order: boolean;
  /** The latest dispute of the payment, if any: Stripe's status (needs_response, won, lost, ...). */
  dispute_status: string | null;
}

/**
 * What a thank-you page or a customer-service screen needs in one word, derived from the
 * ledger: `unpaid` (nothing yet), `pending` (a delayed payment under way, e.g. SEPA), `paid`,
 * `partially_refunded` or `refunded` (the confirming payment's refunds).
 */
export type PaymentSummaryStatus = "unpaid" | "pending" | "paid" | "partially_refunded" | "refunded";

export interface OrderBody {
  order_id: string;
  order_number: number;
  status: OrderStatus;
  customer_email: string;
  customer_name: string;
  total_cents: number;
  currency: string;
  /** ISO 8601; null when the order holds no reservation that expires. */
  reserved_until: string | null;
  /** Set once the order is paid and its invoice allocated. */
  invoice_number: string | null;
  created_at: string;
  lines: OrderLine[];
  /** null when the order has none */
  billing_address: OrderBillingAddress | null;
  /** YYYY-MM-DD; null: the date the order is paid */
  supply_date: string | null;
  payment_status: PaymentSummaryStatus;
  /** Refunded of the confirming payment (or, without one, of the payments that succeeded), in the currency's minor unit. */
  refunded_cents: number;
  /** A dispute of any of its payments that is not closed (won, lost, warning_closed, prevented). */
  disputed: boolean;
  payments: OrderPayment[];
}

export interface OrderRow {
  id: string;
  order_number: number;
  status: OrderStatus;
  customer_email: string;
  customer_name: string;
  currency: string;
  reserved_until: number | null;
  created_at: number;
  invoice_number: string | null;
  total_cents: number;
  lines: string;
  payments: string;
  billing_address: string;
  supply_date: string | null;
}

/**
 * The order whose id `orderId` selects (a scalar subquery or a placeholder), with its lines
 * in the order they were written and the product names as they are now.
 */
export function selectOrderView(orderId: SQL | SQL.Aliased | unknown, extraColumns: SQL = sql``): SQL {
  return sql`
    SELECT o.id, o.order_number, o.status, o.customer_email, o.customer_name, o.currency, o.reserved_until,
      o.created_at,
      (SELECT number FROM invoices WHERE order_id = o.id) AS invoice_number,
      (SELECT COALESCE(SUM(quantity * unit_price_cents), 0) FROM order_items WHERE order_id = o.id) AS total_cents,
      (SELECT json_group_array(json_object(
          'product_id', i.product_id, 'product_name', p.name, 'quantity', i.quantity,
          'unit_price_cents', i.unit_price_cents, 'line_total_cents', i.quantity * i.unit_price_cents,
          'tax_rate_bp', i.tax_rate_bp) ORDER BY i.id)
       FROM order_items i LEFT JOIN products p ON p.id = i.product_id WHERE i.order_id = o.id) AS lines,
      -- The ledger's rows of this order (payments_order_id_idx), oldest first, each with its
      -- latest dispute (disputes_payment_idx).
      (SELECT json_group_array(json_object(
          'provider', pm.provider, 'reference', CASE WHEN pm.ref_from_provider = 1 THEN pm.provider_ref END,
          'status', pm.status, 'amount_cents', pm.amount_cents, 'currency', pm.currency,
          'refunded_cents', pm.refunded_cents, 'confirmed_order', json(CASE WHEN pm.confirmed_order = 1 THEN 'true' ELSE 'false' END),
          'dispute_status', (SELECT d.status FROM disputes d WHERE d.provider = pm.provider AND d.payment_ref = pm.provider_ref
                             ORDER BY d.created_at DESC, d.id DESC LIMIT 1),
          -- Read by toOrderBody only (not answered): a Checkout Session the customer has not finished.
          'open_session', json(CASE WHEN pm.checkout_expires_at IS NOT NULL THEN 'true' ELSE 'false' END)) ORDER BY pm.id)
       FROM payments pm WHERE pm.order_id = o.id) AS payments,
      json_object('name', o.billing_name, 'company', o.billing_company, 'line1', o.billing_line1, 'line2', o.billing_line2,
        'postal_code', o.billing_postal_code, 'city', o.billing_city, 'country', o.billing_country,
        'vat_id', o.billing_vat_id) AS billing_address,
      o.supply_date
      ${extraColumns}
    FROM orders o WHERE o.id = ${orderId}`;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const CLOSED_DISPUTES = new Set(["won", "lost", "warning_closed", "prevented"]);

/**
 * The money in one word. The payment that confirmed the order decides; without one (an order
 * still waiting, or one cancelled before a payment arrived: `refund_required`), the payments
 * that succeeded do, so a customer who paid is never told "unpaid". `status` says what became
 * of the order; this says what became of the money.
 */
function paymentStatus(payments: (OrderPayment & { open_session: boolean })[]): { status: PaymentSummaryStatus; refunded: number } {
  const confirming = payments.find((p) => p.confirmed_order);
  const counted = confirming ? [confirming] : payments.filter((p) => p.status === "succeeded");
  // A Checkout Session the customer has not finished is no payment under way yet: still unpaid.
  if (counted.length === 0) return { status: payments.some((p) => p.status === "pending" && !p.open_session) ? "pending" : "unpaid", refunded: 0 };
  const refunded = counted.reduce((sum, p) => sum + p.refunded_cents, 0);
  const paid = counted.reduce((sum, p) => sum + (p.amount_cents ?? 0), 0);
  if (refunded === 0) return { status: "paid", refunded };
  return { status: refunded >= paid ? "refunded" : "partially_refunded", refunded };
}

function billingAddressOf(json: string): OrderBillingAddress | null {
  const address = JSON.parse(json) as OrderBillingAddress;
  return Object.values(address).some((part) => part !== null) ? address : null;
}

/** The answer's builder: the order, its lines, and what the payments ledger says of its money. */
export function toOrderBody(row: OrderRow): OrderBody {
  const ledger = JSON.parse(row.payments) as (OrderPayment & { open_session: boolean })[];
  const summary = paymentStatus(ledger);
  const payments: OrderPayment[] = ledger.map(({ open_session: _open, ...payment }) => payment);
  return {
    order_id: row.id,
    order_number: row.order_number,
    status: row.status,
    customer_email: row.customer_email,
    customer_name: row.customer_name,
    total_cents: row.total_cents,
    currency: row.currency,
    reserved_until: iso(row.reserved_until),
    invoice_number: row.invoice_number,
    created_at: iso(row.created_at)!,
    lines: JSON.parse(row.lines) as OrderLine[],
    billing_address: billingAddressOf(row.billing_address),
    supply_date: row.supply_date,
    payment_status: summary.status,
    refunded_cents: summary.refunded,
    disputed: payments.some((p) => p.dispute_status !== null && !CLOSED_DISPUTES.has(p.dispute_status)),
    payments,
  };
}

const readBatch = compileBatch<"orderId" | "orderIdUpper">([
  selectOrderView(sql`(SELECT id FROM orders WHERE id IN (${sql.placeholder("orderId")}, ${sql.placeholder("orderIdUpper")}))`),
]);

/** One order as a shop sees it (GET /api/orders/{id}); an id stored upper-case is found too. */
export async function readOrder(d1: D1Database, orderId: string): Promise<OrderRow | undefined> {
  return rowsOf<OrderRow>((await readBatch(d1, { orderId, orderIdUpper: orderId.toUpperCase() }))[0])[0];
}
