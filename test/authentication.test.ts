import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  createOrder, createProduct, deliver, deliverWithEnv, NEXT_KEY, order, product, snapshot, webhookRequest,
} from "./support/shop";

async function awaitingOrder() {
  const p = await createProduct({ stock: 5, reserved: 1 });
  const o = await createOrder({ lines: [{ productId: p, quantity: 1 }] });
  return { ...o, productId: p };
}

describe("webhook authentication", () => {
  it.each([
    ["a missing key", null],
    ["an empty key", ""],
    ["a wrong key of the same length", "test-key-currenX"],
    ["an odd-length key", "abc"],
    ["a prefix of a valid key", "test-key"],
    ["a valid key with a suffix", "test-webhook-key-current-not-a-secret-and-more"],
    ["both keys joined by a comma", "test-webhook-key-current-not-a-secret,test-webhook-key-next-also-not-a-secret"],
  ])("refuses %s with 403 and writes nothing", async (_, key) => {
    const { id, productId } = await awaitingOrder();
    const before = await snapshot();
    const res = await deliver({ order_id: id, status: "paid" }, { key });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: "Unauthorized" });
    expect(await snapshot()).toBe(before);
    expect((await order(id))?.status).toBe("AWAITING_PAYMENT");
    expect(await product(productId)).toEqual({ stock: 5, stock_reserved: 1 });
  });

  it("refuses before reading the body: a bad key with a bad body is still 403", async () => {
    const res = await deliver("{not json", { key: "wrong", contentType: "application/json" });
    expect(res.status).toBe(403);
  });

  it("accepts every key of a rotation", async () => {
    const first = await awaitingOrder();
    const second = await awaitingOrder();
    expect((await deliver({ order_id: first.id, status: "paid" })).status).toBe(200);
    expect((await deliver({ order_id: second.id, status: "paid" }, { key: NEXT_KEY })).status).toBe(200);
    expect((await order(first.id))?.status).toBe("CONFIRMED");
    expect((await order(second.id))?.status).toBe("CONFIRMED");
  });

  it("ignores blanks around keys and empty entries in the secret", async () => {
    const { id } = await awaitingOrder();
    const key = "an-odd-but-long-enough-key-0123456789";
    const secret = { WEBHOOK_SECRET: ` , ${key} ,, ` } as Partial<Env>;
    expect((await deliverWithEnv(secret, webhookRequest({ order_id: id, status: "paid" }, ""))).status).toBe(403);
    expect((await deliverWithEnv(secret, webhookRequest({ order_id: id, status: "paid" }, " "))).status).toBe(403);
    expect((await deliverWithEnv(secret, webhookRequest({ order_id: id, status: "paid" }, key))).status).toBe(200);
  });

  it("refuses keys shorter than 32 characters: alone, the endpoint fails closed", async () => {
    const { id } = await awaitingOrder();
    const before = await snapshot();
    const res = await deliverWithEnv({ WEBHOOK_SECRET: "a" } as Partial<Env>, webhookRequest({ order_id: id, status: "paid" }, "a"));
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: "Webhook authentication is not configured" });
    expect(await snapshot()).toBe(before);
  });

  it("a short key beside a good one is refused, and the good one keeps working", async () => {
    const { id } = await awaitingOrder();
    const good = "a-good-key-of-at-least-32-characters-000";
    const secret = { WEBHOOK_SECRET: `short-key,${good}` } as Partial<Env>;
    expect((await deliverWithEnv(secret, webhookRequest({ order_id: id, status: "paid" }, "short-key"))).status).toBe(403);
    expect((await deliverWithEnv(secret, webhookRequest({ order_id: id, status: "paid" }, good))).status).toBe(200);
  });

  it.each([
    ["unset", undefined],
    ["empty", ""],
    ["only commas and blanks", " , ,"],
  ])("fails closed with 500 when the secret is %s", async (_, secret) => {
    const { id } = await awaitingOrder();
    const before = await snapshot();
    for (const key of ["", "anything", "test-webhook-key-current-not-a-secret"]) {
      const res = await deliverWithEnv({ WEBHOOK_SECRET: secret } as Partial<Env>, webhookRequest({ order_id: id, status: "paid" }, key));
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ error: "Webhook authentication is not configured" });
    }
    expect(await snapshot()).toBe(before);
  });

  it("never stores the key in the audit log", async () => {
    const { id } = await awaitingOrder();
    await deliver({ order_id: id, status: "paid" });
    const { results } = await env.DB.prepare("SELECT * FROM webhook_events").all();
    expect(JSON.stringify(results)).not.toContain("test-webhook-key-current-not-a-secret");
  });
});
