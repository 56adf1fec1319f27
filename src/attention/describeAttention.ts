// What an attention item means for the operator: what happened and what to do, in words.
// The operator's CLI (scripts/ops.mjs) and the alert email both print these, from the same
// row (attentionQuery.ts), so the list and the email never disagree.
import { formatMoney as formatMinorUnits } from "../payments/money";
import type { AttentionKind } from "./attentionItems";

export interface AttentionRow {
  id: number;
  kind: AttentionKind;
  order_id: string | null;
  invoice_id: number | null;
  detail: string | null;
  created_at: number;
  resolved_at: number | null;
  resolved_by: string | null;
  resolution_note: string | null;
  order_number: number | null;
  order_status: string | null;
  customer_email: string | null;
  customer_name: string | null;
  currency: string | null;
  order_total_cents: number | null;
  invoice_number: string | null;
  provider: string | null;
  provider_ref: string | null;
  delivery_id: string | null;
}

/** An amount in the currency's own unit (src/payments/money.ts), or words when the row has none. */
export function formatMoney(minor: number | null | undefined, currency: string | null | undefined): string {
  if (minor === null || minor === undefined) return "the amount paid";
  return formatMinorUnits(minor, currency);
}

interface DisputeDetail {
  dispute_id?: string;
  status?: string;
  reason?: string | null;
  amount_cents?: number | null;
  currency?: string | null;
  evidence_due_by?: number | null;
}

function parseDetail(detail: string | null): unknown {
  if (!detail) return null;
  try {
    return JSON.parse(detail);
  } catch {
    return detail;
  }
}

/** Where the operator finds a payment: the provider's own records, by name when we know it. */
function providerPlace(provider: string | null): string {
  return provider === "stripe" ? "the Stripe dashboard" : "your payment provider's records";
}

/** "Stripe payment pi_..." for the item's delivery, or "" when the provider gave no reference. */
function paymentRef(row: AttentionRow): string {
  if (!row.provider_ref) return "";
  return row.provider === "stripe" ? `Stripe payment ${row.provider_ref}` : `payment ${row.provider_ref}`;
}

/** A Stripe payment intent id: safe to paste into a shell as it is. */
const PAYMENT_INTENT = /^pi_[A-Za-z0-9_]{1,250}$/;

/**
 * "; to refund it: npm run ops -- refund 1042 --payment pi_... --note ..." for an item about a
 * Stripe payment intent, which `npm run ops -- refund` can refund through Stripe's API; "" for
 * any other payment (the generic webhook's, or a Checkout Session without its intent), whose
 * refund happens in the provider's own place. Offered whatever the Worker's settings: the key
 * the command uses is on the operator's machine, which the Worker cannot see, and the command
 * itself says what to set when it has none. The payment is named so the command refunds
 * exactly the payment the item is about, also when the order has another one.
 */
function refundCommand(row: AttentionRow, note: string): string {
  const order = row.order_number ?? row.order_id;
  if (row.provider !== "stripe" || !row.provider_ref || !PAYMENT_INTENT.test(row.provider_ref) || order === null) return "";
  return `; to refund it: npm run ops -- refund ${order} --payment ${row.provider_ref} --note "${note}"`;
}

/**
 * A data_error in the shop's words. The reason is what the database refused (a trigger of
 * migration 0002, a UNIQUE index, a CHECK), recorded by src/orders/applyPayment.ts: each
 * cause the code can record gets what happened and what to do; anything else is shown as
 * the database said it, for whoever corrects the rows.
 */
