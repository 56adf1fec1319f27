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
}

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
          'unit_price_cents', i.unit_price_cents, 'line_total_cents', i.quantity * i.unit_price_cents) ORDER BY i.id)
       FROM order_items i LEFT JOIN products p ON p.id = i.product_id WHERE i.order_id = o.id) AS lines
      ${extraColumns}
    FROM orders o WHERE o.id = ${orderId}`;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * The answer's builder. `payments` (the ledger's summary of what was paid, refunded and
 * disputed, from the issue "Money after the first moment") is built on another branch: it is
 * added here, as one more field, when that branch is merged.
 */
export function toOrderBody(row: OrderRow): OrderBody {
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
  };
}

const readBatch = compileBatch<"orderId" | "orderIdUpper">([
  selectOrderView(sql`(SELECT id FROM orders WHERE id IN (${sql.placeholder("orderId")}, ${sql.placeholder("orderIdUpper")}))`),
]);

/** One order as a shop sees it (GET /api/orders/{id}); an id stored upper-case is found too. */
export async function readOrder(d1: D1Database, orderId: string): Promise<OrderRow | undefined> {
  return rowsOf<OrderRow>((await readBatch(d1, { orderId, orderIdUpper: orderId.toUpperCase() }))[0])[0];
}
