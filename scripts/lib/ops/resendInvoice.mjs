// `npm run ops -- resend-invoice <INV-2026-000042> [--force]`: puts an invoice email back in
// the outbox, for after the cause of a FAILED send is fixed (a token, a sender signature, a
// recipient address). The row is made PENDING and due now, so the cron's outbox sweeper
// (every minute) enqueues it and the queue consumer sends it through the same send ledger
// as every other invoice: one guarded UPDATE, so a row that moved meanwhile is left alone.
// A SENT invoice is taken only with --force: Postmark has no idempotency key, so it means a
// second email to the customer.
//
// Attention items are not touched: the invoice_failed item settles itself when the resend
// reaches SENT (src/attention/attentionItems.ts), and stays open if it fails again.
//
// A credit note number (CN-2026-000001) works the same way: credit notes share the invoices'
// send ledger (src/documents/sendDocument.ts), columns and sweeper; the prefixes differ
// (config.ts refuses CREDIT_NOTE_PREFIX = INVOICE_PREFIX), so a number names one document.
import { describeTarget, executeSql } from "../d1.mjs";
import { sqlInteger, sqlString } from "../sqlLiteral.mjs";
import { colour } from "../terminalTable.mjs";
import { timeAgo, timeFromNow, utcTime } from "../timeWords.mjs";

/** options: { number (validated INV-YYYY-NNNNNN), force } */
export function resendInvoice({ number, force }, ctx) {
  const { target } = ctx;
  const now = Date.now();
  const from = force ? "('FAILED', 'SENT')" : "('FAILED')";
  const resend = (table) => `UPDATE ${table}
       SET status = 'PENDING', last_error = NULL, attempts = 0, lease_until = NULL, lease_token = NULL,
           next_attempt_at = ${sqlInteger(now)}, updated_at = ${sqlInteger(now)}
       WHERE number = ${sqlString(number)} AND status IN ${from}
       RETURNING id`;
  const read = (table, kind) => `SELECT '${kind}' AS kind, i.id, i.number, i.status, i.attempts, i.last_error, i.sent_at, i.message_id,
       i.next_attempt_at, i.lease_until, i.updated_at, i.order_id, o.order_number, o.customer_email
     FROM ${table} i LEFT JOIN orders o ON o.id = i.order_id
     WHERE i.number = ${sqlString(number)}`;
  const [changedInvoices, changedNotes, [invoice]] = executeSql(
    `${resend("invoices")};\n${resend("credit_notes")};\n${read("invoices", "invoice")} UNION ALL ${read("credit_notes", "credit note")}`,
    target,
  );
  const changed = [...changedInvoices, ...changedNotes];
  const remote = target.remote ? " --remote" : "";
  if (!invoice) {
    return ctx.fail(
      `there is no invoice ${number}, nor a credit note of that number, in the ${describeTarget(target)}: \`npm run ops -- order <order_number>${remote}\` shows an order's invoice`,
    );
  }
  if (changed.length === 0) {
    if (invoice.status === "SENT") {
      return ctx.fail(
        `${number} was sent at ${utcTime(invoice.sent_at)} (${timeAgo(invoice.sent_at)}) with Postmark message id ${invoice.message_id ?? "(none recorded)"}; ` +
          `nothing changed.\n--force sends ${invoice.customer_email ?? "the customer"} a second email: npm run ops -- resend-invoice ${number} --force${remote}`,
      );
    }
    if (invoice.status === "PENDING") {
      if (ctx.json) {
        ctx.printJson(invoice);
        return 0;
      }
      const leased = invoice.lease_until !== null && invoice.lease_until > now;
      const when = leased
        ? `it is being sent right now (lease until ${utcTime(invoice.lease_until)})`
        : invoice.next_attempt_at === null
          ? "its next attempt is due now"
          : `its next attempt is due at ${utcTime(invoice.next_attempt_at)} (${timeFromNow(invoice.next_attempt_at, now)})`;
      const tried = invoice.attempts > 0 ? `; ${invoice.attempts} attempt${invoice.attempts === 1 ? "" : "s"} so far${invoice.last_error ? `, last error: ${invoice.last_error}` : ""}` : "";
      ctx.print(`${number} is already waiting in the outbox: ${when}${tried}. Nothing changed.`);
      return 0;
    }
    return ctx.fail(`${number} is ${invoice.status}; nothing changed`);
  }
  if (ctx.json) {
    ctx.printJson(invoice);
    return 0;
  }
  ctx.print(`${colour.green(number)} is back in the outbox; the sweeper sends it within a minute (the cron runs every minute).`);
  ctx.print(
    colour.dim(
      `    order ${invoice.order_number ?? invoice.order_id}, to ${invoice.customer_email ?? "?"}; follow it with: npm run ops -- order ${invoice.order_number ?? invoice.order_id}${remote}`,
    ),
  );
  return 0;
}
