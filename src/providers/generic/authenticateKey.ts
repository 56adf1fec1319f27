// Shared-key authentication of a webhook delivery (header X-Webhook-Key).
//
// Both sides are hashed with SHA-256 before the constant-time comparison: the digests
// have a fixed length, so neither the comparison nor `timingSafeEqual` (which throws on
// inputs of different lengths) reveals the length of a configured key. Every configured
// key is compared, with no early exit, so the time does not depend on which key matched.
//
// The configured keys' digests are computed once per list of keys (src/config.ts parses
// the list once per isolate), so a delivery costs one digest, that of the presented key.
const encoder = new TextEncoder();

async function sha256(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", encoder.encode(text));
}

const digestsOf = new WeakMap<readonly string[], Promise<ArrayBuffer[]>>();

function acceptedDigests(acceptedKeys: readonly string[]): Promise<ArrayBuffer[]> {
  let digests = digestsOf.get(acceptedKeys);
  if (!digests) {
    digests = Promise.all(acceptedKeys.map(sha256));
    // A failed digest must not stay cached: the next delivery computes them again.
    digests.catch(() => digestsOf.delete(acceptedKeys));
    digestsOf.set(acceptedKeys, digests);
  }
  return digests;
}

export async function isValidWebhookKey(presented: string | undefined, acceptedKeys: readonly string[]): Promise<boolean> {
  if (presented === undefined || presented.length === 0 || acceptedKeys.length === 0) return false;
  const [presentedDigest, keyDigests] = await Promise.all([sha256(presented), acceptedDigests(acceptedKeys)]);
  let matched = false;
  for (const keyDigest of keyDigests) {
    matched = crypto.subtle.timingSafeEqual(presentedDigest, keyDigest) || matched;
  }
  return matched;
}
