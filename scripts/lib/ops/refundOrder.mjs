// `npm run ops -- refund ORDER --note "why" [--amount 12.50] [--payment pi_...]`: refunds an
// order's Stripe payment through Stripe's API (`stripe.refunds.create`), from the operator's
// machine. It writes nothing to the database: Stripe then sends the refund's own webhook
// (refund.created / charge.refunded), and the Worker records it in the ledger, allocates the
// credit note and, for a full refund of the payment that confirmed the order, cancels the
// order and restocks it (src/orders/refundPayment.ts). One writer for the ledger: the
// webhook, whether the refund was made here or in the dashboard.
//
// Which payment: the order's payments in the ledger with provider 'stripe'. --payment names
// one; without it, the only one with something left to refund, or, when the order was paid
// twice, the one that did NOT confirm the order (what the paid_twice item asks to refund);
// several such payments are listed and the operator chooses.
// A payment known only by its Checkout Session (cs_..., no payment intent reported) is
// refused: the refund's events would name a payment intent the ledger does not know, so its
// credit note would never follow; the dashboard finds it by the session.
//
// How much: --amount in the payment's currency, parsed by src/payments/money.ts (JPY has no
// decimals, KWD three); default everything that is left. What is left = the amount paid less
// the larger of refunded_cents (the ledger's total) and the refunds the ledger knows by id that
// succeeded or are still pending (a pending refund holds its money at Stripe; whether a
// charge's total counts it or not, it is never counted twice). Stripe checks again on its side:
// a refund made in the dashboard whose webhook has not arrived yet is refused there.
//
// Idempotency: the key is derived from the payment, the amount and the note, so "the same
// command" (same payment, same amount, same note) refunds once however often it runs, also when
// the network failed after Stripe acted or the client retried. A second refund of the same
// amount is a different command: a different note. Stripe keeps a key for at least 24 hours;
// after that a repeat is a new refund, unless the ledger (once the first refund's webhook has
// arrived) or Stripe finds nothing left to refund.
import { createHash } from "node:crypto";
import { describeTarget, executeSql } from "../d1.mjs";
import { importTs } from "../importTs.mjs";
import { sqlInteger, sqlString } from "../sqlLiteral.mjs";
import { colour } from "../terminalTable.mjs";
import { terminalText as shown } from "../terminalText.mjs";
import { utcTime } from "../timeWords.mjs";
import { StripeSettingsError, createStripeClient, explainStripeError, readStripeSettings } from "./stripeClient.mjs";

const PAYMENT_INTENT = /^pi_[A-Za-z0-9_]{1,250}$/;

/** Stripe's idempotency keys live at least this long; documented in the help and the README. */
export const IDEMPOTENCY_KEY_HOURS = 24;

/** The key of "this command": payment, amount and note, never anything that changes as the ledger catches up. */
export function refundIdempotencyKey({ paymentIntent, amountCents, note }) {
  const noteHash = createHash("sha256").update(note, "utf8").digest("hex").slice(0, 24);
  return `ops-refund:${paymentIntent}:${amountCents}:${noteHash}`;
}

/** What is still refundable of a payment, from the ledger (see the header). null when its amount is unknown. */
export function refundableCents(payment) {
  if (payment.amount_cents === null || payment.amount_cents === undefined) return null;
  const held = Math.max(payment.refunded_cents ?? 0, (payment.succeeded_refund_cents ?? 0) + (payment.pending_refund_cents ?? 0));
  return Math.max(0, payment.amount_cents - held);
}

