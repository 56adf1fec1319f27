// POST /api/orders: a shop's order is written and reserved in one batch, all lines or none,
// priced from `products`; bad input changes nothing; an Idempotency-Key makes a retry safe.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createProduct, KEY, pay, product, snapshot } from "./support/shop";
import { createOrderOperation } from "../src/orders/orderOperations";
import { callOrders, countRows, newOrder, NEXT_SHOP_KEY, postOrder } from "./support/orders";

describe("creating an order", () => {
  it("writes the order and reserves every line, priced from products, in the shop's currency", async () => {
    const beans = await createProduct({ stock: 10, priceCents: 2490, name: "Beans" });
    const filters = await createProduct({ stock: 5, reserved: 1, priceCents: 650, name: "Filters" });
    const before = Date.now();
    const { status, body, headers } = await postOrder(
      newOrder([{ product_id: beans, quantity: 2 }, { product_id: filters, quantity: 3 }], {
        // Prices and totals a caller sends are never used.
        total_cents: 1,
        lines: [
          { product_id: beans, quantity: 2, unit_price_cents: 1 },
          { product_id: filters, quantity: 3, price_cents: 1 },
        ],
      }),
    );
    expect(status).toBe(201);
    expect(headers.get("Idempotent-Replayed")).toBeNull();
    expect(body).toMatchObject({
      status: "AWAITING_PAYMENT",
      currency: "EUR",
      total_cents: 2 * 2490 + 3 * 650,
      customer_email: "shopper@example.test",
      customer_name: "Test Shopper",
      invoice_number: null,
      lines: [
        { product_id: beans, product_name: "Beans", quantity: 2, unit_price_cents: 2490, line_total_cents: 4980 },
        { product_id: filters, product_name: "Filters", quantity: 3, unit_price_cents: 650, line_total_cents: 1950 },
      ],
    });
    expect(body.order_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const until = Date.parse(body.reserved_until!);
    expect(until).toBeGreaterThanOrEqual(before + 30 * 60_000);
    expect(until).toBeLessThanOrEqual(Date.now() + 30 * 60_000);
    expect(await product(beans)).toEqual({ stock: 10, stock_reserved: 2 });
    expect(await product(filters)).toEqual({ stock: 5, stock_reserved: 4 });
    const stored = await env.DB.prepare("SELECT status, currency, reserved_until, order_number FROM orders WHERE id = ?").bind(body.order_id).first();
    expect(stored).toEqual({ status: "AWAITING_PAYMENT", currency: "EUR", reserved_until: until, order_number: body.order_number });

    // The webhook confirms it like any other order, and the answer then names the invoice.
    expect((await pay(body.order_id)).status).toBe(200);
    const read = (await (await callOrders("GET", `/${body.order_id}`)).json()) as { status: string; invoice_number: string };
    expect(read.status).toBe("CONFIRMED");
    expect(read.invoice_number).toMatch(/^INV-\d{4}-\d{6}$/);
    expect(await product(beans)).toEqual({ stock: 8, stock_reserved: 0 });
  });

  it("allocates a new order number to each order, after any another tool wrote", async () => {
    const p = await createProduct({ stock: 100 });
    const max = (await env.DB.prepare("SELECT MAX(order_number) AS n FROM orders").first<{ n: number | null }>())!.n ?? 0;
    const first = await postOrder(newOrder([{ product_id: p, quantity: 1 }]));
    const second = await postOrder(newOrder([{ product_id: p, quantity: 1 }]));
    expect(first.body.order_number).toBe(max + 1);
    expect(second.body.order_number).toBe(max + 2);
  });

  it("takes SHOP_CURRENCY and RESERVATION_MINUTES from the configuration", async () => {
    const { deliverWithEnv } = await import("./support/shop");
    const { orderRequest } = await import("./support/orders");
    const p = await createProduct({ stock: 5 });
    const res = await deliverWithEnv(
      { SHOP_CURRENCY: "CHF", RESERVATION_MINUTES: "5" } as Partial<Env>,
      orderRequest("POST", "", newOrder([{ product_id: p, quantity: 1 }])),
    );
    const body = (await res.json()) as { currency: string; reserved_until: string; created_at: string };
    expect(res.status).toBe(201);
    expect(body.currency).toBe("CHF");
    expect(Date.parse(body.reserved_until) - Date.parse(body.created_at)).toBe(5 * 60_000);
    const bad = await deliverWithEnv({ SHOP_CURRENCY: "euro" } as Partial<Env>, orderRequest("POST", "", newOrder([{ product_id: p, quantity: 1 }])));
    expect(bad.status).toBe(500);
    expect(await bad.json()).toMatchObject({ error: "Service misconfigured" });
    // A wrong shop setting never stops the webhook.
    const { createOrder, webhookRequest } = await import("./support/shop");
    const { id } = await createOrder({ lines: [{ productId: p, quantity: 1 }] });
    await env.DB.prepare("UPDATE products SET stock_reserved = stock_reserved + 1 WHERE id = ?").bind(p).run();
    const paid = await deliverWithEnv({ SHOP_CURRENCY: "euro", RESERVATION_MINUTES: "0" } as Partial<Env>, webhookRequest({ order_id: id, status: "paid" }));
    expect(paid.status).toBe(200);
  });

  it("reserves nothing and writes nothing when any line is short: no leaked reservation from the earlier lines", async () => {
    const plenty = await createProduct({ stock: 50, name: "Plenty" });
    const scarce = await createProduct({ stock: 3, reserved: 2, name: "Scarce" });
    const before = await snapshot();
    const rows = await countRows();
    const { status, body } = await postOrder(newOrder([{ product_id: plenty, quantity: 5 }, { product_id: scarce, quantity: 2 }]));
    expect(status).toBe(400);
    expect(body).toEqual({
      error: "Insufficient stock",
      details: [{ product_id: scarce, product_name: "Scarce", requested: 2, available: 1 }],
    });
    expect(await snapshot()).toBe(before);
    expect(await countRows()).toEqual(rows);
  });

  it("counts a product named on two lines once, against its whole quantity", async () => {
    const p = await createProduct({ stock: 3, name: "Twice" });
    const short = await postOrder(newOrder([{ product_id: p, quantity: 2 }, { product_id: p, quantity: 2 }]));
    expect(short.status).toBe(400);
    expect(short.body.details).toEqual([{ product_id: p, product_name: "Twice", requested: 4, available: 3 }]);
    const fits = await postOrder(newOrder([{ product_id: p, quantity: 2 }, { product_id: p, quantity: 1 }]));
    expect(fits.status).toBe(201);
    expect(fits.body.lines).toHaveLength(2);
    expect(await product(p)).toEqual({ stock: 3, stock_reserved: 3 });
  });

  it("refuses an unknown product, naming the line, and writes nothing", async () => {
    const p = await createProduct({ stock: 5 });
    const before = await snapshot();
    const { status, body } = await postOrder(newOrder([{ product_id: p, quantity: 1 }, { product_id: 987654321, quantity: 1 }]));
    expect(status).toBe(400);
    expect(body).toEqual({ error: "Unknown product", details: [{ field: "lines.1.product_id", message: "no product has id 987654321" }] });
    expect(await snapshot()).toBe(before);
  });

  it("validates every field and names it; nothing is written", async () => {
    const p = await createProduct({ stock: 5 });
    const line = { product_id: p, quantity: 1 };
    const before = await snapshot();
    const cases: [unknown, string][] = [
      [newOrder([{ product_id: p, quantity: 0 }]), "lines.0.quantity"],
      [newOrder([{ product_id: p, quantity: 1.5 }]), "lines.0.quantity"],
      [newOrder([{ product_id: p, quantity: 1_000_001 }]), "lines.0.quantity"],
      [newOrder([{ product_id: p, quantity: "2" }] as never), "lines.0.quantity"],
      [newOrder([{ product_id: -1, quantity: 1 }]), "lines.0.product_id"],
      [newOrder([{ product_id: "1", quantity: 1 }] as never), "lines.0.product_id"],
      [newOrder([]), "lines"],
      [newOrder(Array.from({ length: 101 }, () => line)), "lines"],
      [{ ...newOrder([line]), lines: "all of them" }, "lines"],
      [newOrder([line], { customer_email: "a@example.com, b@example.com" }), "customer_email"],
      [newOrder([line], { customer_email: "Ada <ada@example.com>" }), "customer_email"],
      [newOrder([line], { customer_email: undefined }), "customer_email"],
      [newOrder([line], { customer_name: "" }), "customer_name"],
      [newOrder([line], { customer_name: "x".repeat(201) }), "customer_name"],
      [newOrder([line], { customer_name: "Ada\nBcc: someone" }), "customer_name"],
      [newOrder([line], { customer_name: "Ada \u202Enoyl" }), "customer_name"],
      [newOrder([line], { customer_name: 7 }), "customer_name"],
      [[line], "(body)"],
    ];
    for (const [body, field] of cases) {
      const res = await postOrder(body);
      expect(res.status, JSON.stringify(body).slice(0, 120)).toBe(400);
      expect(res.body.error).toBe("Invalid order");
      expect(res.body.details.map((d: { field: string }) => d.field), JSON.stringify(res.body)).toContain(field);
    }
    const malformed = await callOrders("POST", "", undefined, { raw: "{not json" });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: "Malformed JSON", details: [{ field: "(body)" }] });
    const form = await callOrders("POST", "", undefined, { raw: "lines=1", contentType: "application/x-www-form-urlencoded" });
    expect(form.status).toBe(415);
    const huge = await callOrders("POST", "", newOrder([line], { pad: "x".repeat(70_000) }));
    expect(huge.status).toBe(413);
    expect(await snapshot()).toBe(before);
  });

  it("accepts 100 lines in one batch", async () => {
    const ids = await Promise.all(Array.from({ length: 100 }, (_, i) => createProduct({ stock: 10, priceCents: 100 + i })));
    const { status, body } = await postOrder(newOrder(ids.map((id) => ({ product_id: id, quantity: 2 }))));
    expect(status).toBe(201);
    expect(body.lines.map((l) => l.product_id)).toEqual(ids);
    expect(body.total_cents).toBe(ids.reduce((sum, _, i) => sum + 2 * (100 + i), 0));
  });
});

