// Text from outside (a customer's name, a provider's detail, a Postmark error, a note someone
// typed) made safe to print on an operator's terminal. A terminal obeys what it is sent: ESC
// sequences set the window title, clear the screen, move the cursor and repaint lines, BEL
// rings, a carriage return or newline lets a value forge a line of our own output, and the
// bidirectional overrides make "gro.elpmaxe@" read as something else. So every such
// character in a value is shown as what it is, visibly (`\x1B`, `\n`, `\u202E`), and never
// sent raw. `--json` output does not use this: JSON escapes control characters itself, and
// scripts need the exact value.
//
// Escaped: C0 (U+0000-U+001F, newline and tab included: inside a value they are data, not
// layout), DEL (U+007F), C1 (U+0080-U+009F: some terminals read U+009B as ESC [), the
// bidirectional controls (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) and the
// line and paragraph separators (U+2028, U+2029), which some tools break lines on.
// Everything else, any script included, prints as it is. Idempotent: the escaped forms are
// plain ASCII, so escaping twice changes nothing more.

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function visible(char) {
  const named = NAMED[char];
  if (named) return named;
  const code = char.codePointAt(0);
  return code <= 0xff ? `\\x${code.toString(16).toUpperCase().padStart(2, "0")}` : `\\u${code.toString(16).toUpperCase().padStart(4, "0")}`;
}

/** `value` as text that a terminal prints and does not obey. null and undefined print as "". */
export function terminalText(value) {
  if (value === null || value === undefined) return "";
  return String(value).replace(UNSAFE, visible);
}

/** A copy of `row` with every string value made terminal-safe (numbers and nulls untouched). */
export function terminalRow(row) {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === "string" ? terminalText(v) : v]));
}

/** Text of several lines (an error message): each line made safe, the line breaks kept. */
export function terminalLines(text) {
  return String(text).split("\n").map(terminalText).join("\n");
}

// Our own colour codes: ESC [ digits m, nothing else (terminalTable.mjs writes only these).
// eslint-disable-next-line no-control-regex
const OWN_COLOUR = /\u001b\[[0-9;]*m/y;

/**
 * The last guard before a line is written: a line built from values that were each made
 * safe, with our own colour codes and line breaks. Any other control character left in it
 * (a value that was not passed through terminalText) is escaped here, so at worst a missed
 * value shows a colour, never a title, a cleared screen or a moved cursor.
 */
export function terminalLine(line) {
  const text = String(line);
  let out = "";
  for (let i = 0; i < text.length; ) {
    OWN_COLOUR.lastIndex = i;
    const colour = OWN_COLOUR.exec(text);
    if (colour) {
      out += colour[0];
      i += colour[0].length;
      continue;
    }
    const char = text[i];
    out += char === "\n" ? char : char.replace(UNSAFE, visible);
    i += 1;
  }
  return out;
}