/** ref: { orderNumber } or { uuid }; amount: the typed text or undefined; payment: pi_... or undefined; note. */
export async function refundOrder({ orderNumber, uuid, amount, payment: paymentRef, note: typed }, ctx) {
  const { target, worker } = ctx;
  // Trimmed once: the key and the metadata Stripe receives must agree (Stripe refuses a key
  // reused with other parameters), and "why " is the same command as "why".
  const note = typed.trim();
  const remote = target.remote ? " --remote" : target.persistTo ? ` --persist-to ${target.persistTo}` : "";
  const name = uuid ?? String(orderNumber);

  // The key first: without one nothing else is worth reading.
  let settings;
  try {
    settings = await readStripeSettings(target);
  } catch (error) {
    if (error instanceof StripeSettingsError) return ctx.fail(error.message);
    throw error;
  }

  const ids = uuid ? `${sqlString(uuid)}, ${sqlString(uuid.toUpperCase())}` : null;
  const orderIds = ids ?? `SELECT id FROM orders WHERE order_number = ${sqlInteger(orderNumber)}`;
  const orderWhere = ids ? `o.id IN (${ids})` : `o.order_number = ${sqlInteger(orderNumber)}`;
  const refundsOf = (statuses) =>
    `(SELECT COALESCE(SUM(r.amount_cents), 0) FROM refunds r WHERE r.provider = p.provider AND r.payment_ref = p.provider_ref AND r.status IN (${statuses}))`;
  const [[order], payments, [invoice]] = executeSql(
    `SELECT o.id, o.order_number, o.status, o.currency, o.customer_email FROM orders o WHERE ${orderWhere};
     SELECT p.id, p.provider, p.provider_ref, p.ref_from_provider, p.status, p.amount_cents, p.currency, p.refunded_cents,
       p.confirmed_order, p.created_at,
       ${refundsOf("'succeeded'")} AS succeeded_refund_cents,
       ${refundsOf("'pending', 'requires_action'")} AS pending_refund_cents
     FROM payments p WHERE p.order_id IN (${orderIds}) ORDER BY p.created_at, p.id;
     SELECT number FROM invoices WHERE order_id IN (${orderIds})`,
    target,
  );
  if (!order) {
    return ctx.fail(`there is no order ${name} in the ${describeTarget(target)}; nothing was refunded`);
  }
  const orderName = `order ${order.order_number ?? order.id}`;
  const story = `npm run ops -- order ${order.order_number ?? order.id}${remote}`;
  const money = (cents, currency) => worker.formatMoney(cents, currency);

  const chosen = choosePayment(payments, paymentRef, { orderName, story, money });
  if (chosen.refusal) return ctx.fail(chosen.refusal);
  const payment = chosen.payment;
  const ref = payment.provider_ref;
  const currency = payment.currency ?? order.currency;
  const left = refundableCents(payment);

  const { parseMoney } = await importTs("src/payments/money.ts");
  let amountCents;
  if (amount !== undefined) {
    const parsed = parseMoney(amount, currency);
    if (!parsed.ok) return ctx.fail(`--amount: ${parsed.error}; nothing was refunded`);
    amountCents = parsed.minor;
    if (left !== null && amountCents > left) {
      return ctx.fail(
        `${money(amountCents, currency)} is more than what is left to refund of Stripe payment ${shown(ref)}: ${money(left, currency)} ` +
          `(${breakdown(payment, currency, money)}). Nothing was refunded; \`${story}\` shows its refunds.`,
      );
    }
  } else {
    if (left === null) {
      return ctx.fail(`the ledger does not know how much Stripe payment ${shown(ref)} was: say how much with --amount (Stripe refuses more than was paid). Nothing was refunded.`);
    }
    amountCents = left;
  }
  if (left === 0) {
    return ctx.fail(`Stripe payment ${shown(ref)} of ${orderName} has nothing left to refund (${breakdown(payment, currency, money)}). Nothing was refunded; \`${story}\` shows its refunds.`);
  }

  const idempotencyKey = refundIdempotencyKey({ paymentIntent: ref, amountCents, note });
  const repeat = `npm run ops -- refund ${order.order_number ?? order.id} --payment ${ref} --amount ${amountText(amountCents, currency, worker)} --note ${shellQuote(note)}${remote}`;
  const stripe = await createStripeClient(settings);
  let refund;
  try {
    refund = await stripe.refunds.create(
      { payment_intent: ref, amount: amountCents, metadata: { order_id: order.id, note } },
      { idempotencyKey },
    );
  } catch (error) {
    if (!error?.type?.startsWith?.("Stripe")) throw error;
    return ctx.fail(explainStripeError(error, settings, { repeat }).message);
  }

  const replayed = String(refund.lastResponse?.headers?.["idempotent-replayed"] ?? "") === "true";
  const refundedCurrency = typeof refund.currency === "string" ? refund.currency.toUpperCase() : currency;
  const full = left !== null && amountCents === left;
  const next = whatHappensNext({ payment, order, invoice, full, orderName });
  if (ctx.json) {
    ctx.printJson({
      refund: {
        id: refund.id,
        status: refund.status,
        amount_cents: refund.amount,
        currency: refundedCurrency,
        payment_intent: typeof refund.payment_intent === "string" ? refund.payment_intent : (refund.payment_intent?.id ?? ref),
      },
      replayed,
      order: { id: order.id, order_number: order.order_number, status: order.status },
      payment: {
        provider_ref: ref,
        amount_cents: payment.amount_cents,
        currency,
        refunded_cents: payment.refunded_cents,
        pending_refund_cents: payment.pending_refund_cents,
        confirmed_order: payment.confirmed_order === 1,
      },
      refundable_before_cents: left,
      idempotency_key: idempotencyKey,
      next,
      follow: story,
    });
    return 0;
  }
  const what = `refund ${shown(refund.id)} of ${money(refund.amount, refundedCurrency)}`;
  if (replayed) {
    ctx.print(
      `${colour.yellow("Already done:")} Stripe had this command already (same payment, amount and note, within ${IDEMPOTENCY_KEY_HOURS} hours) ` +
        `and answered with its ${what}, status ${shown(refund.status)}. No new refund was made.`,
    );
    ctx.print(colour.dim(`    A second refund of the same amount is another command: give it a different --note.`));
  } else {
    ctx.print(`${colour.green("Refunded:")} Stripe made ${what} for ${orderName} (Stripe payment ${shown(ref)}), status ${shown(refund.status)}.`);
  }
  if (chosen.why) ctx.print(colour.dim(`    ${chosen.why}`));
  ctx.print(`    Next: ${next}`);
  ctx.print(`    Follow it: ${story}`);
  return 0;
}