describe("the Idempotency-Key", () => {
  it("over the binding, a key that is not a string (a numeric cart id) is a 400, not a 500, and creates nothing", async () => {
    const p = await createProduct({ stock: 5 });
    const before = await countRows();
    const answer = await createOrderOperation(env, newOrder([{ product_id: p, quantity: 1 }]), 42 as unknown);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: "Invalid Idempotency-Key" });
    expect(await countRows()).toEqual(before);
  });

  it("answers a retry with the first order and creates nothing", async () => {
    const p = await createProduct({ stock: 10 });
    const request = newOrder([{ product_id: p, quantity: 2 }]);
    const first = await postOrder(request, { "Idempotency-Key": "checkout-7f3a" });
    const rows = await countRows();
    const retry = await postOrder(request, { "Idempotency-Key": "checkout-7f3a" });
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.headers.get("Idempotent-Replayed")).toBe("true");
    expect(retry.body).toEqual(first.body);
    expect(await countRows()).toEqual(rows);
    expect(await product(p)).toEqual({ stock: 10, stock_reserved: 2 });
  });

  it("makes concurrent retries create one order", async () => {
    const p = await createProduct({ stock: 10 });
    const request = newOrder([{ product_id: p, quantity: 1 }]);
    const answers = await Promise.all(Array.from({ length: 8 }, () => postOrder(request, { "Idempotency-Key": "double-click-1" })));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(201));
    expect(new Set(answers.map((a) => a.body.order_id)).size).toBe(1);
    expect(await product(p)).toEqual({ stock: 10, stock_reserved: 1 });
  });

  it("refuses the same key with a different order, and a malformed key", async () => {
    const p = await createProduct({ stock: 10 });
    const first = await postOrder(newOrder([{ product_id: p, quantity: 1 }]), { "Idempotency-Key": "reused-key" });
    const rows = await countRows();
    const other = await postOrder(newOrder([{ product_id: p, quantity: 3 }]), { "Idempotency-Key": "reused-key" });
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ error: "Idempotency-Key already used for a different order", order_id: first.body.order_id });
    const bad = await postOrder(newOrder([{ product_id: p, quantity: 1 }]), { "Idempotency-Key": "x".repeat(256) });
    expect(bad.status).toBe(400);
    expect(bad.body.details[0].field).toBe("Idempotency-Key");
    expect(await countRows()).toEqual(rows);
  });

  it("is not taken by a request that failed: the retry can still succeed", async () => {
    const p = await createProduct({ stock: 1 });
    const request = newOrder([{ product_id: p, quantity: 2 }]);
    expect((await postOrder(request, { "Idempotency-Key": "after-restock" })).status).toBe(400);
    await env.DB.prepare("UPDATE products SET stock = 5 WHERE id = ?").bind(p).run();
    expect((await postOrder(request, { "Idempotency-Key": "after-restock" })).status).toBe(201);
  });

  it("is kept for 24 hours and then pruned by the cron; the order stays", async () => {
    const { runCron } = await import("./support/shop");
    const p = await createProduct({ stock: 10 });
    const { body } = await postOrder(newOrder([{ product_id: p, quantity: 1 }]), { "Idempotency-Key": "prune-me" });
    const createdAt = Date.parse(body.created_at);
    await runCron(createdAt + 23 * 3_600_000);
    const kept = await env.DB.prepare("SELECT count(*) AS n FROM order_idempotency_keys WHERE key = 'prune-me'").first<{ n: number }>();
    expect(kept!.n).toBe(1);
    await runCron(createdAt + 24 * 3_600_000 + 1);
    const gone = await env.DB.prepare("SELECT count(*) AS n FROM order_idempotency_keys WHERE key = 'prune-me'").first<{ n: number }>();
    expect(gone!.n).toBe(0);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM orders WHERE id = ?").bind(body.order_id).first()).toEqual({ n: 1 });
  });
});

