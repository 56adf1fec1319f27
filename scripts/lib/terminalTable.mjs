// Human output of the operator's CLI: aligned columns and colour, the colour only when
// stdout is a terminal and NO_COLOR is not set (https://no-color.org), so a pipe or a log
// file gets plain text. Every cell and every coloured text goes through terminalText first:
// values from the database (names, emails, errors, notes) never reach the terminal raw.
import { terminalText } from "./terminalText.mjs";

const useColour = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
const ansi = (code) => (text) => (useColour ? `\u001b[${code}m${terminalText(text)}\u001b[0m` : terminalText(text));

export const colour = {
  bold: ansi("1"),
  dim: ansi("2"),
  red: ansi("31"),
  green: ansi("32"),
  yellow: ansi("33"),
  cyan: ansi("36"),
};

const visibleLength = (text) => [...text].length;

/**
 * Lines of `rows` (arrays of plain cells) in columns padded to the widest cell; `header` is
 * printed bold above them. `paint(text, row, column)` colours a cell after it is made safe
 * and measured. The last column is not padded, so no line ends in spaces.
 */
export function alignColumns(header, rows, { gap = "  ", paint = (text) => text } = {}) {
  const safeHeader = header.map((cell) => terminalText(cell));
  const safeRows = rows.map((row) => row.map((cell) => terminalText(cell)));
  const all = [safeHeader, ...safeRows];
  const widths = safeHeader.map((_, c) => Math.max(...all.map((row) => visibleLength(row[c] ?? ""))));
  const line = (row, painter) =>
    row
      .map((text, c) => {
        const painted = painter(text, c);
        return c === row.length - 1 ? painted : painted + " ".repeat(widths[c] - visibleLength(text));
      })
      .join(gap);
  return {
    header: line(safeHeader, (text) => colour.bold(text)),
    rows: safeRows.map((row, r) => line(row, (text, c) => paint(text, r, c))),
  };
}
