// `npm run ops -- resend-invoice INV-2026-000042 [--force]`: puts an invoice email back in
// the outbox, for after the cause of a FAILED send is fixed (a token, a sender signature, a
// recipient address). The row is made PENDING and due now, so the cron's outbox sweeper
// (every minute) enqueues it and the queue consumer sends it through the same send ledger
// as every other invoice. A SENT invoice is taken only with --force: Postmark has no
// idempotency key, so it means a second email to the customer.
//
// A resend into the same wall helps nobody: the customer's address is checked first, with
// the Worker's own check (src/mail/emailAddress.ts), and a refused one is named with the
// column to correct; nothing is queued. The UPDATE is guarded by the invoice's status and by
// the very address that was checked, so a row that moved meanwhile is left alone. It also
// sets outbox_since, from which invoice_stuck counts its hour (not from the invoice's date).
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
import { terminalText as shown } from "../terminalText.mjs";
import { timeAgo, timeFromNow, utcTime } from "../timeWords.mjs";
import { describeMessageId } from "./emailWords.mjs";

const DOCUMENT_TABLES = { invoice: "invoices", "credit note": "credit_notes" };

/** The invoice or credit note of that number, with its order's address. */
const DOCUMENT_WITH_ORDER = (number) =>
  Object.entries(DOCUMENT_TABLES)
    .map(
      ([kind, table]) => `
  SELECT '${kind}' AS kind, i.id, i.number, i.status, i.attempts, i.last_error, i.sent_at, i.message_id, i.next_attempt_at,
    i.lease_until, i.outbox_since, i.updated_at, i.order_id, o.order_number, o.customer_email
  FROM ${table} i LEFT JOIN orders o ON o.id = i.order_id
  WHERE i.number = ${sqlString(number)}`,
    )
    .join(" UNION ALL ");

/** options: { number (validated INV-YYYY-NNNNNN or CN-YYYY-NNNNNN), force } */
export function resendInvoice({ number, force }, ctx) {
  const { target, worker } = ctx;
  const remote = target.remote ? " --remote" : "";
  const [[invoice]] = executeSql(DOCUMENT_WITH_ORDER(number), target);
  if (!invoice) {
    return ctx.fail(`there is no invoice or credit note ${number} in the ${describeTarget(target)}: \`npm run ops -- order 1042${remote}\` (an order's number) shows an order's invoice`);
  }
  const order = invoice.order_number ?? invoice.order_id;
  if (invoice.status === "SENT" && !force) {
    return ctx.fail(
      `${number} was sent at ${utcTime(invoice.sent_at)} (${timeAgo(invoice.sent_at)}), ${describeMessageId(shown(invoice.message_id))}; ` +
        `nothing changed.\n--force sends ${shown(invoice.customer_email ?? "the customer")} a second email: npm run ops -- resend-invoice ${number} --force${remote}`,
    );
  }
  if (invoice.status === "PENDING") return alreadyWaiting(invoice, ctx);
  if (invoice.status !== "FAILED" && invoice.status !== "SENT") return ctx.fail(`${number} is ${shown(invoice.status)}; nothing changed`);

  // The Worker would refuse this address again: say what to fix instead of queueing a failure.
  const address = invoice.customer_email;
  if (typeof address !== "string" || !worker.isSingleEmailAddress(address)) {
    return ctx.fail(
      `${number} would fail again: the customer's address "${shown(address ?? "")}" is not exactly one valid email address ` +
        `(a list, a display name or a typo). Correct the customer_email of order ${shown(order)} ` +
        `(orders.id ${shown(invoice.order_id)}), then run this command again. Nothing was queued.`,
    );
  }

  const now = Date.now();
  const from = force ? "('FAILED', 'SENT')" : "('FAILED')";
  const table = DOCUMENT_TABLES[invoice.kind];
  const [changed, [after]] = executeSql(
    `UPDATE ${table}
       SET status = 'PENDING', last_error = NULL, attempts = 0, lease_until = NULL, lease_token = NULL,
           next_attempt_at = ${sqlInteger(now)}, outbox_since = ${sqlInteger(now)}, updated_at = ${sqlInteger(now)}
       WHERE number = ${sqlString(number)} AND status IN ${from}
         AND EXISTS (SELECT 1 FROM orders o WHERE o.id = ${table}.order_id AND o.customer_email = ${sqlString(address, { maxLength: 1000 })})
       RETURNING id;
     ${DOCUMENT_WITH_ORDER(number)}`,
    target,
  );
  if (changed.length === 0) {
    return ctx.fail(`${number} or its order changed while this ran (it is ${shown(after?.status ?? "gone")} now); nothing changed: run the command again`);
  }
  if (ctx.json) {
    ctx.printJson(after);
    return 0;
  }
  ctx.print(`${colour.green(number)} is back in the outbox; the sweeper sends it within a minute (the cron runs every minute).`);
  ctx.print(colour.dim(`    order ${order}, to ${after.customer_email ?? "?"}; follow it with: npm run ops -- order ${order}${remote}`));
  return 0;
}

function alreadyWaiting(invoice, ctx) {
  if (ctx.json) {
    ctx.printJson(invoice);
    return 0;
  }
  const now = Date.now();
  const leased = invoice.lease_until !== null && invoice.lease_until > now;
  const when = leased
    ? `it is being sent right now (lease until ${utcTime(invoice.lease_until)})`
    : invoice.next_attempt_at === null
      ? "its next attempt is due now"
      : `its next attempt is due at ${utcTime(invoice.next_attempt_at)} (${timeFromNow(invoice.next_attempt_at, now)})`;
  const tried =
    invoice.attempts > 0
      ? `; ${invoice.attempts} attempt${invoice.attempts === 1 ? "" : "s"} so far${invoice.last_error ? `, last error: ${shown(invoice.last_error)}` : ""}`
      : "";
  ctx.print(`${invoice.number} is already waiting in the outbox: ${when}${tried}. Nothing changed.`);
  return 0;
}
