// npm run webhook -- <order-id> paid|failed [--url URL] [--form | --multipart] [--key KEY] [--unsigned] [--payment-id ID]
// npm run webhook -- <order-id> paid|failed --stripe [--amount-cents N] [--currency CUR] [--stripe-type TYPE] [--url URL] [--unsigned]
// npm run webhook -- <order-id> refund --stripe [--amount-cents N]
// npm run webhook -- <order-id> dispute --stripe [--dispute-status won|lost]
//
// Sends a correctly authenticated payment webhook and prints the answer. The key comes from
// .dev.vars (WEBHOOK_SECRET, first entry) unless --key is given; when .dev.vars has a
// WEBHOOK_SIGNING_SECRET, the delivery is also signed the Standard Webhooks way, with the
// Worker's own signing code (--unsigned sends the key only).
//
// --stripe sends a Stripe event instead, to /api/webhooks/stripe, signed by the official
// `stripe` package's test signer with .dev.vars STRIPE_WEBHOOK_SECRET (first entry): the same
// package the Worker verifies with. See scripts/lib/sendStripeEvent.mjs.
import "./lib/requireProjectNode.mjs"; // first: stops on the wrong Node before anything else runs
import { postDelivery } from "./lib/postDelivery.mjs";
import { parseArgs } from "node:util";
import { describeDevVars, devVarsName, isLocalUrl, judgeDevVars, predictGenericAuth, readDevVars } from "./lib/devVars.mjs";
import { importTs } from "./lib/importTs.mjs";

const usage = `usage: npm run webhook -- ORDER_ID STATUS [--url URL] [--form | --multipart] [--key KEY] [--unsigned] [--payment-id ID]
       npm run webhook -- ORDER_ID STATUS --stripe [--amount-cents N] [--currency CUR] [--stripe-type TYPE] [--url URL] [--unsigned] [--persist-to DIR]
       npm run webhook -- ORDER_ID refund --stripe [--amount-cents N] [--persist-to DIR]
       npm run webhook -- ORDER_ID dispute --stripe [--dispute-status won|lost] [--persist-to DIR]

  ORDER_ID              the order's id (a UUID); STATUS: paid or failed. Example:
                          npm run webhook -- d0d0d0d0-0000-4000-8000-000000000001 paid

  --payment-id ID       the provider's id of the payment (payment_id): a second, different one for a paid
                        order is answered paid_twice; without it a second "paid" is a duplicate
  --stripe              send a signed Stripe event to http://127.0.0.1:8787/api/webhooks/stripe:
                          paid   -> checkout.session.completed (payment_status "paid", client_reference_id = order id)
                          failed -> payment_intent.payment_failed (metadata.order_id = order id)
                        signed with the first STRIPE_WEBHOOK_SECRET in .dev.vars (--unsigned: no Stripe-Signature)
  --amount-cents N      the amount Stripe reports, in the currency's minor unit as Stripe counts it
                        (4998 is 49.98 EUR, 5000 is 5,000 JPY); --currency CUR its currency (e.g. eur).
                        Default: the order's total and currency, read from the local D1 of \`npm run dev\`
  --persist-to DIR      the local state directory of \`npm run dev -- --persist-to DIR\`, to read the order's total
                        and payments from (default .wrangler/state)
  --stripe-type TYPE    send any event type instead (e.g. checkout.session.async_payment_succeeded, charge.refunded);
                        paid|failed then sets payment_status / the intent's status and may be left out
  refund                refund the payment that confirmed the order (read from the local D1's ledger): the rest
                        of it, or --amount-cents N (in the currency's minor unit); sends refund.created, then
                        charge.refunded with the new cumulative total, as Stripe does
  dispute               charge.dispute.created for that payment (evidence due in 7 days);
                        --dispute-status won|lost closes it (charge.dispute.closed)`;
