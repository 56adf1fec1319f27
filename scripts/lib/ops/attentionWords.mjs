// One attention row as the CLI shows it: the Worker's own words (describeAttention) and the
// amount at stake, shared by `attention`, `resolve` and `order`.

/** The money the item is about: what was paid for a mismatch or an unmatched payment, else the order's total. */
export function attentionAmount(row, { formatMoney }) {
  const detail = parseJson(row.detail);
  if (row.kind === "amount_mismatch" && detail?.paid_cents !== undefined) return formatMoney(detail.paid_cents, detail.paid_currency);
  if (row.kind === "unmatched_payment" && detail?.amount_cents !== undefined) return formatMoney(detail.amount_cents, detail.currency);
  if (row.kind === "dispute" && detail?.amount_cents !== undefined && detail?.amount_cents !== null) return formatMoney(detail.amount_cents, detail.currency);
  if (row.kind === "refund_failed" && typeof detail?.refund_cents === "number") return formatMoney(detail.refund_cents, detail.currency);
  if (row.order_total_cents === null || row.order_total_cents === undefined) return null;
  return formatMoney(row.order_total_cents, row.currency);
}

/** The row with what the operator reads: amount, happened, action (the alert email's words). */
export function withWords(row, worker) {
  const { happened, action } = worker.describeAttention(row);
  return { ...row, amount: attentionAmount(row, worker), happened, action };
}

function parseJson(text) {
  if (typeof text !== "string") return null;
  try {
    const value = JSON.parse(text);
    return value && typeof value === "object" ? value : null;
  } catch {
    return null;
  }
}
