import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { signDelivery } from "../src/providers/generic/standardWebhooks";
import { createOrder, createProduct, deliverWithEnv, eventsOf, order, product, snapshot, WEBHOOK_URL } from "./support/shop";

// Obviously fake secrets, in the Standard Webhooks format.
const SECRET_B64 = btoa("test-signing-secret-one-32-bytes");
const NEXT_B64 = btoa("test-signing-secret-two-32-bytes");
const SIGNING = { WEBHOOK_SIGNING_SECRET: `whsec_${SECRET_B64}` } as Partial<Env>;
const secretBytes = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

async function awaitingOrder() {
  const p = await createProduct({ stock: 5, reserved: 1 });
  return { ...(await createOrder({ lines: [{ productId: p, quantity: 1 }] })), productId: p };
}

async function signedRequest(
  body: string,
  opts: { secret?: string; id?: string; at?: number; contentType?: string; extraHeaders?: Record<string, string>; tamper?: (b: string) => string } = {},
) {
  const id = opts.id ?? `msg_${crypto.randomUUID()}`;
  const headers = await signDelivery(secretBytes(opts.secret ?? SECRET_B64), id, opts.at ?? Math.floor(Date.now() / 1000), body);
  return new Request(WEBHOOK_URL, {
    method: "POST",
    headers: { "Content-Type": opts.contentType ?? "application/json", ...headers, ...opts.extraHeaders },
    body: opts.tamper ? opts.tamper(body) : body,
  });
}

