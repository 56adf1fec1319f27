// `npm run ops -- order <order_number|uuid>`: an order's story in time order: its status
// changes, every delivery with its outcome, its invoice and email, its attention items.
// Everything is read by one `wrangler d1 execute` (several SELECTs in one command).
import { describeTarget, executeSql } from "../d1.mjs";
import { sqlInteger, sqlString } from "../sqlLiteral.mjs";
import { alignColumns, colour } from "../terminalTable.mjs";
import { timeFromNow, utcTime } from "../timeWords.mjs";
import { withWords } from "./attentionWords.mjs";
import { describeMessageId } from "./emailWords.mjs";
import { paymentLines, paymentQueries } from "./orderPayments.mjs";

const PROBLEM_OUTCOMES = new Set(["refund_required", "insufficient_stock", "amount_mismatch", "data_error", "unmatched_payment", "not_found", "refund_failed", "paid_twice", "dispute_recorded"]);

/** ref: { orderNumber } or { uuid } (canonical lower case, from normaliseUuid) */
export function orderStory(ref, ctx) {
  const { worker, target } = ctx;
  // An id may be stored upper-case by the shop: look for both forms, as the webhook does.
  const ids = ref.uuid ? `${sqlString(ref.uuid)}, ${sqlString(ref.uuid.toUpperCase())}` : null;
  const orderIds = ids ?? `SELECT id FROM orders WHERE order_number = ${sqlInteger(ref.orderNumber)}`;
  const orderWhere = ids ? `o.id IN (${ids})` : `o.order_number = ${sqlInteger(ref.orderNumber)}`;
  const [[order], events, [invoice], items, payments, refunds, disputes, creditNotes] = executeSql(
    `SELECT o.id, o.order_number, o.status, o.customer_email, o.customer_name, o.currency, o.reserved_until,
       o.confirmed_at, o.cancelled_at, o.created_at, o.updated_at,
       (SELECT SUM(quantity * unit_price_cents) FROM order_items WHERE order_id = o.id) AS total_cents,
       (SELECT COUNT(*) FROM order_items WHERE order_id = o.id) AS line_count
     FROM orders o WHERE ${orderWhere};
     SELECT id, received_at, provider, payment_status, order_status, outcome, http_status, delivery_id,
       provider_ref, request_id, detail
     FROM webhook_events WHERE order_id IN (${orderIds}) ORDER BY received_at, id;
     SELECT id, number, status, attempts, last_error, sent_at, message_id, next_attempt_at, lease_until,
       created_at, updated_at
     FROM invoices WHERE order_id IN (${orderIds});
     ${worker.ATTENTION_SELECT} WHERE a.order_id IN (${orderIds}) ORDER BY a.created_at, a.id;
     ${paymentQueries(orderIds)}`,
    target,
  );
  const attention = items.map((row) => withWords(row, worker));
  const money = { payments, refunds, disputes, creditNotes };
  const timeline = buildTimeline(order, events, invoice, attention, creditNotes);
  const name = ref.uuid ?? String(ref.orderNumber);

  if (!order) {
    const named = events.length > 0 ? `; ${events.length} deliver${events.length === 1 ? "y" : "ies"} named it (below)` : "";
    if (ctx.json) ctx.printJson({ order: null, events, invoice: null, attention, timeline, ...money });
    else if (events.length > 0) printTimeline(ctx, timeline);
    const list = target.remote || target.persistTo ? "" : " (`npm run orders` lists the local ones)";
    return ctx.fail(`there is no order ${name} in the ${describeTarget(target)}${named}${list}`);
  }
  if (ctx.json) {
    ctx.printJson({ order, events, invoice: invoice ?? null, attention, timeline, ...money });
    return 0;
  }

  const total = worker.formatMoney(order.total_cents ?? 0, order.currency);
  ctx.print(`${colour.bold(`Order ${order.order_number}`)}  ${statusColour(order.status)}`);
  const header = [
    ["id", order.id],
    ["customer", `${order.customer_name ? `${order.customer_name} ` : ""}<${order.customer_email}>`],
    ["total", `${total} (${order.line_count} line${order.line_count === 1 ? "" : "s"})`],
    // Only an order awaiting payment holds stock; the column keeps its old value afterwards.
    ["reserved until",
      order.status !== "AWAITING_PAYMENT" ? `no reservation held (the order is ${order.status})`
        : order.reserved_until === null ? "never expires" : `${utcTime(order.reserved_until)} (${timeFromNow(order.reserved_until)})`],
    ["invoice", invoice ? invoiceSummary(invoice) : "none (an order gets one when it is confirmed)"],
    ["attention", attentionSummary(attention)],
  ];
  for (const line of alignColumns(["", ""], header.map(([k, v]) => [`  ${k}`, v])).rows) ctx.print(line);
  ctx.print("");
  ctx.print(colour.bold("Payments"));
  for (const line of paymentLines(money, worker)) ctx.print(line);
  ctx.print("");
  printTimeline(ctx, timeline);
  return 0;
}

function printTimeline(ctx, timeline) {
  const times = timeline.map((e) => utcTime(e.at));
  // alignColumns makes each cell terminal-safe, then paints the WHAT column.
  const table = alignColumns(["TIME", "WHAT"], timeline.map((e, i) => [times[i], e.text]), {
    paint: (text, row, column) => (column === 1 ? paint(timeline[row], text) : text),
  });
  // Further lines of an entry (an item's "do:") start under WHAT.
  const indent = " ".repeat(Math.max(4, ...times.map((t) => t.length)) + 2);
  ctx.print(table.header);
  table.rows.forEach((row, i) => {
    ctx.print(row);
    for (const line of timeline[i].more ?? []) ctx.print(`${indent}${colour.yellow(line)}`);
  });
}

