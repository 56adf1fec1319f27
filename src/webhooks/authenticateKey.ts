// Shared-key authentication of a webhook delivery (header X-Webhook-Key).
//
// Both sides are hashed with SHA-256 before the constant-time comparison: the digests
// have a fixed length, so neither the comparison nor `timingSafeEqual` (which throws on
// inputs of different lengths) reveals the length of a configured key. Every configured
// key is compared, with no early exit, so the time does not depend on which key matched.
const encoder = new TextEncoder();

async function sha256(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", encoder.encode(text));
}

export async function isValidWebhookKey(presented: string | undefined, acceptedKeys: readonly string[]): Promise<boolean> {
  if (presented === undefined || presented.length === 0 || acceptedKeys.length === 0) return false;
  const presentedDigest = await sha256(presented);
  let matched = false;
  for (const key of acceptedKeys) {
    const keyDigest = await sha256(key);
    matched = crypto.subtle.timingSafeEqual(presentedDigest, keyDigest) || matched;
  }
  return matched;
}