describe("Standard Webhooks signatures", () => {
  it("a correctly signed delivery is accepted without the key, and its webhook-id recorded", async () => {
    const { id, productId } = await awaitingOrder();
    const res = await deliverWithEnv(SIGNING, await signedRequest(JSON.stringify({ order_id: id, status: "paid" }), { id: "msg_first" }));
    expect(res.status).toBe(200);
    expect((await order(id))?.status).toBe("CONFIRMED");
    expect(await product(productId)).toEqual({ stock: 4, stock_reserved: 0 });
    expect((await eventsOf(id))[0]?.delivery_id).toBe("msg_first");
  });

  it("signs the raw bytes, so a form body works as well", async () => {
    const { id } = await awaitingOrder();
    const body = new URLSearchParams({ order_id: id, status: "paid" }).toString();
    const res = await deliverWithEnv(SIGNING, await signedRequest(body, { contentType: "application/x-www-form-urlencoded" }));
    expect(res.status).toBe(200);
  });

  it("a replayed delivery (same webhook-id) that confirmed the order is recognised as a duplicate", async () => {
    const { id, productId } = await awaitingOrder();
    const body = JSON.stringify({ order_id: id, status: "paid" });
    const first = await deliverWithEnv(SIGNING, await signedRequest(body, { id: "msg_replayed" }));
    const replay = await deliverWithEnv(SIGNING, await signedRequest(body, { id: "msg_replayed" }));
    expect(await first.json()).toMatchObject({ outcome: "confirmed" });
    expect(await replay.json()).toMatchObject({ outcome: "duplicate" });
    expect((await eventsOf(id)).map((e) => e.outcome)).toEqual(["confirmed", "duplicate"]);
    expect(await product(productId)).toEqual({ stock: 4, stock_reserved: 0 });
  });

  it("a replayed failed delivery is recorded again, not poisoned into a duplicate", async () => {
    const { id } = await awaitingOrder();
    const body = JSON.stringify({ order_id: id, status: "failed" });
    await deliverWithEnv(SIGNING, await signedRequest(body, { id: "msg_failed_twice" }));
    const replay = await deliverWithEnv(SIGNING, await signedRequest(body, { id: "msg_failed_twice" }));
    expect(await replay.json()).toMatchObject({ outcome: "payment_failed" });
    expect((await eventsOf(id)).map((e) => e.outcome)).toEqual(["payment_failed", "payment_failed"]);
  });

  it("a reused webhook-id with a different status is not taken for a replay", async () => {
    const { id } = await awaitingOrder();
    await deliverWithEnv(SIGNING, await signedRequest(JSON.stringify({ order_id: id, status: "failed" }), { id: "msg_reused" }));
    const paid = await deliverWithEnv(SIGNING, await signedRequest(JSON.stringify({ order_id: id, status: "paid" }), { id: "msg_reused" }));
    expect(await paid.json()).toMatchObject({ outcome: "confirmed" });
    expect((await order(id))?.status).toBe("CONFIRMED");
  });

  it("accepts any of several signatures and any of several secrets (rotation)", async () => {
    const { id } = await awaitingOrder();
    const body = JSON.stringify({ order_id: id, status: "paid" });
    const request = await signedRequest(body, { secret: NEXT_B64 });
    const signature = request.headers.get("webhook-signature")!;
    const headers = new Headers(request.headers);
    headers.set("webhook-signature", `v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= ${signature} v2,ignored`);
    const res = await deliverWithEnv(
      { WEBHOOK_SIGNING_SECRET: `whsec_${SECRET_B64}, whsec_${NEXT_B64}` } as Partial<Env>,
      new Request(WEBHOOK_URL, { method: "POST", headers, body }),
    );
    expect(res.status).toBe(200);
  });

  const MINUTES = 60;
  it.each([
    ["a tampered body", { tamper: (b: string) => b.replace("paid", "failed") }],
    ["a signature made with another secret", { secret: btoa("not-the-secret-at-all-32-bytes!!") }],
    ["a timestamp 6 minutes old", { at: Math.floor(Date.now() / 1000) - 6 * MINUTES }],
    ["a timestamp 6 minutes ahead", { at: Math.floor(Date.now() / 1000) + 6 * MINUTES }],
    ["a timestamp that is not a number", { extraHeaders: { "webhook-timestamp": "yesterday" } }],
    ["a missing webhook-id", { extraHeaders: { "webhook-id": "" } }],
    ["a signature that is not base64", { extraHeaders: { "webhook-signature": "v1,@@@@" } }],
  ])("refuses %s with 403, saying why, and changes nothing", async (_, opts) => {
    const { id } = await awaitingOrder();
    const before = await snapshot();
    const res = await deliverWithEnv(SIGNING, await signedRequest(JSON.stringify({ order_id: id, status: "paid" }), opts));
    expect(res.status).toBe(403);
    const body = await res.json<{ error: string; details: { reason: string } }>();
    expect(body.error).toBe("Unauthorized");
    expect(body.details.reason.length).toBeGreaterThan(10);
    expect(await snapshot()).toBe(before);
  });

  it("ignores signature headers when no signing secret is configured", async () => {
    const { id } = await awaitingOrder();
    const res = await deliverWithEnv({}, await signedRequest(JSON.stringify({ order_id: id, status: "paid" })));
    expect(res.status).toBe(403);
    expect((await order(id))?.status).toBe("AWAITING_PAYMENT");
  });

  it("works with signatures only (no WEBHOOK_SECRET), and still fails closed with neither", async () => {
    const { id } = await awaitingOrder();
    const onlySigning = { WEBHOOK_SECRET: "", ...SIGNING } as Partial<Env>;
    expect((await deliverWithEnv(onlySigning, await signedRequest(JSON.stringify({ order_id: id, status: "paid" })))).status).toBe(200);
    const neither = { WEBHOOK_SECRET: "", WEBHOOK_SIGNING_SECRET: "" } as Partial<Env>;
    expect((await deliverWithEnv(neither, await signedRequest(JSON.stringify({ order_id: id, status: "paid" })))).status).toBe(500);
  });

  describe("against the official standardwebhooks package as the signer", () => {
    const secret = `whsec_${SECRET_B64}`;
    async function officiallySigned(body: string, names: "webhook" | "svix", id = `msg_${crypto.randomUUID()}`) {
      const signature = new Webhook(secret).sign(id, new Date(), body);
      return new Request(WEBHOOK_URL, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          [`${names}-id`]: id,
          [`${names}-timestamp`]: String(Math.floor(Date.now() / 1000)),
          [`${names}-signature`]: signature,
        },
        body,
      });
    }

    it("accepts a delivery signed by the official package with the Standard Webhooks header names", async () => {
      const { id } = await awaitingOrder();
      const res = await deliverWithEnv(SIGNING, await officiallySigned(JSON.stringify({ order_id: id, status: "paid" }), "webhook"));
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ outcome: "confirmed" });
    });

    it("accepts an ordinary Svix delivery (svix-id, svix-timestamp, svix-signature) and records its id", async () => {
      const { id } = await awaitingOrder();
      const res = await deliverWithEnv(SIGNING, await officiallySigned(JSON.stringify({ order_id: id, status: "paid" }), "svix", "msg_svix_1"));
      expect(res.status).toBe(200);
      expect((await eventsOf(id))[0]).toMatchObject({ outcome: "confirmed", delivery_id: "msg_svix_1" });
    });

    it("refuses a tampered Svix delivery with 403", async () => {
      const { id } = await awaitingOrder();
      const signed = await officiallySigned(JSON.stringify({ order_id: id, status: "failed" }), "svix");
      const tampered = new Request(signed, { body: JSON.stringify({ order_id: id, status: "paid" }) });
      expect((await deliverWithEnv(SIGNING, tampered)).status).toBe(403);
    });
  });

  describe("secrets too weak to mean anything are refused at parse time", () => {
    it.each([
      ["whsec_ (0 bytes)", "whsec_"],
      ["whsec_AA== (1 byte)", "whsec_AA=="],
      ["23 bytes", `whsec_${btoa("x".repeat(23))}`],
      ["not base64", "whsec_abc!"],
    ])("%s beside a valid secret: a delivery signed with the valid one is accepted, never a 500", async (_, weak) => {
      const { id } = await awaitingOrder();
      const env = { WEBHOOK_SECRET: "", WEBHOOK_SIGNING_SECRET: `${weak},whsec_${SECRET_B64}` } as Partial<Env>;
      const res = await deliverWithEnv(env, await signedRequest(JSON.stringify({ order_id: id, status: "paid" })));
      expect(res.status).toBe(200);
    });

    it.each([["whsec_"], ["whsec_AA=="]])("%s alone leaves no usable secret: every delivery is refused (fail closed)", async (weak) => {
      const { id } = await awaitingOrder();
      const before = await snapshot();
      const forged = new Request(WEBHOOK_URL, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...(await signDelivery(new Uint8Array([0]), "msg_forged", Math.floor(Date.now() / 1000), JSON.stringify({ order_id: id, status: "paid" }))) },
        body: JSON.stringify({ order_id: id, status: "paid" }),
      });
      const res = await deliverWithEnv({ WEBHOOK_SECRET: "", WEBHOOK_SIGNING_SECRET: weak } as Partial<Env>, forged);
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ error: "Webhook authentication is not configured" });
      expect(await snapshot()).toBe(before);
    });

    it("says what is wrong with a refused secret", async () => {
      const { parseSigningSecrets } = await import("../src/providers/generic/standardWebhooks");
      expect(parseSigningSecrets("whsec_AA==, whsec_abc!").problems).toEqual([
        "entry 1 decodes to 1 bytes; at least 24 are required",
        "entry 2 is not whsec_<base64>",
      ]);
    });
  });

  it("records the id the signature covers, not an unsigned id header beside it", async () => {
    const { id } = await awaitingOrder();
    const body = JSON.stringify({ order_id: id, status: "paid" });
    const signed = await signDelivery(secretBytes(SECRET_B64), "msg_signed_id", Math.floor(Date.now() / 1000), body);
    const request = new Request(WEBHOOK_URL, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "svix-id": signed["webhook-id"],
        "svix-timestamp": signed["webhook-timestamp"],
        "svix-signature": signed["webhook-signature"],
        "webhook-id": "msg_not_signed",
      },
      body,
    });
    expect((await deliverWithEnv(SIGNING, request)).status).toBe(200);
    expect((await eventsOf(id))[0]?.delivery_id).toBe("msg_signed_id");
  });
});
