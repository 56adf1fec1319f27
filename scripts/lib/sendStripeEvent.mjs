// `npm run webhook -- <order-id> paid|failed --stripe`: sends the local Worker a Stripe event
// shaped like the real one and signed by the official `stripe` package's test signer, the
// package the Worker verifies with. The events mirror test/support/stripeEvents.ts (that
// module runs inside workerd and cannot be imported from Node as it stands).
import { postDelivery } from "./postDelivery.mjs";
import { createHash, randomBytes } from "node:crypto";
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
  if (values["payment-id"] !== undefined) return bad("--payment-id is for the generic endpoint: a Stripe event carries its own payment intent");
  if (values.key !== undefined) return bad("--key cannot be combined with --stripe: Stripe events are signed with STRIPE_WEBHOOK_SECRET");
  if (!orderId) return bad("missing <order-id>");
  if (status === "refund" || status === "dispute") return sendMoneyAfter({ orderId, action: status, values, bad });
  if (status !== undefined && !["paid", "failed"].includes(status)) return bad(`unknown action "${status}": paid, failed, refund or dispute`);
  for (const name of ["dispute-status"]) if (values[name] !== undefined) return bad(`--${name} goes with dispute`);
  const type = values["stripe-type"] ?? DEFAULT_TYPE[status];
  if (!type) return bad("say paid or failed, or give --stripe-type");
  if (!/^[a-z_]+(\.[a-z_]+)+$/.test(type)) return bad(`--stripe-type "${type}" is not a Stripe event type (e.g. checkout.session.completed)`);
  const outcome = status ?? (type.endsWith("failed") ? "failed" : "paid");

  let cents = values["amount-cents"];
  if (cents !== undefined) {
    if (!/^\d{1,15}$/.test(cents)) return bad(`--amount-cents "${cents}" must be a whole number in the currency's minor unit, as Stripe counts it (e.g. 4998 for 49.98 EUR, 5000 for 5,000 JPY)`);
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
  const { formatMoney } = await importTs("src/payments/money.ts");
  return postDelivery(url, { headers, body }, `stripe ${type} ${event.id}, ${signed}, ${formatMoney(cents, currency)} (amount ${cents})`);
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

/**
 * One payment intent per order, as a customer paying once makes: sending `paid` again for the
 * same order is then Stripe's retry of that payment (a duplicate), not a second payment
 * (paid_twice), and `failed`, the delayed-method events and the refunds all name the same one.
 */
function paymentIntentId(orderId) {
  return `pi_test_cli${createHash("sha256").update(String(orderId).toLowerCase()).digest("hex").slice(0, 20)}`;
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
    payment_intent: paymentIntentId(orderId),
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
    id: paymentIntentId(orderId),
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

// ---- After the payment: refunds and disputes of the order's confirming payment ----------------

const DISPUTE_CLOSED = ["won", "lost"];

/**
 * `refund`: a refund of the payment that confirmed the order (the rest of it, or
 * --amount-cents), sent as Stripe does: refund.created for the refund, then charge.refunded
 * with the charge's new cumulative total. `dispute`: charge.dispute.created (evidence due in 7
 * days), or with --dispute-status won|lost the charge.dispute.closed of the order's dispute.
 */
async function sendMoneyAfter({ orderId, action, values, bad }) {
  if (values["stripe-type"] !== undefined) return bad(`--stripe-type cannot be combined with ${action}`);
  if (values.currency !== undefined) return bad(`--currency cannot be combined with ${action}: the payment's own currency is used`);
  if (action === "dispute" && values["amount-cents"] !== undefined) return bad("--amount-cents goes with refund: a dispute is of the whole payment");
  const closing = values["dispute-status"];
  if (closing !== undefined && (action !== "dispute" || !DISPUTE_CLOSED.includes(closing))) return bad("--dispute-status is won or lost, with dispute");
  const found = await confirmingPayment(orderId, values["persist-to"]);
  if (found.notUuid) return bad(found.notUuid);
  if (found.problem) {
    console.error(found.problem);
    return 1;
  }
  const { payment, disputeRef } = found;
  const currency = String(payment.currency ?? "eur").toLowerCase();
  const amount = Number(payment.amount_cents);
  const refunded = Number(payment.refunded_cents);
  const secret = (readDevVars().STRIPE_WEBHOOK_SECRET ?? "").split(",")[0].trim();
  const url = values.url ?? DEFAULT_URL;
  const post = async (event, what) => {
    const body = JSON.stringify(event, null, 2);
    const headers = { "Content-Type": "application/json; charset=utf-8", "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)" };
    if (secret && !values.unsigned) headers["Stripe-Signature"] = await Stripe.webhooks.generateTestHeaderStringAsync({ payload: body, secret });
    else if (!values.unsigned) console.error("No STRIPE_WEBHOOK_SECRET in .dev.vars: the Worker will refuse this.");
    return postDelivery(url, { headers, body }, `stripe ${event.type} ${event.id}, ${what}`);
  };
  const now = Math.floor(Date.now() / 1000);
  const chargeId = stripeId("ch");

  if (action === "refund") {
    let cents = amount - refunded;
    if (values["amount-cents"] !== undefined) {
      if (!/^\d{1,15}$/.test(values["amount-cents"])) return bad(`--amount-cents "${values["amount-cents"]}" must be a whole number in the currency's minor unit`);
      cents = Number(values["amount-cents"]);
    }
    if (cents <= 0 || refunded + cents > amount) {
      console.error(`payment ${payment.provider_ref} paid ${amount} and ${refunded} of it is refunded: a refund of ${cents} does not fit (Stripe would refuse it).`);
      return 1;
    }
    const refund = {
      id: stripeId("re"), object: "refund", amount: cents, balance_transaction: stripeId("txn"), charge: chargeId, created: now,
      currency, metadata: {}, payment_intent: payment.provider_ref, reason: "requested_by_customer", receipt_number: null, status: "succeeded",
    };
    const first = await post(envelope("refund.created", refund, now), `${cents} of ${amount} (minor units) ${currency.toUpperCase()}`);
    const charge = {
      id: chargeId, object: "charge", amount, amount_captured: amount, amount_refunded: refunded + cents, captured: true, created: now - 600,
      currency, disputed: false, livemode: false, metadata: {}, paid: true, payment_intent: payment.provider_ref,
      refunded: refunded + cents >= amount, status: "succeeded",
    };
    const second = await post(envelope("charge.refunded", charge, now), `cumulative ${refunded + cents} of ${amount}`);
    return Math.max(first, second);
  }

  if (closing && !disputeRef) {
    console.error(`order ${orderId} has no dispute to close: send \`npm run webhook -- ${orderId} dispute --stripe\` first.`);
    return 1;
  }
  const dispute = {
    id: closing ? disputeRef : stripeId("du"), object: "dispute", amount, charge: chargeId, created: now, currency,
    evidence_details: { due_by: now + 7 * 86400, has_evidence: false, past_due: false, submission_count: 0 },
    is_charge_refundable: false, livemode: false, metadata: {}, payment_intent: payment.provider_ref, reason: "product_not_received",
    status: closing ?? "needs_response",
  };
  const { formatMoney } = await importTs("src/payments/money.ts");
  return post(envelope(closing ? "charge.dispute.closed" : "charge.dispute.created", dispute, now), `${dispute.status}, ${formatMoney(amount, currency)}`);
}

function envelope(type, object, now) {
  return {
    id: stripeId("evt"), object: "event", api_version: Stripe.API_VERSION, created: now, data: { object }, livemode: false,
    pending_webhooks: 1, request: { id: null, idempotency_key: null }, type,
  };
}

/** The order's confirming Stripe payment (and its latest dispute) from the local D1's ledger. */
async function confirmingPayment(orderId, persistTo) {
  const { normaliseUuid } = await importTs("src/orders/normaliseUuid.ts");
  const id = normaliseUuid(orderId);
  if (!id) return { notUuid: `"${orderId}" is not a UUID: refund and dispute look the order's payment up in the local D1` };
  let rows;
  try {
    // id is canonical hex and dashes after normaliseUuid: safe to put in the SQL.
    rows = queryLocal(
      `SELECT p.provider, p.provider_ref, p.amount_cents, p.currency, p.refunded_cents,
         (SELECT dispute_ref FROM disputes d WHERE d.provider = p.provider AND d.payment_ref = p.provider_ref ORDER BY d.id DESC LIMIT 1) AS dispute_ref
       FROM payments p WHERE p.order_id IN ('${id}', '${id.toUpperCase()}') AND p.confirmed_order = 1`,
      { persistTo },
    );
  } catch (error) {
    const text = /"text":\s*"([^"]*)"/.exec(error.message)?.[1] ?? error.message.split("\n")[0];
    return { problem: `Could not read the payments of order ${id} from the local D1 (${text.trim()}); run \`npm run dev\` once so its migrations are applied.` };
  }
  const payment = rows[0];
  if (!payment) return { problem: `Order ${id} has no confirming payment in the local D1: pay it first (\`npm run webhook -- ${id} paid --stripe\`).` };
  if (payment.provider !== "stripe") return { problem: `Order ${id} was paid through the generic endpoint: Stripe has no refund or dispute of it to send.` };
  return { payment, disputeRef: payment.dispute_ref ?? null };
}
