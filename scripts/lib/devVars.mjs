// Reads .dev.vars, the local secrets of `wrangler dev`, and says what the local Worker will do
// with them. DEV_VARS_PATH names another file of the same form (the end-to-end tests point
// the CLIs at theirs).
//
// Two halves, each borrowed from the code that really decides: the file is split into
// variables the way wrangler reads it (dotenv's rules: `export`, quotes, `#` comments), and
// the values are judged by the Worker's own src/config.ts (imported through esbuild), so a
// key the Worker refuses as too short is reported here as refused, not as configured.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { importTs } from "./importTs.mjs";
import { ROOT } from "./wrangler.mjs";

export function devVarsPath() {
  return process.env.DEV_VARS_PATH ?? path.join(ROOT, ".dev.vars");
}

/** The file's name as a person should look for it: `.dev.vars` unless DEV_VARS_PATH says otherwise. */
export function devVarsName() {
  return process.env.DEV_VARS_PATH ? process.env.DEV_VARS_PATH : ".dev.vars";
}

/** Whether `url` is the Worker of `npm run dev` on this machine, whose secrets are .dev.vars. */
export function isLocalUrl(url) {
  try {
    return ["127.0.0.1", "localhost", "[::1]"].includes(new URL(url).hostname);
  } catch {
    return false;
  }
}

// dotenv 16's line grammar (wrangler bundles dotenv to read .dev.vars): KEY=value, KEY: value,
// optional `export`, single/double/back quotes (may span lines), `#` comments after a value.
const LINE =
  /(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/gm;

export function parseDevVars(text) {
  const vars = {};
  const lines = text.replace(/\r\n?/gm, "\n");
  for (const match of lines.matchAll(LINE)) {
    let value = (match[2] ?? "").trim();
    const quote = value[0];
    value = value.replace(/^(['"`])([\s\S]*)\1$/gm, "$2");
    if (quote === '"') value = value.replace(/\\n/g, "\n").replace(/\\r/g, "\r");
    vars[match[1]] = value;
  }
  return vars;
}

export function readDevVars() {
  const file = devVarsPath();
  if (!existsSync(file)) return {};
  return parseDevVars(readFileSync(file, "utf8"));
}

/** A key that is obviously local: long enough for the Worker, and no one's real secret. */
export const EXAMPLE_WEBHOOK_SECRET_LINE = "WEBHOOK_SECRET=dev-webhook-key-for-local-use-only-0000";
export const EXAMPLE_STRIPE_SECRET_LINE = "STRIPE_WEBHOOK_SECRET=whsec_local_dev_only_0000000000000000";

/**
 * What the local Worker makes of these variables, judged by src/config.ts:
 *   keys            X-Webhook-Key values it accepts
 *   signingSecrets  how many Standard Webhooks secrets it verifies with (the first, for signing)
 *   stripeSecrets   Stripe endpoint secrets it verifies with; none means /api/webhooks/stripe is 404
 *   problems        entries it refuses, each naming its variable
 *   configError     a setting that makes the payment route answer 500 "Service misconfigured"
 */
export async function judgeDevVars(vars) {
  const config = await importTs("src/config.ts");
  const { parseSigningSecrets } = await importTs("src/providers/generic/standardWebhooks.ts");
  const problems = [];
  let keys = [];
  let configError;
  try {
    const webhook = config.readWebhookConfig({ ...vars });
    keys = webhook.webhookKeys;
    problems.push(...webhook.problems);
  } catch (error) {
    if (error?.name !== "ConfigError") throw error;
    configError = error.message;
  }
  // The signing secrets as bytes-to-sign-with; refusals are already among `problems`.
  const signing = parseSigningSecrets(vars.WEBHOOK_SIGNING_SECRET);
  if (configError) problems.push(...signing.problems.map((p) => `WEBHOOK_SIGNING_SECRET ${p}: it is refused`));
  const stripe = config.readStripeConfig({ ...vars });
  problems.push(...stripe.problems.map((p) => `${p}: it is refused`));
  return { keys, signingSecrets: signing.secrets, stripeSecrets: stripe.secrets, problems, configError };
}

/**
 * What the Worker will answer to a generic payment delivery that carries `key` (or none) and
 * is `signed` (or not), before it looks at the body: { status, why } for a refusal, null when
 * the delivery gets through authentication (the answer then depends on the order).
 */
export function predictGenericAuth(judged, { key, signed }) {
  if (judged.configError) return { status: 500, why: `the Worker's configuration is refused: ${judged.configError}` };
  if (judged.keys.length === 0 && judged.signingSecrets.length === 0) {
    return { status: 500, why: "the Worker has no usable WEBHOOK_SECRET or WEBHOOK_SIGNING_SECRET: it refuses every payment webhook" };
  }
  if (key !== undefined && judged.keys.includes(key)) return null;
  if (signed) return null;
  return {
    status: 403,
    why: key === undefined ? "the delivery carries no X-Webhook-Key and no signature" : "the Worker does not accept this X-Webhook-Key and the delivery is not signed",
  };
}

/**
 * Sentences for a person at the terminal: what .dev.vars holds, as the Worker sees it, and
 * the line to add or fix when something is missing. `file` is how to name the file.
 */
export function describeDevVars(judged, file = ".dev.vars") {
  const lines = [];
  const count = (n, one) => `${n} ${one}${n === 1 ? "" : "s"}`;
  const generic = [];
  if (judged.keys.length > 0) generic.push(`X-Webhook-Key (${count(judged.keys.length, "key")})`);
  if (judged.signingSecrets.length > 0) generic.push(`Standard Webhooks signatures (${count(judged.signingSecrets.length, "secret")})`);
  if (judged.configError) {
    lines.push(`Payment webhook: answers 500 to every delivery: ${judged.configError}. Fix that line in ${file}.`);
  } else if (generic.length === 0) {
    lines.push(
      `Payment webhook: answers 500 to every delivery: ${file} has no usable WEBHOOK_SECRET or WEBHOOK_SIGNING_SECRET.`,
      `  Add this line to ${file} and restart \`npm run dev\`:  ${EXAMPLE_WEBHOOK_SECRET_LINE}`,
    );
  } else {
    lines.push(`Payment webhook: accepts ${generic.join(" and ")} from ${file}.`);
  }
  if (judged.stripeSecrets.length > 0) {
    lines.push(`Stripe webhook: on, verifying with ${count(judged.stripeSecrets.length, "STRIPE_WEBHOOK_SECRET")} from ${file}.`);
  } else {
    lines.push(
      `Stripe webhook: off (404), ${file} has no usable STRIPE_WEBHOOK_SECRET. To turn it on, add:  ${EXAMPLE_STRIPE_SECRET_LINE}`,
    );
  }
  for (const problem of judged.problems) lines.push(`  ${file}: ${problem}.`);
  return lines;
}
