// SQL literals for `wrangler d1 execute --command`, which takes no bound parameters: every
// value the operator types reaches SQLite inside the statement text. Numbers and ids are
// validated into a narrow shape before they get here; free text (a note, a name) goes
// through sqlString, the only way text enters the SQL.

/** The longest free text the CLI writes (a resolution note, a name). */
export const MAX_TEXT_LENGTH = 500;

/**
 * `value` as an SQL string literal: in single quotes, each ' doubled, which is the whole of
 * SQLite's escaping (a backslash means nothing in SQL). NUL is refused: SQLite would end
 * the text there. Text longer than maxLength is refused rather than cut, so what is stored
 * is what was typed.
 */
export function sqlString(value, { maxLength = MAX_TEXT_LENGTH } = {}) {
  if (typeof value !== "string") throw new TypeError(`sqlString takes a string, not ${typeof value}`);
  if (value.includes("\u0000")) throw new RangeError("text must not contain a NUL character");
  if ([...value].length > maxLength) throw new RangeError(`text is longer than ${maxLength} characters`);
  return `'${value.replaceAll("'", "''")}'`;
}

/** A whole number as an SQL literal (ids, order numbers, unix milliseconds). */
export function sqlInteger(value) {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${value} is not a whole number`);
  return String(value);
}
