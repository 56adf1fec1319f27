// Random requests, seeded so that a failure reproduces: never a 5xx, and never a change of
// state unless the request had a valid key and a valid body.
import { expect, it } from "vitest";
import { createOrder, createProduct, deliver, KEY, snapshot } from "./support/shop";

const SEED = Number(process.env.FUZZ_SEED ?? 20261122);
const CASES = 300;

function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

it(`never answers 5xx and never changes state without a valid key and body (seed ${SEED}, ${CASES} cases)`, async () => {
  const random = mulberry32(SEED);
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const randomString = (max: number) =>
    Array.from({ length: Math.floor(random() * max) }, () => String.fromCharCode(Math.floor(random() * 0x2ff))).join("");

  const p = await createProduct({ stock: 1000, reserved: 1000 });
  const known = await Promise.all(Array.from({ length: 5 }, () => createOrder({ lines: [{ productId: p, quantity: 1 }] })));

  const methods = ["POST", "POST", "POST", "GET", "PUT", "PATCH", "DELETE", "OPTIONS"];
  const paths = ["/api/webhooks/payment/", "/api/webhooks/payment", "/api/webhooks/payment//", "/api/webhooks/", "/", "/api/webhooks/payment/x"];
  const types = ["application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=zz", "text/plain", "", "application/json; charset=utf-8", "application/vnd.api+json"];
  const keys = [KEY, KEY, "", "wrong", KEY.toUpperCase(), `${KEY} `, null, "x".repeat(500)];
  // A well-formed UUID of no order, from the seeded generator so the run reproduces.
  const unknownId = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join("").replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5");
  const orderIds = [...known.map((o) => o.id), unknownId, "not-a-uuid", "", "00000000-0000-0000-0000-000000000000"];
  const statuses = ["paid", "failed", "PAID", "", "refunded", 1];

  for (let i = 0; i < CASES; i++) {
    const method = pick(methods);
    const path = pick(paths);
    const contentType = pick(types);
    const key = pick(keys);
    const shape = random();
    let body: string | undefined;
    let validBody = false;
    const payload = { order_id: pick(orderIds), status: pick(statuses) };
    if (shape < 0.4) {
      body = JSON.stringify(random() < 0.2 ? { ...payload, extra: randomString(20) } : payload);
      validBody = contentType.includes("json") && /^[0-9a-f-]{36}$/.test(payload.order_id) && ["paid", "failed"].includes(payload.status as string);
    } else if (shape < 0.55) {
      body = new URLSearchParams({ order_id: String(payload.order_id), status: String(payload.status) }).toString();
      validBody = contentType === "application/x-www-form-urlencoded" && /^[0-9a-f-]{36}$/.test(payload.order_id) && ["paid", "failed"].includes(payload.status as string);
    } else if (shape < 0.8) {
      body = randomString(200);
    } else if (shape < 0.9) {
      body = JSON.stringify(pick([null, [], 42, "x", { order_id: null }, { status: "paid" }, { order_id: [payload.order_id], status: "paid" }]));
    } else if (shape < 0.95) {
      body = "x".repeat(64 * 1024 + Math.floor(random() * 1000));
    }
    if (method === "GET") body = undefined; // a GET cannot carry a body
    // Header values lose surrounding blanks in the Fetch API itself, so "key " is the key.
    const authorised = key?.trim() === KEY;
    const onEndpoint = method === "POST" && (path === "/api/webhooks/payment/" || path === "/api/webhooks/payment");
    const before = await snapshot();

    const res = await deliver(body, { method, url: `https://shop.test${path}`, contentType, key: key === null ? null : key });

    const description = JSON.stringify({ i, method, path, contentType, key, body: body?.slice(0, 80) });
    expect(res.status, description).toBeLessThan(500);
    expect(res.headers.get("Content-Type"), description).toMatch(/application\/json/);
    await res.arrayBuffer();
    if (!(authorised && onEndpoint && validBody)) expect(await snapshot(), description).toBe(before);
  }
}, 600_000); // 300 requests, each checked against a full snapshot: 5 to 7 s idle, several times that on a busy machine
