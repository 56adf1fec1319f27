// Standard Webhooks signatures (https://www.standardwebhooks.com): the one place that
// decides whether a signed delivery is authentic, and the signer that the CLI and the tests
// use, so they sign exactly the way this verifies.
//
//   webhook-id:        the delivery's id (recorded; a replay is recognised as a duplicate)
//   webhook-timestamp: unix seconds; accepted within TOLERANCE_SECONDS either way
//   webhook-signature: "v1,<base64 HMAC-SHA256(secret, `${id}.${timestamp}.${body}`)>",
//                      several space-separated for rotation; any match is enough
// The HMAC is computed over the raw bytes of the body, and compared in constant time.

export const TOLERANCE_SECONDS = 5 * 60;
const encoder = new TextEncoder();

export type SignatureVerdict = { ok: true; webhookId: string } | { ok: false; reason: string };

/** The Standard Webhooks range is 24 to 64 bytes; a shorter secret can be brute-forced. */
export const MIN_SECRET_BYTES = 24;

/**
 * Secrets as Standard Webhooks shows them ("whsec_" + base64), comma-separated for rotation.
 * An entry that does not decode, or decodes to fewer than MIN_SECRET_BYTES, is refused and
 * described in `problems` (never echoed: it is a secret); the good entries still work.
 */
export function parseSigningSecrets(value: string | undefined): { secrets: Uint8Array[]; problems: string[] } {
  const secrets: Uint8Array[] = [];
  const problems: string[] = [];
  (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .forEach((entry, index) => {
      const bytes = entry.startsWith("whsec_") ? safeBase64ToBytes(entry.slice("whsec_".length)) : encoder.encode(entry);
      if (!bytes) problems.push(`entry ${index + 1} is not whsec_<base64>`);
      else if (bytes.byteLength < MIN_SECRET_BYTES)
        problems.push(`entry ${index + 1} decodes to ${bytes.byteLength} bytes; at least ${MIN_SECRET_BYTES} are required`);
      else secrets.push(bytes);
    });
  return { secrets, problems };
}

export interface SignatureHeaders {
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
}

/**
 * The three headers under the Standard Webhooks names, or under Svix's own names
 * (svix-id, svix-timestamp, svix-signature: what Svix sends unless a customer pays for
 * white-labelled headers). One set is read whole, never a mix of the two.
 */
export function readSignatureHeaders(header: (name: string) => string | undefined): SignatureHeaders {
  const prefix = header("webhook-signature") !== undefined || header("svix-signature") === undefined ? "webhook" : "svix";
  return { id: header(`${prefix}-id`), timestamp: header(`${prefix}-timestamp`), signature: header(`${prefix}-signature`) };
}

export async function verifySignature(
  secrets: readonly Uint8Array[],
  headers: SignatureHeaders,
  body: ArrayBuffer,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<SignatureVerdict> {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature) {
    return { ok: false, reason: "Missing webhook-id, webhook-timestamp or webhook-signature header (or svix-id, svix-timestamp, svix-signature)" };
  }
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: "webhook-timestamp must be unix seconds" };
  if (Math.abs(nowSeconds - Number(timestamp)) > TOLERANCE_SECONDS) {
    return {
      ok: false,
      reason: `webhook-timestamp is more than ${TOLERANCE_SECONDS} seconds away from our clock: a replay, or a sender clock that is off`,
    };
  }
  const presented = signature
    .split(" ")
    .filter((s) => s.startsWith("v1,"))
    .map((s) => s.slice(3));
  if (presented.length === 0) return { ok: false, reason: "webhook-signature has no v1 signature" };

  let matched = false;
  for (const secret of secrets) {
    const expected = await hmac(secret, signedContent(id, timestamp, body));
    for (const candidate of presented) {
      const bytes = safeBase64ToBytes(candidate);
      // Same length for timingSafeEqual; a wrong length cannot match anyway.
      if (bytes && bytes.byteLength === expected.byteLength) {
        matched = crypto.subtle.timingSafeEqual(bytes, expected) || matched;
      }
    }
  }
  return matched
    ? { ok: true, webhookId: id }
    : {
        ok: false,
        reason:
          "No signature matches the expected signature for this payload. Are you signing the raw request body with the current secret?",
      };
}

/** Signs a delivery the way verifySignature checks it (for the CLI, tests and benchmarks). */
export async function signDelivery(secret: Uint8Array, id: string, timestampSeconds: number, body: ArrayBuffer | string) {
  const bytes = typeof body === "string" ? encoder.encode(body).buffer : body;
  const mac = await hmac(secret, signedContent(id, String(timestampSeconds), bytes as ArrayBuffer));
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestampSeconds),
    "webhook-signature": `v1,${bytesToBase64(new Uint8Array(mac))}`,
  };
}

function signedContent(id: string, timestamp: string, body: ArrayBuffer): Uint8Array {
  const prefix = encoder.encode(`${id}.${timestamp}.`);
  const content = new Uint8Array(prefix.byteLength + body.byteLength);
  content.set(prefix, 0);
  content.set(new Uint8Array(body), prefix.byteLength);
  return content;
}

async function hmac(secret: Uint8Array, content: Uint8Array): Promise<ArrayBuffer> {
  const key = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return crypto.subtle.sign("HMAC", key, content);
}

function base64ToBytes(value: string): Uint8Array {
  return Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
}

function safeBase64ToBytes(value: string): Uint8Array | undefined {
  try {
    return base64ToBytes(value);
  } catch {
    return undefined;
  }
}

function bytesToBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}