describe("who may call it", () => {
  it("opens to each SHOP_API_KEY, and to nothing else", async () => {
    const p = await createProduct({ stock: 10 });
    const request = newOrder([{ product_id: p, quantity: 1 }]);
    expect((await callOrders("POST", "", request, { key: NEXT_SHOP_KEY })).status).toBe(201);
    const before = await snapshot();
    for (const key of [null, KEY, "test-shop-api-key-current-not-a-secreT", ""]) {
      const res = await callOrders("POST", "", request, { key });
      expect(res.status, String(key)).toBe(401);
      expect(res.headers.get("WWW-Authenticate")).toContain("Bearer");
      expect(await res.json()).toMatchObject({ error: "Unauthorized" });
    }
    // A webhook key sent as X-Webhook-Key does not open it either.
    const res = await callOrders("GET", `/${crypto.randomUUID()}`, undefined, { key: null, headers: { "X-Webhook-Key": KEY } });
    expect(res.status).toBe(401);
    expect(await snapshot()).toBe(before);
  });

  it("a shop key never opens the webhook", async () => {
    const { createOrder, deliver } = await import("./support/shop");
    const { SHOP_KEY } = await import("./support/orders");
    const p = await createProduct({ stock: 5, reserved: 1 });
    const { id } = await createOrder({ lines: [{ productId: p, quantity: 1 }] });
    const asKey = await deliver({ order_id: id, status: "paid" }, { key: SHOP_KEY });
    const asBearer = await deliver({ order_id: id, status: "paid" }, { key: null, headers: { Authorization: `Bearer ${SHOP_KEY}` } });
    expect([asKey.status, asBearer.status]).toEqual([403, 403]);
    expect(await product(p)).toEqual({ stock: 5, stock_reserved: 1 });
  });

  it("refuses a shop key that is also a webhook key, short keys, and fails closed without one", async () => {
    const { deliverWithEnv } = await import("./support/shop");
    const { orderRequest } = await import("./support/orders");
    const get = (key: string, overrides: Record<string, string>) =>
      deliverWithEnv(overrides as Partial<Env>, orderRequest("GET", `/${crypto.randomUUID()}`, undefined, { key }));
    expect((await get(KEY, { SHOP_API_KEY: `${KEY},another-shop-key-of-32-characters-xx` })).status).toBe(401);
    expect((await get("another-shop-key-of-32-characters-xx", { SHOP_API_KEY: `${KEY},another-shop-key-of-32-characters-xx` })).status).toBe(404);
    expect((await get("short-key", { SHOP_API_KEY: "short-key" })).status).toBe(500);
    const none = await get("anything-at-all-of-32-characters-xxxx", { SHOP_API_KEY: "" });
    expect(none.status).toBe(500);
    expect(await none.json()).toEqual({ error: "Order API authentication is not configured" });
  });
});

describe("the round trips of a new order", () => {
  it("is one D1 batch of a constant number of statements, whatever the number of lines", async () => {
    const { createOrderOperation } = await import("../src/orders/orderOperations");
    const ids = await Promise.all(Array.from({ length: 100 }, () => createProduct({ stock: 10 })));
    const calls: string[] = [];
    const statements: number[] = [];
    // The real binding, counting every call that reaches D1.
    const counted = new Proxy(env.DB, {
      get(target, name) {
        const value = Reflect.get(target, name);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          if (name === "batch") statements.push((args[0] as unknown[]).length);
          if (name !== "prepare") calls.push(String(name));
          return value.apply(target, args);
        };
      },
    });
    for (const lines of [1, 10, 100]) {
      calls.length = 0;
      const answer = await createOrderOperation({ ...env, DB: counted } as Env, newOrder(ids.slice(0, lines).map((id) => ({ product_id: id, quantity: 1 }))));
      expect(answer.status).toBe(201);
      expect(calls, `${lines} lines`).toEqual(["batch"]);
    }
    expect(new Set(statements)).toEqual(new Set([6]));
  });
});
