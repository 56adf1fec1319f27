// npm run orders: what happened, read from the local D1 of `npm run dev`: orders with their
// status and invoice, product stock, and the latest webhook events.
import { importTs } from "./lib/importTs.mjs";
import { queryLocal } from "./lib/wrangler.mjs";

const { formatMoney } = await importTs("src/payments/money.ts");

const limit = Number(process.argv[2] ?? 10);
const orders = queryLocal(`
  SELECT o.order_number AS "#", o.id, o.status, o.customer_name AS customer, o.currency,
         (SELECT SUM(quantity * unit_price_cents) FROM order_items WHERE order_id = o.id) AS total_minor,
         COALESCE(i.number, '-') AS invoice, COALESCE(i.status, '-') AS email,
         COALESCE(i.message_id, i.last_error, '') AS "message id / error"
  FROM orders o LEFT JOIN invoices i ON i.order_id = o.id
  ORDER BY o.order_number LIMIT ${limit}`);
const products = queryLocal(`SELECT id, name, stock, stock_reserved AS reserved, stock - stock_reserved AS available FROM products ORDER BY id LIMIT ${limit}`);
const events = queryLocal(`
  SELECT datetime(received_at / 1000, 'unixepoch') AS "received (UTC)", o.order_number AS "#", e.payment_status AS status,
         e.outcome, e.http_status AS http, substr(e.request_id, 1, 8) AS request
  FROM webhook_events e LEFT JOIN orders o ON o.id = e.order_id
  ORDER BY e.id DESC LIMIT ${limit}`);

console.log("\nOrders");
// The total in the currency's own unit (5,000 JPY, 12.345 KWD), not the stored integer.
console.table(
  orders.map(({ currency, total_minor, ...order }) => ({
    ...order,
    total: total_minor === null ? "-" : formatMoney(Number(total_minor), currency),
  })),
);
console.log("Products");
console.table(products);
console.log(`Last ${limit} webhook events`);
console.table(events);
