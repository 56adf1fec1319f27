// SQL literals for `wrangler d1 execute --command`, which takes no bound parameters: every
// value the operator types reaches SQLite inside the statement text. Numbers and ids are
// validated into a narrow shape before they get here; free text (a note, a name) goes
// through sqlString, the only way text enters the SQL.
//
// Text travels as the hex of its UTF-8 bytes, `CAST(X'...' AS TEXT)`, never as a quoted
// string: wrangler splits --command into statements itself, before SQLite sees it, and its
// splitter reads inside quotes ("refunded; ran BEGIN TRANSACTION; x; COMMIT; done" was
// stored as "refunded; ran  x;  done"). Hex digits give it nothing to split or drop, and
// SQLite turns the bytes back into exactly the text that was typed.

/** The longest free text the CLI writes (a resolution note, a name). */
export const MAX_TEXT_LENGTH = 500;

/**
 * `value` as an SQL text literal that no statement splitter can cut. NUL is refused
 * (SQLite would end the text there), and so is a lone surrogate (no UTF-8 for it). Text
 * longer than maxLength is refused rather than cut, so what is stored is what was typed.
 */
export function sqlString(value, { maxLength = MAX_TEXT_LENGTH } = {}) {
  if (typeof value !== "string") throw new TypeError(`sqlString takes a string, not ${typeof value}`);
  if (value.includes("\u0000")) throw new RangeError("text must not contain a NUL character");
  if (!value.isWellFormed()) throw new RangeError("text must be valid Unicode (it holds a lone surrogate)");
  if ([...value].length > maxLength) throw new RangeError(`text is longer than ${maxLength} characters`);
  return `CAST(X'${Buffer.from(value, "utf8").toString("hex").toUpperCase()}' AS TEXT)`;
}

/** A whole number as an SQL literal (ids, order numbers, unix milliseconds). */
export function sqlInteger(value) {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${value} is not a whole number`);
  return String(value);
}
