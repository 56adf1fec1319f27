// `npm run webhook -- <order-id> paid|failed --stripe`: sends the local Worker a Stripe event
// shaped like the real one and signed by the official `stripe` package's test signer, the
// package the Worker verifies with. The events mirror test/support/stripeEvents.ts (that
// module runs inside workerd and cannot be imported from Node as it stands).
import { postDelivery } from "./postDelivery.mjs";
import { randomBytes } from "node:crypto";
import Stripe from "stripe";
import { devVarsName, EXAMPLE_STRIPE_SECRET_LINE, isLocalUrl, judgeDevVars, readDevVars } from "./devVars.mjs";
import { importTs } from "./importTs.mjs";
import { queryLocal } from "./wrangler.mjs";

const DEFAULT_URL = "http://127.0.0.1:8787/api/webhooks/stripe";
const DEFAULT_TYPE = { paid: "checkout.session.completed", failed: "payment_intent.payment_failed" };

/** Returns the process exit code: 0 answered 2xx, 1 anything else, 2 bad arguments. */
export async function sendStripeEvent({ orderId, status, values, usage }) {
  const bad = (message) => {
    console.error(`${message}\n${usage}`);
    return 2;
  };
  for (const name of ["form", "multipart"]) if (values[name]) return bad(`--${name} cannot be combined with --stripe: Stripe always sends JSON`);
  if (values.key !== undefined) return bad("--key cannot be combined with --stripe: Stripe events are signed with STRIPE_WEBHOOK_SECRET");
  if (!orderId) return bad("missing <order-id>");
  if (status !== undefined && !["paid", "failed"].includes(status)) return bad(`unknown status "${status}": paid or failed`);
  const type = values["stripe-type"] ?? DEFAULT_TYPE[status];
  if (!type) return bad("say paid or failed, or give --stripe-type");
  if (!/^[a-z_]+(\.[a-z_]+)+$/.test(type)) return bad(`--stripe-type "${type}" is not a Stripe event type (e.g. checkout.session.completed)`);
  const outcome = status ?? (type.endsWith("failed") ? "failed" : "paid");

  let cents = values["amount-cents"];
  if (cents !== undefined) {
    if (!/^\d{1,15}$/.test(cents)) return bad(`--amount-cents "${cents}" must be a whole number of cents (e.g. 4998)`);
    cents = Number(cents);
  }
  let currency = values.currency;
  if (currency !== undefined && !/^[a-z]{3}$/i.test(currency)) return bad(`--currency "${currency}" must be a 3-letter code (e.g. eur)`);

  if (cents === undefined || currency === undefined) {
    const total = await orderTotal(orderId, values["persist-to"]);
    if (total.notUuid) return bad(total.notUuid);
    if (total.problem) {
      console.error(total.problem);
      return 1;
    }
    cents ??= total.cents;
    currency ??= total.currency;
  }
  // Stripe writes currencies in lower case; the Worker upper-cases them.
  currency = currency.toLowerCase();

  const event = stripeEvent(type, orderId, outcome, cents, currency);
  const body = JSON.stringify(event, null, 2);
  const headers = { "Content-Type": "application/json; charset=utf-8", "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)" };
  // The secrets the Worker itself accepts (src/config.ts), not merely the first entry.
  const judged = await judgeDevVars(readDevVars());
  const secret = judged.stripeSecrets[0];
  const url = values.url ?? DEFAULT_URL;
  const file = devVarsName();
  if (!secret && isLocalUrl(url)) {
    // Without a usable secret the local Worker has no Stripe route at all.
    console.error(`Expect 404: ${file} has no usable STRIPE_WEBHOOK_SECRET, so the local Worker has no Stripe route.`);
    for (const problem of judged.problems.filter((p) => p.startsWith("STRIPE_WEBHOOK_SECRET"))) console.error(`  ${file}: ${problem}.`);
    console.error(
      `  Add this line to ${file} and restart \`npm run dev\`:  ${EXAMPLE_STRIPE_SECRET_LINE}\n` +
        "  (any whsec_ value of 16+ characters works locally; `stripe listen` prints a real one)",
    );
  }
  if (values.unsigned) {
    // Sent as asked: shows how the Worker refuses an unsigned delivery.
  } else if (secret) {
    headers["Stripe-Signature"] = await Stripe.webhooks.generateTestHeaderStringAsync({ payload: body, secret });
  } else if (!isLocalUrl(url)) {
    console.error(`No usable STRIPE_WEBHOOK_SECRET in ${file}: sending without Stripe-Signature; the Worker will refuse it.`);
  }

  const signed = headers["Stripe-Signature"] ? "signed" : "unsigned";
  return postDelivery(url, { headers, body }, `stripe ${type} ${event.id}, ${signed}, ${cents} cents ${currency.toUpperCase()}`);
}