/**
 * { payment, why? } or { refusal }: the payment to refund, and, when there was a choice, why
 * this one. Only Stripe payments that succeeded can be refunded here.
 */
function choosePayment(payments, paymentRef, { orderName, story, money }) {
  const stripe = payments.filter((p) => p.provider === "stripe");
  const list = (rows) => rows.map((p) => describePayment(p, money)).join("; ");
  if (paymentRef !== undefined) {
    const payment = stripe.find((p) => p.provider_ref === paymentRef);
    if (!payment) {
      return {
        refusal: `${orderName} has no Stripe payment ${shown(paymentRef)} in the ledger` +
          (stripe.length > 0 ? `; its Stripe payments: ${list(stripe)}` : "") + `. Nothing was refunded.`,
      };
    }
    return refusalFor(payment, orderName) ?? { payment };
  }
  if (stripe.length === 0) {
    const others = payments.length > 0
      ? `; it was paid through the generic webhook (${list(payments)}), which this command cannot refund: refund it in your payment provider`
      : " (a payment is recorded when Stripe reports it)";
    return { refusal: `${orderName} has no Stripe payment in the ledger${others}. Nothing was refunded; \`${story}\` shows its story.` };
  }
  const open = stripe.filter((p) => p.status === "succeeded" && refundableCents(p) !== 0);
  if (open.length === 0) {
    return { refusal: `${orderName} has no Stripe payment with anything left to refund: ${list(stripe)}. Nothing was refunded.` };
  }
  if (open.length === 1) return refusalFor(open[0], orderName) ?? { payment: open[0] };
  // Paid twice: the extra payment is what the paid_twice item asks to refund; the confirming
  // one is refunded only when named (refunding it in full cancels the order).
  const extra = open.filter((p) => p.confirmed_order !== 1);
  const confirming = open.find((p) => p.confirmed_order === 1);
  if (extra.length === 1 && confirming) {
    return refusalFor(extra[0], orderName) ?? {
      payment: extra[0],
      why: `${orderName} has two Stripe payments: this is the one that did not confirm it; --payment ${confirming.provider_ref} refunds the one that did.`,
    };
  }
  return {
    refusal: `${orderName} has ${open.length} Stripe payments with something left to refund: ${list(open)}. ` +
      `Say which with --payment (like --payment ${open[0].provider_ref}). Nothing was refunded.`,
  };
}