let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      url: { type: "string" },
      form: { type: "boolean", default: false },
      multipart: { type: "boolean", default: false },
      key: { type: "string" },
      unsigned: { type: "boolean", default: false },
      stripe: { type: "boolean", default: false },
      "amount-cents": { type: "string" },
      currency: { type: "string" },
      "stripe-type": { type: "string" },
      "dispute-status": { type: "string" },
      "payment-id": { type: "string" },
      "persist-to": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
} catch (error) {
  console.error(`${error.message}\n${usage}`);
  process.exit(2);
}
const { values, positionals } = parsed;
const [orderId, status] = positionals;
if (values.help) {
  console.error(usage);
  process.exit(0);
}
if (values.stripe) {
  const { sendStripeEvent } = await import("./lib/sendStripeEvent.mjs");
  process.exit(await sendStripeEvent({ orderId, status, values, usage }));
}
const stripeOnly = ["amount-cents", "currency", "stripe-type", "dispute-status", "persist-to"].filter((name) => values[name] !== undefined);
if (stripeOnly.length > 0) {
  console.error(`--${stripeOnly[0]} needs --stripe\n${usage}`);
  process.exit(2);
}
if (status === "refund" || status === "dispute") {
  console.error(`${status} needs --stripe: the generic endpoint has no refunds or disputes\n${usage}`);
  process.exit(2);
}
if (!orderId || !["paid", "failed"].includes(status)) {
  console.error(usage);
  process.exit(2);
}
values.url ??= "http://127.0.0.1:8787/api/webhooks/payment/";

const vars = readDevVars();
// Judged by the Worker's own config code: a key it refuses is not one to send.
const judged = await judgeDevVars(vars);
const key = values.key ?? judged.keys[0] ?? firstEntry(vars.WEBHOOK_SECRET);
const headers = {};
if (key) headers["X-Webhook-Key"] = key;

const fields = { order_id: orderId, status, ...(values["payment-id"] !== undefined ? { payment_id: values["payment-id"] } : {}) };
let body;
if (values.multipart) {
  body = new FormData();
  for (const [name, value] of Object.entries(fields)) body.set(name, value);
} else if (values.form) {
  body = new URLSearchParams(fields);
} else {
  body = JSON.stringify(fields);
  headers["Content-Type"] = "application/json";
}

// Signing needs the exact bytes that go on the wire: serialise the body first.
const request = new Request(values.url, { method: "POST", headers, body });
const bytes = await request.arrayBuffer();
const finalHeaders = new Headers(request.headers);
if (judged.signingSecrets[0] && !values.unsigned) {
  const { signDelivery } = await importTs("src/providers/generic/standardWebhooks.ts");
  const signed = await signDelivery(judged.signingSecrets[0], `msg_${crypto.randomUUID()}`, Math.floor(Date.now() / 1000), bytes);
  for (const [name, value] of Object.entries(signed)) finalHeaders.set(name, value);
}

// The local Worker reads the same file: say beforehand what it will refuse, and the line that
// fixes it. A deployed Worker (--url elsewhere) has its own secrets, which this cannot see.
if (isLocalUrl(values.url)) {
  const refusal = predictGenericAuth(judged, { key: key || undefined, signed: finalHeaders.has("webhook-signature") });
  if (refusal) {
    const file = devVarsName();
    console.error(`Expect ${refusal.status}: ${refusal.why}.`);
    for (const line of describeDevVars(judged, file).filter((l) => !l.startsWith("Stripe webhook"))) console.error(line);
    if (refusal.status === 403 && judged.keys.length > 0 && values.key !== undefined) console.error("Leave out --key to send the first key of " + file + ".");
  }
} else if (!key && !finalHeaders.has("webhook-signature")) {
  console.error("No key to send (--key KEY): the Worker will answer 403.");
}

const auth = [key ? "key" : null, finalHeaders.has("webhook-signature") ? "signature" : null].filter(Boolean).join(" + ");
const encoding = values.multipart ? "multipart" : values.form ? "form" : "json";
process.exit(await postDelivery(values.url, { headers: finalHeaders, body: bytes }, `${auth || "no auth"}, ${encoding}`));

function firstEntry(list) {
  return (list ?? "").split(",")[0].trim() || undefined;
}
