// npm run orders: what happened, read from the local D1 of `npm run dev`: orders with their
// status and invoice, product stock, and the latest webhook events. Names, emails and errors
// come from outside (customers, other tools, Postmark): each cell is printed terminal-safe
// (scripts/lib/terminalText.mjs) by alignColumns, never raw through console.table.
//
// npm run orders [-- N] [--persist-to DIR]   (N rows of each, default 10; DIR: another local
// state directory than .wrangler/state, as `npm run ops` takes it)
import "./lib/requireProjectNode.mjs"; // first: stops on the wrong Node before anything else runs
import { parseArgs } from "node:util";
import { D1Failure, executeSql } from "./lib/d1.mjs";
import { importTs } from "./lib/importTs.mjs";
import { alignColumns } from "./lib/terminalTable.mjs";
import { terminalLines } from "./lib/terminalText.mjs";

const { formatMoney } = await importTs("src/payments/money.ts");

const USAGE = "usage: npm run orders [-- N] [--persist-to DIR]   (N rows of each table, default 10)";
let args;
try {
  args = parseArgs({ options: { "persist-to": { type: "string" }, help: { type: "boolean", short: "h" } }, allowPositionals: true });
} catch (error) {
  console.error(`${error.message.split(". To specify")[0]}\n${USAGE}`);
  process.exit(2);
}
if (args.values.help) {
  console.log(USAGE);
  process.exit(0);
}
const limit = Number(args.positionals[0] ?? 10);
if (!Number.isSafeInteger(limit) || limit < 1 || args.positionals.length > 1) {
  console.error(`"${args.positionals.join(" ")}" is not a number of rows\n${USAGE}`);
  process.exit(2);
}
const target = { persistTo: args.values["persist-to"] };
/** The rows of one query; a database without tables (before the first `npm run dev`) says what to run. */
function queryLocal(sql) {
  try {
    return executeSql(sql, target).at(-1);
  } catch (error) {
    if (!(error instanceof D1Failure)) throw error;
    console.error(terminalLines(`orders: ${error.message}`));
    process.exit(1);
  }
}

const orders = queryLocal(`
  SELECT o.order_number AS "#", o.id, o.status, o.customer_name AS customer, o.currency,
         (SELECT SUM(quantity * unit_price_cents) FROM order_items WHERE order_id = o.id) AS total_minor,
         COALESCE(i.number, '-') AS invoice, COALESCE(i.status, '-') AS email,
         COALESCE(i.message_id, i.last_error, '') AS "message id / error"
  FROM orders o LEFT JOIN invoices i ON i.order_id = o.id
  ORDER BY o.order_number DESC LIMIT ${limit}`);
const products = queryLocal(`SELECT id, name, stock, stock_reserved AS reserved, stock - stock_reserved AS available FROM products ORDER BY id LIMIT ${limit}`);
const events = queryLocal(`
  SELECT datetime(received_at / 1000, 'unixepoch') AS "received (UTC)", o.order_number AS "#", e.payment_status AS status,
         e.outcome, e.http_status AS http, substr(e.request_id, 1, 8) AS request
  FROM webhook_events e LEFT JOIN orders o ON o.id = e.order_id
  ORDER BY e.id DESC LIMIT ${limit}`);

/** The rows as aligned columns under their names, one line each. */
function printTable(title, rows) {
  console.log(`\n${title}`);
  if (rows.length === 0) {
    console.log("  (none)");
    return;
  }
  const header = Object.keys(rows[0]);
  const table = alignColumns(header, rows.map((row) => header.map((key) => (row[key] === null ? "" : String(row[key])))));
  console.log(`  ${table.header}`);
  for (const line of table.rows) console.log(`  ${line}`);
}

// The total in the currency's own unit (5,000 JPY, 12.345 KWD), not the stored integer.
printTable(
  "Orders",
  orders.map(({ currency, total_minor, ...order }) => ({
    ...order,
    total: total_minor === null ? "-" : formatMoney(Number(total_minor), currency),
  })),
);
printTable("Products", products);
printTable(`Last ${limit} webhook events`, events);
console.log("");
