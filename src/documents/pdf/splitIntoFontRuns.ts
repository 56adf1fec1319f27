// Decides, character by character, which font draws a piece of text: the bundled primary
// font when it has the glyph, else the CJK fallback, else nothing sensible, so "?" is
// drawn in its place. Emoji and invisible characters are dropped. No font may ever be
// asked for a glyph it lacks: fontkit would silently draw its empty .notdef box.

export interface GlyphSource {
  hasGlyphForCodePoint(codePoint: number): boolean;
}

export type FontSlot = "primary" | "fallback";

export interface FontRun {
  slot: FontSlot;
  text: string;
}

export const REPLACEMENT = "?";

// The code points scripts/fonts/build-invoice-fonts.sh keeps in the CJK fallback font
// (its CJK_UNICODES; keep the two in step).
// Only text with one of these makes the renderer fetch that font: a Thai or Arabic name
// would not be drawn by it anyway, so it prints "?" without the multi-MB fetch.
const FALLBACK_RANGES: readonly (readonly [number, number])[] = [
  [0x1100, 0x11ff], // Hangul Jamo
  [0x2e80, 0x2fdf], // CJK radicals
  [0x3000, 0x312f], // CJK punctuation, kana, Bopomofo
  [0x3130, 0x318f], // Hangul compatibility Jamo
  [0x31f0, 0x31ff], // katakana extensions
  [0x3200, 0x33ff], // enclosed CJK, CJK compatibility
  [0x3400, 0x4dbf], // CJK extension A
  [0x4e00, 0x9fff], // CJK unified ideographs
  [0xac00, 0xd7a3], // Hangul syllables
  [0xf900, 0xfaff], // CJK compatibility ideographs
  [0xfe30, 0xfe4f], // CJK compatibility forms
  [0xff00, 0xffef], // half- and full-width forms
];

export function fallbackMayCover(codePoint: number): boolean {
  return FALLBACK_RANGES.some(([from, to]) => codePoint >= from && codePoint <= to);
}

const INVISIBLE = /^[\p{Default_Ignorable_Code_Point}\p{Cc}]$/u;
const LINE_BREAK_OR_TAB = /^[\t\n\r\v\f\u2028\u2029]$/u;
// Emoji, skin tones, flags and the keycap mark: no invoice font has colour glyphs, and a
// row of "?" for one emoji would look like a broken name, so they are dropped.
const EMOJI = /^[\p{Extended_Pictographic}\p{Emoji_Modifier}\p{Regional_Indicator}\u20e3]$/u;

/**
 * Splits `text` into runs that each font can draw. `fallback` is undefined when the CJK
 * font was not loaded; its characters then print as "?".
 */
export function splitIntoFontRuns(text: string, primary: GlyphSource, fallback: GlyphSource | undefined): FontRun[] {
  const runs: FontRun[] = [];
  let pendingSpace = false;
  const push = (slot: FontSlot, piece: string) => {
    if (piece === " ") {
      pendingSpace = runs.length > 0; // collapse repeats and drop leading spaces
      return;
    }
    if (pendingSpace) {
      pendingSpace = false;
      appendTo(runs, "primary", " ");
    }
    appendTo(runs, slot, piece);
  };

  for (const char of text.normalize("NFC")) {
    const codePoint = char.codePointAt(0)!;
    if (char === " " || LINE_BREAK_OR_TAB.test(char)) push("primary", " ");
    else if (INVISIBLE.test(char)) continue;
    else if (primary.hasGlyphForCodePoint(codePoint)) push("primary", char);
    else if (EMOJI.test(char)) continue;
    else if (fallback?.hasGlyphForCodePoint(codePoint)) push("fallback", char);
    else push("primary", REPLACEMENT);
  }
  return runs;
}

/** Whether drawing `text` needs the fallback font, judged without loading it. */
export function needsFallback(text: string, primary: GlyphSource): boolean {
  for (const char of text.normalize("NFC")) {
    const codePoint = char.codePointAt(0)!;
    if (fallbackMayCover(codePoint) && !primary.hasGlyphForCodePoint(codePoint)) return true;
  }
  return false;
}

function appendTo(runs: FontRun[], slot: FontSlot, piece: string): void {
  const last = runs[runs.length - 1];
  if (last && last.slot === slot) last.text += piece;
  else runs.push({ slot, text: piece });
}
