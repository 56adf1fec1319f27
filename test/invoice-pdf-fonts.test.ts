// The fonts embedded in an invoice must really draw the characters, not only extract as
// text: @pdf-lib/fontkit's subsetter corrupts fonts whose glyph records have odd lengths
// (the text layer survives, the glyphs render blank). These tests open the font streams
// inside a rendered PDF and compare every glyph outline with the source font's.
import fontkit from "@cantoo/fontkit";
import { env } from "cloudflare:workers";
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFRawStream, decodePDFRawStream } from "@cantoo/pdf-lib";
import { describe, expect, it } from "vitest";
import { assetFontLoader, fallbackFont, primaryFont, type ParsedFont } from "../src/documents/pdf/loadFonts";
import { renderInvoicePdf, type InvoiceDocument } from "../src/documents/pdf/renderInvoicePdf";
import { splitIntoFontRuns } from "../src/documents/pdf/splitIntoFontRuns";

const NAMES = {
  latin: "Łukasz Żółć Jürgen Groß Nguyễn Thị",
  cyrillicGreek: "Дмитрий Шостакович Αλέξανδρος",
  cjk: "山田太郎 王小明 やまだ カタカナ 김민수",
};

function invoice(customerName: string): InvoiceDocument {
  return {
    seller: { name: "Example Shop GmbH", addressLines: ["Hauptstraße 1"] },
    number: "INV-2026-000042",
    issuedAt: Date.UTC(2026, 3, 20),
    orderNumber: 42,
    customer: { name: customerName, email: "customer@example.test" },
    currency: "EUR",
    lines: [{ description: "Espresso beans", quantity: 1, unitPriceCents: 2490 }],
    taxRatePercent: 19,
  };
}

interface EmbeddedFont {
  baseFont: string;
  font: ParsedFont;
  /** each glyph of the subset with the text it stands for (from the ToUnicode CMap) */
  glyphs: { id: number; text: string }[];
}

function embeddedFonts(pdf: PDFDocument): EmbeddedFont[] {
  const fonts: EmbeddedFont[] = [];
  for (const [, object] of pdf.context.enumerateIndirectObjects()) {
    if (!(object instanceof PDFDict) || object.get(PDFName.of("Subtype")) !== PDFName.of("Type0")) continue;
    const descendant = object.lookup(PDFName.of("DescendantFonts"), PDFArray).lookup(0, PDFDict);
    const descriptor = descendant.lookup(PDFName.of("FontDescriptor"), PDFDict);
    const fontFile = rawStream(descriptor.lookup(PDFName.of("FontFile2")));
    const toUnicode = rawStream(object.lookup(PDFName.of("ToUnicode")));
    const cmap = new TextDecoder().decode(decodePDFRawStream(toUnicode).decode());
    fonts.push({
      baseFont: object.lookup(PDFName.of("BaseFont"), PDFName).decodeText(),
      font: fontkit.create(decodePDFRawStream(fontFile).decode()) as ParsedFont,
      glyphs: [...cmap.matchAll(/^<([0-9a-f]{4})> <([0-9a-f]+)>$/gim)].map(([, id, utf16]) => ({
        id: parseInt(id!, 16),
        text: String.fromCharCode(...utf16!.match(/.{4}/g)!.map((unit) => parseInt(unit, 16))),
      })),
    });
  }
  return fonts;
}

const NO_CJK = { loadCjk: () => Promise.reject(new Error("a Latin/Greek/Cyrillic invoice must not load the CJK font")) };

function rawStream(value: unknown): PDFRawStream {
  if (!(value instanceof PDFRawStream)) throw new Error(`expected a stream in the PDF, got ${String(value)}`);
  return value;
}

async function cjkSource(): Promise<ParsedFont> {
  return fallbackFont(await assetFontLoader(env.ASSETS).loadCjk()).font;
}

/** An outline as comparable text; empty for a glyph that draws nothing. */
function outline(font: ParsedFont, id: number): string {
  return font.getGlyph(id)!.path.toSVG();
}

