// The money part of `npm run ops -- order`: each payment of the order from the ledger, with its
// refunds, its disputes and the credit notes it produced. Read in the same `wrangler d1
// execute` as the rest of the story (paymentQueries adds its SELECTs to that command).
import { colour } from "../terminalTable.mjs";
import { utcTime } from "../timeWords.mjs";
import { describeMessageId } from "./emailWords.mjs";

/** Provider text (ids, reasons) is data: no control characters reach the terminal. */
// eslint-disable-next-line no-control-regex
const plain = (value) => String(value ?? "").replace(/[\u0000-\u001f\u007f-\u009f]/g, "?").slice(0, 200);

/** Four SELECTs for `orderIds` (an SQL list or subquery): payments, refunds, disputes, credit notes. */
export function paymentQueries(orderIds) {
  const paymentsOf = `SELECT provider, provider_ref FROM payments WHERE order_id IN (${orderIds})`;
  return `
     SELECT id, provider, provider_ref, ref_from_provider, status, amount_cents, currency, refunded_cents, confirmed_order,
       created_at, updated_at
     FROM payments WHERE order_id IN (${orderIds}) ORDER BY created_at, id;
     SELECT provider, refund_ref, payment_ref, amount_cents, currency, status, failure_reason, created_at, updated_at
     FROM refunds WHERE (provider, payment_ref) IN (${paymentsOf}) ORDER BY created_at, id;
     SELECT provider, dispute_ref, payment_ref, charge_ref, status, reason, amount_cents, currency, evidence_due_by, funds,
       created_at, updated_at
     FROM disputes WHERE (provider, payment_ref) IN (${paymentsOf}) ORDER BY created_at, id;
     SELECT id, number, refund_key, amount_cents, currency, status, attempts, last_error, sent_at, message_id, created_at
     FROM credit_notes WHERE order_id IN (${orderIds}) ORDER BY seq, id`;
}

/** The lines of the "payments" block, one payment then its refunds, disputes and notes. */
export function paymentLines({ payments, refunds, disputes, creditNotes }, { formatMoney }) {
  if (payments.length === 0) return ["  none in the ledger (a payment is recorded when a provider reports it)"];
  const lines = [];
  const money = (cents, currency) => formatMoney(cents, currency);
  for (const p of payments) {
    const ref = p.ref_from_provider ? `${plain(p.provider)} ${plain(p.provider_ref)}` : `${plain(p.provider)} (no payment id)`;
    const facts = [`${p.status}`, p.amount_cents === null ? "amount not reported" : money(p.amount_cents, p.currency)];
    if (p.refunded_cents > 0) {
      const full = p.amount_cents !== null && p.refunded_cents >= p.amount_cents;
      facts.push(`${full ? "refunded in full" : "refunded"} ${money(p.refunded_cents, p.currency)}`);
    }
    facts.push(p.confirmed_order ? "confirmed this order" : "not applied to the order");
    const line = `  ${ref}: ${facts.join(", ")} (since ${utcTime(p.created_at)})`;
    lines.push(p.confirmed_order ? colour.green(line) : p.status === "succeeded" ? colour.yellow(line) : line);
    const mine = (row) => row.provider === p.provider && row.payment_ref === p.provider_ref;
    for (const r of refunds.filter(mine)) {
      const why = r.failure_reason ? ` (${plain(r.failure_reason)})` : "";
      const text = `    refund ${plain(r.refund_ref)}: ${money(r.amount_cents, r.currency ?? p.currency)} ${r.status}${why}, ${utcTime(r.updated_at)}`;
      lines.push(r.status === "failed" ? colour.red(text) : text);
    }
    for (const d of disputes.filter(mine)) {
      const due = d.evidence_due_by ? `, evidence due ${utcTime(d.evidence_due_by)}` : "";
      const funds = d.funds ? `, funds ${d.funds}` : "";
      const text = `    dispute ${plain(d.dispute_ref)}: ${d.amount_cents === null ? "" : `${money(d.amount_cents, d.currency)} `}${plain(d.status)} (${plain(d.reason ?? "no reason")})${due}${funds}`;
      lines.push(d.status === "won" ? colour.green(text) : colour.red(text));
    }
    if (p.confirmed_order) {
      for (const n of creditNotes) {
        const sent = n.status === "SENT" ? `sent ${utcTime(n.sent_at)}, ${describeMessageId(n.message_id)}` : n.status === "FAILED" ? `email FAILED: ${plain(n.last_error)}` : "email in the outbox";
        lines.push(`    credit note ${n.number}: ${money(n.amount_cents, n.currency)}, ${sent}`);
      }
    }
  }
  return lines;
}
