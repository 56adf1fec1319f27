// Demo data for local runs: a few products and orders awaiting payment, with customer
// names in several scripts so the invoices show off their fonts, plus one order still
// PENDING (a payment for it answers 409 not_ready) and one CANCELLED (a payment for it is a
// refund for a human), so every attention item can be tried with `npm run webhook`. Fixed
// ids make the seed idempotent (INSERT OR IGNORE); reserved stock equals what the demo
// orders awaiting payment hold.
export const DEMO_PRODUCTS = [
  { id: 1, name: "Espresso beans 1 kg", price_cents: 2490, stock: 40 },
  { id: 2, name: "Ceramic pour-over dripper", price_cents: 3200, stock: 12 },
  { id: 3, name: "Paper filters (100)", price_cents: 650, stock: 200 },
  { id: 4, name: "Gooseneck kettle 1 l", price_cents: 5900, stock: 5 },
];

/** What `npm run dev` prints as the storefront's first order (POST /api/orders). */
export const DEMO_CART = {
  customer_email: "ada@example.com",
  customer_name: "Ada Lovelace",
  lines: [
    { product_id: 1, quantity: 1 },
    { product_id: 3, quantity: 2 },
  ],
};

const order = (n, name, email, lines, status = "AWAITING_PAYMENT") => ({
  id: `d0d0d0d0-0000-4000-8000-${String(n).padStart(12, "0")}`,
  order_number: 1000 + n,
  status,
  customer_name: name,
  customer_email: email,
  lines,
});

export const DEMO_ORDERS = [
  order(1, "Ada Lovelace", "ada@example.com", [[1, 2], [3, 1]]),
  order(2, "Łukasz Żółć", "lukasz@example.com", [[2, 1], [3, 2]]),
  order(3, "山田太郎", "taro@example.com", [[4, 1]]),
  order(4, "Jürgen Groß", "juergen@example.com", [[1, 1], [2, 1], [4, 1]]),
  order(5, "Αλέξανδρος Παπαδόπουλος", "alex@example.com", [[3, 3]]),
  order(6, "Grace Hopper", "grace@example.com", [[3, 2]], "PENDING"),
  order(7, "Alan Turing", "alan@example.com", [[1, 1]], "CANCELLED"),
];

const q = (v) => (v === null ? "NULL" : typeof v === "number" ? String(v) : `'${String(v).replaceAll("'", "''")}'`);

export function seedSql({ reset = false } = {}) {
  const reserved = new Map();
  for (const o of DEMO_ORDERS.filter((o) => o.status === "AWAITING_PAYMENT")) {
    for (const [p, qty] of o.lines) reserved.set(p, (reserved.get(p) ?? 0) + qty);
  }
  const ids = DEMO_ORDERS.map((o) => q(o.id)).join(", ");
  const lines = [];
  if (reset) {
    // Demo orders only: their attention items go with them (a real work list is never deleted).
    lines.push(`DELETE FROM attention_items WHERE order_id IN (${ids});`);
    lines.push(`DELETE FROM webhook_events WHERE order_id IN (${ids});`);
    lines.push(`DELETE FROM invoices WHERE order_id IN (${ids});`);
    lines.push(`DELETE FROM order_items WHERE order_id IN (${ids});`);
    lines.push(`DELETE FROM orders WHERE id IN (${ids});`);
    lines.push(`DELETE FROM products WHERE id IN (${DEMO_PRODUCTS.map((p) => p.id).join(", ")});`);
  }
  for (const p of DEMO_PRODUCTS) {
    lines.push(
      `INSERT OR IGNORE INTO products (id, name, price_cents, stock, stock_reserved) VALUES (${p.id}, ${q(p.name)}, ${p.price_cents}, ${p.stock}, ${reserved.get(p.id) ?? 0});`,
    );
  }
  for (const o of DEMO_ORDERS) {
    lines.push(
      `INSERT OR IGNORE INTO orders (id, order_number, status, customer_email, customer_name, currency) VALUES (${q(o.id)}, ${o.order_number}, ${q(o.status)}, ${q(o.customer_email)}, ${q(o.customer_name)}, 'EUR');`,
    );
    o.lines.forEach(([productId, quantity], i) => {
      const price = DEMO_PRODUCTS.find((p) => p.id === productId).price_cents;
      // A fixed line id per demo line keeps the seed idempotent.
      const lineId = o.order_number * 100 + i;
      lines.push(
        `INSERT OR IGNORE INTO order_items (id, order_id, product_id, quantity, unit_price_cents) VALUES (${lineId}, ${q(o.id)}, ${productId}, ${quantity}, ${price});`,
      );
    });
  }
  return lines.join("\n");
}
