// `npm run ops -- resolve 12 --note "..." [--by NAME]`: records that a human settled an
// attention item, who and how. One guarded UPDATE (only an open item changes, so two
// operators resolving the same item at once record one resolution), then the item is read
// back in the same command to say what happened.
import { describeTarget, executeSql } from "../d1.mjs";
import { sqlInteger, sqlString } from "../sqlLiteral.mjs";
import { colour } from "../terminalTable.mjs";
import { terminalText } from "../terminalText.mjs";
import { timeAgo, utcTime } from "../timeWords.mjs";
import { withWords } from "./attentionWords.mjs";

/** options: { id (validated), note, by (validated free text) } */
export function resolveItem({ id, note, by }, ctx) {
  const { worker, target } = ctx;
  const now = Date.now();
  const [changed, [row]] = executeSql(
    `UPDATE attention_items
       SET resolved_at = ${sqlInteger(now)}, resolved_by = ${sqlString(by)}, resolution_note = ${sqlString(note)}
       WHERE id = ${sqlInteger(id)} AND resolved_at IS NULL
       RETURNING id;
     ${worker.ATTENTION_SELECT} WHERE a.id = ${sqlInteger(id)}`,
    target,
  );
  if (!row) {
    return ctx.fail(`there is no attention item ${id} in the ${describeTarget(target)}: \`npm run ops -- attention --all${target.remote ? " --remote" : ""}\` lists them`);
  }
  const item = withWords(row, worker);
  if (changed.length === 0) {
    return ctx.fail(
      `item ${id} was already resolved ${timeAgo(item.resolved_at)} (${utcTime(item.resolved_at)}) by ${terminalText(item.resolved_by ?? "?")}: ` +
        `"${terminalText(item.resolution_note)}"; nothing changed`,
    );
  }
  if (ctx.json) {
    ctx.printJson(item);
    return 0;
  }
  const about = [item.kind, item.order_number !== null ? `order ${item.order_number}` : null].filter(Boolean).join(", ");
  ctx.print(`${colour.green("Resolved")} item ${item.id} (${about}) by ${terminalText(item.resolved_by)}: ${terminalText(item.resolution_note)}`);
  ctx.print(colour.dim(`    it was: ${item.happened}`));
  return 0;
}