/** The order's total and currency from the local D1, or what went wrong and what to do instead. */
async function orderTotal(orderId, persistTo) {
  const { normaliseUuid } = await importTs("src/orders/normaliseUuid.ts");
  const id = normaliseUuid(orderId);
  const instead = "pass --amount-cents N --currency CUR to send it anyway";
  if (!id) return { notUuid: `"${orderId}" is not a UUID, so its total cannot be read from the local D1: ${instead}` };
  let rows;
  try {
    // id is canonical hex and dashes after normaliseUuid: safe to put in the SQL.
    rows = queryLocal(
      `SELECT o.currency AS currency,
              COALESCE((SELECT SUM(i.quantity * i.unit_price_cents) FROM order_items i WHERE i.order_id = o.id), 0) AS cents
       FROM orders o WHERE o.id = '${id}'`,
      { persistTo },
    );
  } catch (error) {
    // wrangler --json reports SQL errors as {"error": {"text": "..."}} in the output.
    const text = /"text":\s*"([^"]*)"/.exec(error.message)?.[1] ?? error.message.split("\n")[0];
    return { problem: `Could not read order ${id} from the local D1 (${text.trim()}).\nRun \`npm run seed\` to create it, or ${instead}.` };
  }
  if (rows.length === 0) return { problem: `Order ${id} is not in the local D1 (\`npm run orders\` lists them): ${instead}.` };
  return { cents: Number(rows[0].cents), currency: String(rows[0].currency) };
}

function stripeId(prefix) {
  return `${prefix}_test_cli${randomBytes(10).toString("hex")}`;
}

function stripeEvent(type, orderId, outcome, cents, currency) {
  const now = Math.floor(Date.now() / 1000);
  const object = type.startsWith("checkout.session.")
    ? checkoutSession(orderId, outcome, cents, currency, now)
    : // Every other type carries a payment intent: right for payment_intent.*, and enough to
      // see the Worker ignore a type it does not handle.
      paymentIntent(orderId, outcome, cents, currency, now);
  return {
    id: stripeId("evt"),
    object: "event",
    api_version: Stripe.API_VERSION,
    created: now,
    data: { object },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
  };
}

function checkoutSession(orderId, outcome, cents, currency, now) {
  return {
    id: stripeId("cs"),
    object: "checkout.session",
    amount_subtotal: cents,
    amount_total: cents,
    cancel_url: "http://127.0.0.1:8787/cart",
    client_reference_id: orderId,
    created: now - 60,
    currency,
    customer: null,
    customer_details: { email: "customer@example.test", name: "Local Test" },
    expires_at: now + 23 * 3600,
    livemode: false,
    metadata: {},
    mode: "payment",
    payment_intent: stripeId("pi"),
    payment_method_types: ["card"],
    // "unpaid" is what a delayed method (SEPA) reports on completion, and what an
    // async_payment_failed session carries.
    payment_status: outcome === "paid" ? "paid" : "unpaid",
    status: "complete",
    success_url: "http://127.0.0.1:8787/thanks",
    url: null,
  };
}

function paymentIntent(orderId, outcome, cents, currency, now) {
  const paid = outcome === "paid";
  return {
    id: stripeId("pi"),
    object: "payment_intent",
    amount: cents,
    amount_capturable: 0,
    amount_received: paid ? cents : 0,
    capture_method: "automatic_async",
    created: now - 30,
    currency,
    customer: null,
    last_payment_error: paid
      ? null
      : { code: "card_declined", decline_code: "generic_decline", message: "Your card was declined.", type: "card_error" },
    latest_charge: paid ? stripeId("ch") : null,
    livemode: false,
    metadata: { order_id: orderId },
    payment_method: stripeId("pm"),
    payment_method_types: ["card"],
    status: paid ? "succeeded" : "requires_payment_method",
  };
}