function refusalFor(payment, orderName) {
  const ref = shown(payment.provider_ref);
  if (payment.status !== "succeeded") {
    return { refusal: `Stripe payment ${ref} of ${orderName} is ${shown(payment.status)}, not paid: there is nothing to refund. Nothing was refunded.` };
  }
  if (payment.provider_ref.startsWith("cs_")) {
    return {
      refusal:
        `Stripe reported only the Checkout Session ${ref} for this payment of ${orderName}, not its payment intent, so its refund's events ` +
        `could not be matched to it (no credit note would follow): refund it in the Stripe dashboard (search for ${ref}). Nothing was refunded.`,
    };
  }
  return null;
}

function describePayment(p, money) {
  const amount = p.amount_cents === null ? "amount unknown" : money(p.amount_cents, p.currency);
  const left = refundableCents(p);
  const rest = p.status !== "succeeded" ? p.status : left === 0 ? "refunded in full" : left === null ? "paid" : `${money(left, p.currency)} left to refund`;
  return `${shown(p.provider_ref)} (${amount}, ${rest}${p.confirmed_order === 1 ? ", confirmed the order" : ""}, ${utcTime(p.created_at)})`;
}

/** "paid 56.30 EUR, refunded 40.00 EUR, 6.30 EUR pending" */
function breakdown(payment, currency, money) {
  const parts = [`paid ${money(payment.amount_cents, currency)}`];
  const refunded = Math.max(payment.refunded_cents ?? 0, payment.succeeded_refund_cents ?? 0);
  parts.push(`refunded ${money(refunded, currency)}`);
  if (payment.pending_refund_cents > 0) parts.push(`${money(payment.pending_refund_cents, currency)} in refunds still pending`);
  return parts.join(", ");
}

function whatHappensNext({ payment, order, invoice, full, orderName }) {
  const steps = ["Stripe sends the refund's webhook and the Worker records it in the ledger (this command wrote nothing to the database)."];
  if (payment.confirmed_order === 1 && invoice) steps.push(`It then emails ${order.customer_email ?? "the customer"} a credit note correcting invoice ${invoice.number}.`);
  else if (payment.confirmed_order === 1) steps.push("No credit note: the order has no invoice.");
  else steps.push("No credit note: this payment never confirmed the order, so it was never invoiced.");
  if (full && payment.confirmed_order === 1 && order.status === "CONFIRMED") steps.push(`The whole payment is refunded, so it also cancels ${orderName} and puts its goods back in stock.`);
  if (full) steps.push("An attention item asking for this refund settles itself.");
  return steps.join(" ");
}

/** The amount as the operator would type it again: 1250 EUR -> 12.50, 5000 JPY -> 5000. */
function amountText(cents, currency, worker) {
  return worker.formatMoney(cents, currency).replace(/ [A-Z]{3}$/, "").replace(/,/g, "");
}

/** A note as a shell argument, for the command to repeat: single quotes, inner ones escaped. */
function shellQuote(text) {
  return `'${String(text).replace(/'/g, `'\\''`)}'`;
}