function explainDataError(reason: string, order: string, ref: string | number, refund: string): { happened: string; action: string } {
  const story = `npm run ops -- order ${ref}`;
  if (/invoices\.order_id/.test(reason)) {
    return {
      happened:
        `${order} was paid, but it had been paid and invoiced before and was then put back to awaiting payment ` +
        `(by hand or by another tool); confirming it again would invoice it twice, so nothing changed`,
      action:
        `see its story (${story}); if this is the payment that confirmed it before, set the order back to CONFIRMED ` +
        `and nothing else is needed; if it is a second payment, ${refund} and set the order back to CONFIRMED`,
    };
  }
  if (/invoices\.(?:series|seq|number)/.test(reason)) {
    return {
      happened: `${order} was paid, but the next invoice number of its series is already taken by an invoice written outside this service`,
      action: `remove or renumber that invoice (the invoices row of the series with the highest number); the provider's next retry confirms ${order}, or ${refund}`,
    };
  }
  if (/quantity or unit price|^order_items:/.test(reason)) {
    return {
      happened: `${order} was paid, but one of its lines has a quantity or a unit price that is not a whole number in range (written by another tool), so it was not confirmed`,
      action: `correct that line of ${order} (quantity: a whole number from 1; unit_price_cents: whole cents); the provider's next retry confirms it, or ${refund}`,
    };
  }
  if (/^products:/.test(reason)) {
    return {
      happened: `${order} was paid, but a product on it has a stock, reserved count or price that is not a whole number (written by another tool), so it was not confirmed`,
      action: `correct that product's stock, stock_reserved or price_cents to whole numbers; the provider's next retry confirms ${order}, or ${refund}`,
    };
  }
  return {
    happened: `${order} was paid, but its data breaks a rule of the database, so it was not confirmed (the database said: ${reason})`,
    action: `have whoever maintains the shop's data correct ${order} (${story}); the provider's next retry confirms it, or ${refund}`,
  };
}

/** What to fix before resending an invoice, from the reason its email failed. */
function invoiceFix(error: string | null, row: AttentionRow, order: string): string {
  if (error && /customer_email/.test(error)) {
    return `correct the customer's address (the customer_email of ${order}, now "${row.customer_email ?? ""}") to one email address`;
  }
  if (error && /ErrorCode 406|inactive/i.test(error)) {
    return `Postmark marked ${row.customer_email ?? "the address"} inactive (an earlier bounce or spam complaint): confirm the address with the customer, then reactivate it in Postmark or correct the customer_email of ${order}`;
  }
  if (error && /POSTMARK_SERVER_TOKEN|ErrorCode (?:10|400|401|405|412|413)\b/.test(error)) {
    return "fix the Postmark setting named above (token, sender signature or account)";
  }
  return "fix the cause above";
}