/** Every dated fact about the order, oldest first. */
function buildTimeline(order, events, invoice, attention, creditNotes = []) {
  const entries = [];
  const add = (at, event, text, more) => {
    if (at !== null && at !== undefined) entries.push({ at, event, text, ...(more ? { more } : {}) });
  };
  if (order) {
    add(order.created_at, "order_created", "order created");
    add(order.confirmed_at, "order_confirmed", "order confirmed: reserved stock became sold stock");
    const refunded = events.some((e) => e.outcome === "order_refunded");
    add(order.cancelled_at, "order_cancelled", refunded
      ? "order cancelled: its payment was refunded in full, its goods went back to stock"
      : "order cancelled: its reservation was released");
  }
  for (const e of events) {
    const source = e.provider === "stripe" ? "Stripe event" : "webhook delivery";
    const parts = [`${source} "${e.payment_status}" -> ${e.outcome} (HTTP ${e.http_status}, order was ${e.order_status ?? "unknown"})`];
    if (e.delivery_id) parts.push(`delivery ${e.delivery_id}`);
    if (e.provider_ref) parts.push(`payment ${e.provider_ref}`);
    entries.push({ at: e.received_at, event: "delivery", outcome: e.outcome, text: parts.join(", ") });
  }
  if (invoice) {
    add(invoice.created_at, "invoice_created", `invoice ${invoice.number} allocated; its email is in the outbox`);
    const attempts = `${invoice.attempts} attempt${invoice.attempts === 1 ? "" : "s"}`;
    if (invoice.status === "SENT") {
      add(invoice.sent_at, "invoice_sent", `invoice ${invoice.number} sent after ${attempts}, ${describeMessageId(invoice.message_id)}`);
    } else if (invoice.status === "FAILED") {
      add(invoice.updated_at, "invoice_failed", `invoice ${invoice.number} email FAILED after ${attempts}: ${invoice.last_error ?? "unknown error"}`);
    } else {
      const last = invoice.last_error ? `; last error: ${invoice.last_error}` : "";
      add(invoice.next_attempt_at ?? invoice.updated_at, "invoice_due", `invoice ${invoice.number} email next attempt due (${attempts} so far${last})`);
    }
  }
  for (const n of creditNotes) {
    add(n.created_at, "credit_note_created", `credit note ${n.number} allocated for a refund; its email is in the outbox`);
    if (n.status === "SENT") add(n.sent_at, "credit_note_sent", `credit note ${n.number} sent, ${describeMessageId(n.message_id)}`);
  }
  for (const a of attention) {
    add(a.created_at, "attention_raised", `needs attention #${a.id} ${a.kind}: ${a.happened}`, a.resolved_at === null ? [`do: ${a.action}`] : undefined);
    add(a.alert_sent_at, "attention_alert_sent", `alert about #${a.id} emailed to the operator`);
    if (a.resolved_at === null && a.alert_error) add(a.created_at, "attention_alert_failed", `alert about #${a.id} not sent: ${a.alert_error}`);
    add(a.resolved_at, "attention_resolved", `attention #${a.id} resolved by ${a.resolved_by ?? "?"}: ${a.resolution_note ?? ""}`);
  }
  // Facts of the same millisecond (one batch writes the delivery, the confirmation, the
  // invoice and the item together) are told cause first.
  const rank = (e) => STORY_ORDER.indexOf(e.event);
  return entries.map((e, i) => ({ e, i })).sort((x, y) => x.e.at - y.e.at || rank(x.e) - rank(y.e) || x.i - y.i).map(({ e }) => e);
}

const STORY_ORDER = [
  "order_created",
  "delivery",
  "order_confirmed",
  "order_cancelled",
  "invoice_created",
  "invoice_sent",
  "invoice_failed",
  "invoice_due",
  "credit_note_created",
  "credit_note_sent",
  "attention_raised",
  "attention_alert_failed",
  "attention_alert_sent",
  "attention_resolved",
];

function paint(entry, text) {
  if (entry.event === "delivery") {
    if (entry.outcome === "confirmed") return colour.green(text);
    if (PROBLEM_OUTCOMES.has(entry.outcome)) return colour.red(text);
    return text;
  }
  if (entry.event === "invoice_failed" || entry.event === "attention_raised" || entry.event === "attention_alert_failed") return colour.yellow(text);
  if (entry.event === "invoice_sent" || entry.event === "attention_resolved" || entry.event === "order_confirmed") return colour.green(text);
  return text;
}

function statusColour(status) {
  if (status === "CANCELLED") return colour.red(status);
  if (status === "AWAITING_PAYMENT" || status === "PENDING") return colour.yellow(status);
  return colour.green(status);
}

function invoiceSummary(invoice) {
  if (invoice.status === "SENT") return `${invoice.number} SENT ${utcTime(invoice.sent_at)}, ${describeMessageId(invoice.message_id)}`;
  const attempts = `${invoice.attempts} attempt${invoice.attempts === 1 ? "" : "s"}`;
  if (invoice.status === "FAILED") return `${invoice.number} FAILED after ${attempts}: ${invoice.last_error ?? "unknown error"}`;
  return `${invoice.number} PENDING, ${attempts}, next attempt ${invoice.next_attempt_at === null ? "due now" : timeFromNow(invoice.next_attempt_at)}`;
}

function attentionSummary(attention) {
  if (attention.length === 0) return "none";
  const open = attention.filter((a) => a.resolved_at === null);
  const ids = open.map((a) => `#${a.id} ${a.kind}`).join(", ");
  return `${open.length} open${ids ? ` (${ids})` : ""}, ${attention.length - open.length} resolved`;
}
