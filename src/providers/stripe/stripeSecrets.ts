// STRIPE_WEBHOOK_SECRET: the endpoint's signing secret(s), comma-separated so a rolled secret
// and its predecessor both verify during Stripe's overlap. Kept apart from the verifier so
// configuration checks at start-up can use it without loading the stripe package.

const SECRET_PREFIX = "whsec_";
// Stripe's endpoint secrets are "whsec_" + 32 characters; 16 catches a truncated paste.
const MIN_SECRET_CHARACTERS = 16;

/** STRIPE_WEBHOOK_SECRET: comma-separated whsec_... secrets; malformed entries reported and left out. */
export function parseStripeSecrets(value: string | undefined): { secrets: string[]; problems: string[] } {
  const secrets: string[] = [];
  const problems: string[] = [];
  const entries = (value ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  entries.forEach((entry, index) => {
    const where = `STRIPE_WEBHOOK_SECRET entry ${index + 1} of ${entries.length}`;
    if (!entry.startsWith(SECRET_PREFIX)) {
      problems.push(`${where} does not start with "${SECRET_PREFIX}": copy the "Signing secret" from the webhook endpoint's page in the Stripe dashboard, not an API key`);
    } else if (entry.length < SECRET_PREFIX.length + MIN_SECRET_CHARACTERS) {
      problems.push(`${where} is only ${entry.length} characters long: it looks truncated`);
    } else {
      secrets.push(entry);
    }
  });
  return { secrets, problems };
}
