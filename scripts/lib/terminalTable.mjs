// Human output of the operator's CLI: aligned columns and colour, the colour only when
// stdout is a terminal and NO_COLOR is not set (https://no-color.org), so a pipe or a log
// file gets plain text.

const useColour = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
const ansi = (code) => (text) => (useColour ? `\u001b[${code}m${text}\u001b[0m` : String(text));

export const colour = {
  bold: ansi("1"),
  dim: ansi("2"),
  red: ansi("31"),
  green: ansi("32"),
  yellow: ansi("33"),
  cyan: ansi("36"),
};

// eslint-disable-next-line no-control-regex
const visibleLength = (text) => [...String(text).replace(/\u001b\[[0-9;]*m/g, "")].length;

/**
 * Lines of `rows` (arrays of cells, already coloured or not) in columns padded to the
 * widest cell; `header` (plain text) is printed bold above them. The last column is not
 * padded, so no line ends in spaces.
 */
export function alignColumns(header, rows, { gap = "  " } = {}) {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((row) => visibleLength(row[c] ?? ""))));
  const line = (row, paint = (s) => s) =>
    row
      .map((cell, c) => {
        const text = String(cell ?? "");
        return c === row.length - 1 ? paint(text) : paint(text) + " ".repeat(widths[c] - visibleLength(text));
      })
      .join(gap);
  return { header: line(header, colour.bold), rows: rows.map((row) => line(row)) };
}
