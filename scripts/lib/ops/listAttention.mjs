// `npm run ops -- attention [--all] [--kind KIND] [--limit N]`: what needs a human, newest
// first, each with what happened and what to do in the words of the alert email.
import { executeSql, describeTarget } from "../d1.mjs";
import { sqlInteger, sqlString } from "../sqlLiteral.mjs";
import { alignColumns, colour } from "../terminalTable.mjs";
import { timeAgo } from "../timeWords.mjs";
import { withWords } from "./attentionWords.mjs";

export const DEFAULT_LIMIT = 100;

/** options: { all, kind (validated against ATTENTION_KINDS), limit } */
export function listAttention(options, ctx) {
  const { worker, target } = ctx;
  const filters = [];
  if (!options.all) filters.push("a.resolved_at IS NULL");
  if (options.kind) filters.push(`a.kind = ${sqlString(options.kind)}`);
  const where = filters.length > 0 ? `WHERE ${filters.join(" AND ")}` : "";
  const limit = options.limit ?? DEFAULT_LIMIT;
  const [rows, [count]] = executeSql(
    `${worker.ATTENTION_SELECT} ${where} ORDER BY a.created_at DESC, a.id DESC LIMIT ${sqlInteger(limit)};
     SELECT COUNT(*) AS n FROM attention_items a ${where}`,
    target,
  );
  const items = rows.map((row) => withWords(row, worker));
  if (ctx.json) {
    ctx.printJson(items);
    return 0;
  }

  const place = describeTarget(target);
  if (items.length === 0) {
    const what = options.kind ? `No ${options.all ? "" : "open "}${options.kind} items.` : options.all ? "No attention items at all." : "Nothing needs you.";
    ctx.print(`${what} ${colour.dim(`(${place}${target.remote ? "" : "; --remote for the deployed one"})`)}`);
    return 0;
  }

  const open = items.filter((i) => i.resolved_at === null).length;
  const total = Number(count?.n ?? items.length);
  const shown = total > items.length ? `, newest ${items.length} of ${total} shown (--limit N shows more)` : "";
  ctx.print(
    options.all
      ? `${total} attention item${total === 1 ? "" : "s"}, ${open} open${shown} ${colour.dim(`(${place})`)}`
      : `${total} item${total === 1 ? " needs" : "s need"} you${shown} ${colour.dim(`(${place})`)}`,
  );
  ctx.print("");

  const now = Date.now();
  const table = alignColumns(
    ["ID", "AGE", "KIND", "ORDER", "CUSTOMER", "AMOUNT"],
    items.map((i) => [
      String(i.id),
      timeAgo(i.created_at, now),
      i.kind,
      i.order_number ?? "-",
      i.customer_email ?? "-",
      i.amount ?? "-",
    ]),
  );
  ctx.print(table.header);
  items.forEach((item, n) => {
    const resolved = item.resolved_at !== null;
    ctx.print(resolved ? colour.dim(table.rows[n]) : colour.bold(table.rows[n]));
    ctx.print(`    happened: ${item.happened}`);
    if (resolved) {
      ctx.print(colour.green(`    resolved: ${timeAgo(item.resolved_at, now)} by ${item.resolved_by ?? "?"}: ${item.resolution_note ?? ""}`));
    } else {
      ctx.print(colour.yellow(`    do: ${item.action}`));
    }
    ctx.print("");
  });
  // A real id, not a placeholder: `<id>` pasted into a shell is a redirection from a file "id".
  const firstOpen = items.find((item) => item.resolved_at === null);
  if (firstOpen) ctx.print(colour.dim(`When done: npm run ops -- resolve ${firstOpen.id} --note "what you did"${target.remote ? " --remote" : ""}`));
  return 0;
}
