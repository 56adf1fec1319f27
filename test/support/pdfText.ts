// The text a PDF shows, read inside workerd (no pdftotext there): each page's content
// streams, their text-showing operators (Tj, TJ), and each font's ToUnicode CMap to turn the
// glyph ids back into characters. Enough for the PDFs our renderer writes (Type0 fonts,
// Identity-H, one string per drawText); one string per shown run, in drawing order.
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFRawStream, PDFRef, decodePDFRawStream } from "@cantoo/pdf-lib";

function cmapOf(font: PDFDict): Map<number, string> {
  const stream = font.lookup(PDFName.of("ToUnicode"));
  const map = new Map<number, string>();
  if (!(stream instanceof PDFRawStream)) return map;
  const text = new TextDecoder().decode(decodePDFRawStream(stream).decode());
  const utf16 = (hex: string) => String.fromCharCode(...hex.match(/.{4}/g)!.map((unit) => parseInt(unit, 16)));
  for (const block of text.matchAll(/beginbfchar([\s\S]*?)endbfchar/g)) {
    for (const [, id, chars] of block[1]!.matchAll(/<([0-9a-f]+)>\s*<([0-9a-f]+)>/gi)) map.set(parseInt(id!, 16), utf16(chars!));
  }
  for (const block of text.matchAll(/beginbfrange([\s\S]*?)endbfrange/g)) {
    for (const [, from, to, start] of block[1]!.matchAll(/<([0-9a-f]+)>\s*<([0-9a-f]+)>\s*<([0-9a-f]+)>/gi)) {
      const first = parseInt(start!, 16);
      for (let id = parseInt(from!, 16), i = 0; id <= parseInt(to!, 16); id++, i++) map.set(id, String.fromCharCode(first + i));
    }
  }
  return map;
}

function contentStreams(page: PDFDict): string {
  const contents = page.lookup(PDFName.of("Contents"));
  const streams = contents instanceof PDFArray ? contents.asArray().map((ref) => page.context.lookup(ref)) : [contents];
  return streams
    .filter((s): s is PDFRawStream => s instanceof PDFRawStream)
    .map((s) => new TextDecoder("latin1").decode(decodePDFRawStream(s).decode()))
    .join("\n");
}

/** The strings each page shows, in drawing order, with no-break spaces as plain spaces. */
export async function pdfTexts(bytes: Uint8Array): Promise<string[][]> {
  const pdf = await PDFDocument.load(bytes);
  return pdf.getPages().map((page) => {
    const fonts = new Map<string, Map<number, string>>();
    const resources = page.node.Resources()?.lookup(PDFName.of("Font"), PDFDict);
    for (const [name, ref] of resources?.entries() ?? []) {
      const font = ref instanceof PDFRef ? pdf.context.lookup(ref, PDFDict) : (ref as PDFDict);
      fonts.set(name.decodeText(), cmapOf(font));
    }
    const shown: string[] = [];
    let cmap = new Map<number, string>();
    // Tf selects the font; <hex> Tj shows 2-byte glyph ids (Identity-H).
    for (const [, fontName, hex] of contentStreams(page.node).matchAll(/\/([^\s/]+)\s+[\d.]+\s+Tf|<([0-9a-fA-F]*)>\s*Tj/g)) {
      if (fontName !== undefined) cmap = fonts.get(fontName) ?? new Map();
      else shown.push(hex!.match(/.{4}/g)?.map((id) => cmap.get(parseInt(id, 16)) ?? "\ufffd").join("") ?? "");
    }
    return shown.map((s) => s.replace(/[\u00a0\u202f]/g, " "));
  });
}

/** All the text of a PDF, one shown string per line. */
export async function pdfText(bytes: Uint8Array): Promise<string> {
  return (await pdfTexts(bytes)).map((page) => page.join("\n")).join("\n\f\n");
}