export function describeAttention(row: AttentionRow): { happened: string; action: string } {
  const order = row.order_number !== null ? `order ${row.order_number}` : `order ${row.order_id ?? "(unknown)"}`;
  const ref = row.order_number ?? row.order_id ?? "";
  const customer = row.customer_email ?? "the customer";
  const total = formatMoney(row.order_total_cents, row.currency);
  const detail = parseDetail(row.detail);
  const payment = paymentRef(row);
  const where = payment ? ` (${payment})` : "";
  switch (row.kind) {
    case "refund_required":
      return {
        happened: `a payment arrived for ${order} after it had been cancelled${where}`,
        action: `refund ${total} to ${customer}, ${order}: the order was cancelled when the payment arrived${refundCommand(row, "paid after the order was cancelled")}`,
      };
    case "insufficient_stock": {
      const short = Array.isArray(detail)
        ? detail
            .map((s: { product_name?: string; requested?: number; stock?: number; stock_reserved?: number; short_of?: string }) =>
              `${s.product_name} (wanted ${s.requested}, stock ${s.stock}, reserved ${s.stock_reserved})`)
            .join(", ")
        : "a product";
      return {
        happened: `${order} was paid but stock is short: ${short}`,
        action: `restock, then let the provider's retry (or a resend) confirm ${order}; or refund ${total} to ${customer}`,
      };
    }
    case "not_ready":
      return {
        happened: `${order} was paid while still PENDING (checkout never reserved its stock); the provider keeps retrying`,
        action:
          `finish ${order}'s checkout (reserve its stock and set it AWAITING_PAYMENT, as checkout does) so the next ` +
          `retry confirms it, or refund ${total} to ${customer}`,
      };
    case "paid_twice": {
      const d = (detail ?? {}) as { confirmed_by?: string };
      return {
        happened: `${order} was paid a second time${where}; it was already paid${d.confirmed_by ? ` by payment ${d.confirmed_by}` : " through the generic webhook"}`,
        action: `refund the second payment${row.provider_ref ? ` ${row.provider_ref}` : ""} (${total}) to ${customer}, ${order}: it was already paid${refundCommand(row, "paid twice")}`,
      };
    }
    case "not_found":
      return {
        happened: `a payment arrived for order id ${row.order_id ?? "(none)"}, and the shop has no such order${where}; the provider retries for a while`,
        action: `if the order should exist, create it with that id (the provider's next retry confirms it); otherwise find the payment in ${providerPlace(row.provider)} and refund it`,
      };
    case "data_error":
      return explainDataError(typeof detail === "string" ? detail : String(row.detail ?? "invalid data"), order, ref, `refund ${total} to ${customer}`);
    case "amount_mismatch": {
      const d = (detail ?? {}) as { paid_cents?: number; paid_currency?: string; order_cents?: number; order_currency?: string };
      const paid = formatMoney(d.paid_cents, d.paid_currency);
      return {
        happened: `${order} was paid ${paid} but totals ${formatMoney(d.order_cents, d.order_currency)}${where}; it was not confirmed`,
        action:
          `refund ${paid} to ${customer} and ask for a new payment of the right amount; or, if the lower price ` +
          `was agreed, correct ${order}'s lines to what was paid and have the provider resend the payment ` +
          `(Stripe: "Resend" on the event), which then confirms it${refundCommand(row, "paid the wrong amount")}`,
      };
    }
    case "unmatched_payment": {
      const d = (detail ?? {}) as { reason?: string; amount_cents?: number; currency?: string };
      return {
        happened: `a payment${d.amount_cents !== undefined ? ` of ${formatMoney(d.amount_cents, d.currency)}` : ""} names no order we can find${where}: ${d.reason ?? "no order id"}`,
        action: `find the payment${row.provider_ref ? ` ${row.provider_ref}` : ""} in ${providerPlace(row.provider)} and match it to an order, or refund it`,
      };
    }
    case "refund_failed": {
      const d = (detail ?? {}) as { refund_id?: string; refund_cents?: number; currency?: string; failure_reason?: string };
      const amount = d.refund_cents !== undefined && d.refund_cents !== null ? formatMoney(d.refund_cents, d.currency) : "a refund";
      return {
        happened: `refund ${d.refund_id ?? ""} of ${amount} for ${order} failed${d.failure_reason ? ` (${d.failure_reason})` : ""}${where}; the customer was told the money is coming`,
        action: `refund ${customer} another way (or retry it in ${providerPlace(row.provider)}) and tell them`,
      };
    }
    case "dispute": {
      const d = (detail ?? {}) as DisputeDetail;
      const amount = formatMoney(d.amount_cents, d.currency);
      if (row.order_id === null) {
        // A payment the ledger never saw (another integration on the same Stripe account, a
        // charge without a payment intent): no order to name or to hold.
        const what = `a payment we have no order for${where || (d.dispute_id ? ` (dispute ${d.dispute_id})` : "")}`;
        const due = typeof d.evidence_due_by === "number" ? new Date(d.evidence_due_by).toISOString().slice(0, 10) : null;
        return d.status === "lost"
          ? { happened: `a dispute of ${amount} for ${what} was lost: the money is gone`, action: "record the loss, then resolve this item" }
          : {
              happened: `a customer disputed ${amount} of ${what} (${d.reason ?? "no reason given"}, ${d.status ?? "open"})`,
              action: `find the payment in ${providerPlace(row.provider ?? "stripe")} and answer the dispute there${due ? ` before ${due}` : " before its evidence deadline"}`,
            };
      }
      const due = typeof d.evidence_due_by === "number" ? new Date(d.evidence_due_by).toISOString().slice(0, 10) : null;
      if (d.status === "lost") {
        return {
          happened: `${customer} disputed ${amount} of ${order} (${d.reason ?? "no reason given"}), and the dispute was lost: the money is gone${where}`,
          action: `nothing can be answered any more; record the loss (and do not ship ${order} if it has not left), then resolve this item`,
        };
      }
      return {
        happened: `${customer} disputed ${amount} of ${order} (${d.reason ?? "no reason given"}; dispute ${d.dispute_id ?? ""}, ${d.status ?? "open"})${where}`,
        action:
          `answer the dispute in ${providerPlace(row.provider ?? "stripe")}${due ? ` before ${due}` : " before its evidence deadline"}` +
          ` with the order's evidence; hold the shipment of ${order} if it has not left`,
      };
    }
    case "stripe_unreachable": {
      const d = (detail ?? {}) as { status?: number | null; message?: string; sessions_due?: number };
      const said = `${d.message ?? "no answer"}${typeof d.status === "number" ? ` (HTTP ${d.status})` : " (no answer)"}`;
      const action =
        d.status === 401
          ? "Stripe refused STRIPE_SECRET_KEY (rolled or revoked in the dashboard): set the current key with `npx wrangler secret put STRIPE_SECRET_KEY`"
          : d.status === 403
            ? "the restricted key lacks a permission: give it Checkout Sessions read and write in the Stripe dashboard (Developers, API keys)"
            : "nothing, unless it lasts: Stripe is down or rate-limiting (https://status.stripe.com); the job asks again every minute";
      return {
        happened:
          `the reconciliation job could not ask Stripe about Checkout Sessions: ${said}; paid sessions whose webhook ` +
          `was lost are not confirmed meanwhile${typeof d.sessions_due === "number" ? ` (${d.sessions_due} waiting)` : ""}`,
        action: `${action}; this item settles itself when Stripe answers again`,
      };
    }
    case "invoice_failed": {
      const error = typeof detail === "string" ? detail : null;
      return {
        happened: `the invoice email ${row.invoice_number ?? ""} for ${order} could not be sent: ${error ?? "unknown error"}`,
        action: `${invoiceFix(error, row, order)}, then: npm run ops -- resend-invoice ${row.invoice_number ?? row.invoice_id}`,
      };
    }
    case "invoice_stuck":
      return {
        happened: `the invoice email ${row.invoice_number ?? ""} for ${order} is still unsent an hour after it was due${typeof detail === "string" ? `; last error: ${detail}` : ""}`,
        action: `check the Postmark token and sender (npm run ops -- order ${ref}); it keeps being retried on its own`,
      };
    case "credit_note_failed":
    case "credit_note_stuck": {
      // The item points at the invoice the note corrects; its detail names the note (attentionItems.ts).
      const d = (detail ?? {}) as { credit_note?: string; error?: string | null };
      const note = d.credit_note ?? "(unknown)";
      const corrects = row.invoice_number ? ` (correcting invoice ${row.invoice_number})` : "";
      if (row.kind === "credit_note_failed") {
        return {
          happened: `the credit note email ${note}${corrects} for ${order} failed: ${d.error ?? "unknown error"}`,
          action: `fix the cause, then: npm run ops -- resend-invoice ${note}`,
        };
      }
      return {
        happened: `the credit note email ${note}${corrects} for ${order} is still unsent an hour after the refund${d.error ? `: ${d.error}` : ""}`,
        action: `check the Postmark token and sender (npm run ops -- order ${row.order_number ?? row.order_id}); it is retried on its own`,
      };
    }
  }
}