describe("invoice fonts", () => {
  it("embeds only the primary font for Latin, Greek and Cyrillic names, with every glyph drawn", async () => {
    const pdf = await PDFDocument.load(await renderInvoicePdf(invoice(`${NAMES.latin} ${NAMES.cyrillicGreek}`), NO_CJK));
    const fonts = embeddedFonts(pdf);

    expect(fonts.map((f) => f.baseFont.replace(/-\d+$/, ""))).toEqual(["DejaVuSans"]);
    const [dejavu] = fonts;
    const source = primaryFont().font;
    const printed = new Set(dejavu!.glyphs.map((g) => g.text));
    for (const char of `${NAMES.latin}${NAMES.cyrillicGreek}`.replace(/\s/g, "")) expect(printed).toContain(char);
    for (const { id, text } of dejavu!.glyphs) {
      if (/^\s$/u.test(text)) continue;
      const expected = outline(source, source.glyphForCodePoint(text.codePointAt(0)!)!.id);
      expect(expected, `source glyph for ${text}`).not.toBe("");
      expect(outline(dejavu!.font, id), `embedded glyph for ${text}`).toBe(expected);
    }
  });

  it("embeds the CJK fallback for CJK names, and its glyphs match the source font's outlines", async () => {
    const pdf = await PDFDocument.load(await renderInvoicePdf(invoice(`${NAMES.cjk} Łukasz`), assetFontLoader(env.ASSETS)));
    const fonts = embeddedFonts(pdf);
    const cjk = fonts.find((f) => f.baseFont.startsWith("WenQuanYiMicroHei"));
    const dejavu = fonts.find((f) => f.baseFont.startsWith("DejaVuSans"));

    expect(cjk).toBeDefined();
    expect(dejavu).toBeDefined();
    const source = await cjkSource();
    const printed = new Set(cjk!.glyphs.map((g) => g.text));
    for (const char of NAMES.cjk.replace(/\s/g, "")) expect(printed).toContain(char);
    expect(printed).not.toContain("Ł"); // Latin stays with the primary font
    for (const { id, text } of cjk!.glyphs) {
      const expected = outline(source, source.glyphForCodePoint(text.codePointAt(0)!)!.id);
      expect(expected, `source glyph for ${text}`).not.toBe("");
      expect(outline(cjk!.font, id), `embedded glyph for ${text}`).toBe(expected);
    }
  });

  it("routes every character to a font that has a real glyph for it (never .notdef)", async () => {
    const primary = primaryFont().font;
    const fallback = await cjkSource();
    const everything = `${NAMES.latin} ${NAMES.cyrillicGreek} ${NAMES.cjk} €£¥₽₴₹ „quotes“ — № 1 234,56 zł`;

    const runs = splitIntoFontRuns(everything, primary, fallback);

    expect(runs.map((r) => r.text).join("")).toBe(everything);
    for (const run of runs) {
      const font = run.slot === "primary" ? primary : fallback;
      for (const char of run.text) expect(font.glyphForCodePoint(char.codePointAt(0)!)!.id, `${run.slot} glyph for ${char}`).not.toBe(0);
    }
  });

  it("drops emoji and replaces characters no font has with ?", () => {
    const primary = primaryFont().font;

    const runs = splitIntoFontRuns("Anna 🎉 Smith 👍🏽 ไทย", primary, undefined);

    expect(runs).toEqual([{ slot: "primary", text: "Anna Smith ???" }]);
  });

  it("keeps every glyph record of the committed fonts at an even length, which fontkit's subsetter needs", async () => {
    // fontkit copies glyph bytes unpadded and writes a short loca (offset / 2) for subsets
    // under 64 KB: one odd-length glyph shifts all after it. scripts/fonts pads them.
    for (const font of [primaryFont().font, await cjkSource()]) {
      const offsets = (font as unknown as { loca: { offsets: number[] } }).loca.offsets;
      expect(offsets.length).toBeGreaterThan(100);
      expect(offsets.filter((offset) => offset % 2 !== 0)).toEqual([]);
    }
  });
});
