// scripts/lib/terminalText.mjs: what makes a value from outside safe to print on an
// operator's terminal. Fast (no wrangler): the CLI's own runs are in ops-cli.e2e.ts.
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { ROOT } from "./support/wranglerDev";

const lib = (await import(pathToFileURL(path.join(ROOT, "scripts", "lib", "terminalText.mjs")).href)) as {
  terminalText(value: unknown): string;
  terminalRow(row: Record<string, unknown>): Record<string, unknown>;
  terminalLines(text: string): string;
  terminalLine(text: string): string;
};
const table = (await import(pathToFileURL(path.join(ROOT, "scripts", "lib", "terminalTable.mjs")).href)) as {
  alignColumns(header: string[], rows: string[][], opts?: object): { header: string; rows: string[] };
};

/** Any character a terminal would obey rather than print. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe("terminalText", () => {
  it.each([
    ["ESC (an OSC that sets the window title)", "\u001b]0;FAKE: nothing needs you\u0007", "\\x1B]0;FAKE: nothing needs you\\x07"],
    ["ESC [ (clear the screen, red text)", "\u001b[2J\u001b[31mFAKE", "\\x1B[2J\\x1B[31mFAKE"],
    ["BEL", "ding\u0007", "ding\\x07"],
    ["a newline inside a value (a forged line)", "Ada\n    do: nothing", "Ada\\n    do: nothing"],
    ["a carriage return (overwrites the line)", "Ada\rMallory", "Ada\\rMallory"],
    ["a tab", "a\tb", "a\\tb"],
    ["NUL and other C0", "\u0000\u0001\u001f", "\\x00\\x01\\x1F"],
    ["DEL", "a\u007fb", "a\\x7Fb"],
    ["C1 (U+009B is CSI on some terminals)", "\u009b2J\u0085\u0080", "\\x9B2J\\x85\\x80"],
    ["a right-to-left override", "moc.elpmaxe@ada\u202e", "moc.elpmaxe@ada\\u202E"],
    ["every bidirectional embedding, override and isolate", "\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069", "\\u202A\\u202B\\u202C\\u202D\\u2066\\u2067\\u2068\\u2069"],
    ["the directional marks", "\u200e\u200f\u061c", "\\u200E\\u200F\\u061C"],
    ["line and paragraph separators", "a\u2028b\u2029c", "a\\u2028b\\u2029c"],
  ])("shows %s visibly", (_, value, expected) => {
    expect(lib.terminalText(value)).toBe(expected);
    expect(lib.terminalText(value)).not.toMatch(UNSAFE);
  });

  it("leaves text in any script, quotes and backslashes as they are", () => {
    for (const text of ["山田太郎", "Łukasz Żółć", "Ελένη", "عائشة", "conan.o'brien@example.com", 'say "hi" \\ bye', "emoji 🧾"]) {
      expect(lib.terminalText(text)).toBe(text);
    }
  });

  it("is idempotent, prints null as nothing and numbers as themselves", () => {
    const once = lib.terminalText("\u001b[31m\u202e\n");
    expect(lib.terminalText(once)).toBe(once);
    expect(lib.terminalText(null)).toBe("");
    expect(lib.terminalText(undefined)).toBe("");
    expect(lib.terminalText(1042)).toBe("1042");
  });

  it("terminalRow escapes every string of a row and leaves numbers and nulls", () => {
    expect(lib.terminalRow({ id: 7, name: "A\u001bB", note: null })).toEqual({ id: 7, name: "A\\x1BB", note: null });
  });

  it("terminalLines keeps line breaks and escapes the rest", () => {
    expect(lib.terminalLines("first \u001b[2J\nsecond \u0007")).toBe("first \\x1B[2J\nsecond \\x07");
  });

  it("terminalLine keeps our own colour codes and line breaks, and escapes every other control", () => {
    expect(lib.terminalLine("\u001b[32mok\u001b[0m\nnext")).toBe("\u001b[32mok\u001b[0m\nnext");
    expect(lib.terminalLine("\u001b]0;title\u0007 \u001b[2J \u202e")).toBe("\\x1B]0;title\\x07 \\x1B[2J \\u202E");
  });

  it("alignColumns makes every cell safe and aligns on what is printed", () => {
    const { header, rows } = table.alignColumns(["NAME", "EMAIL"], [["Ada\u001b[2J", "a@x"], ["Bo", "b\u202e@y"]]);
    expect(header).toBe(`NAME${" ".repeat(8)}EMAIL`);
    expect(rows).toEqual(["Ada\\x1B[2J  a@x", `Bo${" ".repeat(10)}b\\u202E@y`]);
  });
});
