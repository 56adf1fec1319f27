import { describe, expect, it } from "vitest";
import { createOrder, createProduct, deliver, eventsOf, order, snapshot } from "./support/shop";

async function awaitingOrder() {
  const p = await createProduct({ stock: 5, reserved: 1 });
  return createOrder({ lines: [{ productId: p, quantity: 1 }] });
}

describe("request bodies", () => {
  it("accepts an application/x-www-form-urlencoded body", async () => {
    const { id } = await awaitingOrder();
    const res = await deliver(new URLSearchParams({ order_id: id, status: "paid" }));
    expect(res.status).toBe(200);
    expect((await order(id))?.status).toBe("CONFIRMED");
  });

  it("accepts a multipart/form-data body", async () => {
    const { id } = await awaitingOrder();
    const form = new FormData();
    form.set("order_id", id);
    form.set("status", "paid");
    const res = await deliver(form);
    expect(res.status).toBe(200);
    expect((await order(id))?.status).toBe("CONFIRMED");
  });

  it("accepts a JSON body with a charset and extra fields, and an upper-case UUID", async () => {
    const { id } = await awaitingOrder();
    const res = await deliver(JSON.stringify({ order_id: id.toUpperCase(), status: "paid", amount: 1999 }), {
      contentType: "application/json; charset=utf-8",
    });
    expect(res.status).toBe(200);
    expect((await order(id))?.status).toBe("CONFIRMED");
    expect(await eventsOf(id)).toHaveLength(1);
  });

  const badBodies: [string, string | URLSearchParams, string | undefined, number, RegExp][] = [
    ["malformed JSON", "{\"order_id\": ", "application/json", 400, /Malformed JSON/],
    ["a JSON array", "[]", "application/json", 400, /Invalid webhook payload/],
    ["JSON null", "null", "application/json", 400, /Invalid webhook payload/],
    ["an empty JSON body", "", "application/json", 400, /Malformed JSON/],
    ["a missing status", JSON.stringify({ order_id: crypto.randomUUID() }), "application/json", 400, /Invalid webhook payload/],
    ["a missing order_id", JSON.stringify({ status: "paid" }), "application/json", 400, /Invalid webhook payload/],
    ["an order_id that is not a UUID", JSON.stringify({ order_id: "42", status: "paid" }), "application/json", 400, /Invalid webhook payload/],
    ["a numeric order_id", JSON.stringify({ order_id: 42, status: "paid" }), "application/json", 400, /Invalid webhook payload/],
    ["an unknown status", JSON.stringify({ order_id: crypto.randomUUID(), status: "refunded" }), "application/json", 400, /Invalid webhook payload/],
    ["a form with a repeated status", "order_id=" + crypto.randomUUID() + "&status=paid&status=failed", "application/x-www-form-urlencoded", 400, /Invalid webhook payload/],
    ["a broken multipart body", "--x\r\nnot a part", "multipart/form-data; boundary=x", 400, /./],
    ["plain text", "order_id=1&status=paid", "text/plain", 415, /Unsupported content type/],
    ["XML", "<a/>", "application/xml", 415, /Unsupported content type/],
    ["no content type", "{}", undefined, 415, /^Content-Type is missing$/],
    ["a JSON body sent as a form (curl -d without -H)", JSON.stringify({ order_id: crypto.randomUUID(), status: "paid" }), "application/x-www-form-urlencoded", 415, /body is JSON but its Content-Type is application\/x-www-form-urlencoded/],
  ];

  it.each(badBodies)("answers %s with a JSON error and changes nothing", async (_, body, contentType, status, error) => {
    await awaitingOrder();
    const before = await snapshot();
    const res = await deliver(body, { contentType: contentType ?? "" });
    expect(res.status).toBe(status);
    expect(res.headers.get("Content-Type")).toMatch(/application\/json/);
    const json = await res.json<{ error: string }>();
    expect(json.error).toMatch(error);
    expect(await snapshot()).toBe(before);
  });

  it("names the missing content type and the accepted ones", async () => {
    const res = await deliver("{}", { contentType: "" });
    expect(res.status).toBe(415);
    expect(await res.json()).toEqual({
      error: "Content-Type is missing",
      details: {
        received: null,
        accepted: ["application/json", "application/x-www-form-urlencoded", "multipart/form-data"],
        hint: "send the header Content-Type: application/json with a JSON body",
      },
    });
  });

  it("still reads a url-encoded form that holds braces in a value", async () => {
    const { id } = await awaitingOrder();
    const res = await deliver(`status=paid&order_id=${id}&reference={"a":1}`, { contentType: "application/x-www-form-urlencoded" });
    expect(res.status).toBe(200);
    expect((await order(id))?.status).toBe("CONFIRMED");
  });

  it("says what is wrong with a malformed body in the details too", async () => {
    const res = await deliver("{\"order_id\": ", { contentType: "application/json" });
    expect(await res.json()).toEqual({
      error: "Malformed JSON in request body",
      details: [{ field: "(body)", message: "Malformed JSON in request body" }],
    });
  });

  it("names every wrong field in the details", async () => {
    const res = await deliver({ order_id: "nope", status: "PAID" });
    expect(res.status).toBe(400);
    const json = await res.json<{ details: { field: string; message: string }[] }>();
    expect(json.details.map((d) => d.field).sort()).toEqual(["order_id", "status"]);
    expect(json.details.find((d) => d.field === "order_id")?.message).toMatch(/UUID/);
  });

  it("refuses a body over 64 KiB with 413, by Content-Length or by counting", async () => {
    const { id } = await awaitingOrder();
    const before = await snapshot();
    const big = JSON.stringify({ order_id: id, status: "paid", padding: "x".repeat(70 * 1024) });
    const res = await deliver(big, { contentType: "application/json" });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: "Payload too large" });

    const chunks = new TextEncoder().encode(big);
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < chunks.length; i += 8192) controller.enqueue(chunks.slice(i, i + 8192));
        controller.close();
      },
    });
    const { exports } = await import("cloudflare:workers");
    const streamed = await exports.default.fetch(
      new Request("https://shop.test/api/webhooks/payment/", {
        method: "POST",
        headers: { "X-Webhook-Key": "test-webhook-key-current-not-a-secret", "Content-Type": "application/json" },
        body: stream,
      }),
    );
    expect(streamed.status).toBe(413);
    expect(await snapshot()).toBe(before);
    expect((await order(id))?.status).toBe("AWAITING_PAYMENT");
  });

  it.each(["GET", "PUT", "DELETE"])("answers %s with 405 and an Allow header", async (method) => {
    const res = await deliver(undefined, { method });
    expect(res.status).toBe(405);
    expect(res.headers.get("Allow")).toBe("POST");
    expect(await res.json()).toMatchObject({ error: "Method not allowed" });
  });

  it("answers an unknown path with a JSON 404", async () => {
    const res = await deliver({}, { url: "https://shop.test/api/nothing" });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "Not found" });
    expect(res.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});
