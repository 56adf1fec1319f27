// Draws an invoice layout (an invoice's, or a credit note's: layoutCreditNote.ts) onto A4 pages with pdf-lib. Every string goes through
// splitIntoFontRuns, so any name prints: the bundled primary font draws Latin, Greek and
// Cyrillic, the CJK fallback (fetched only when a string needs it) draws Han, kana and
// Hangul, emoji are dropped, and anything else prints as "?". Rows that do not fit
// continue on a new page under a repeated table header.
import {
  PDFDocument,
  type PDFFont,
  type PDFPage,
  type RGB,
  PageSizes,
  TextRenderingMode,
  popGraphicsState,
  pushGraphicsState,
  rgb,
  setLineWidth,
  setStrokingColor,
  setTextRenderingMode,
} from "@cantoo/pdf-lib";
import { layoutInvoice, type InvoiceDocument, type InvoiceLayout, type InvoiceTotal, type TaxTableRow } from "./layoutInvoice";
import { cachingFontkit, fallbackFont, primaryFont, type FontLoader, type ParsedFont } from "./loadFonts";
import { needsFallback, splitIntoFontRuns, type FontSlot } from "./splitIntoFontRuns";

export type { InvoiceDocument, InvoiceLayout, InvoiceRow, InvoiceTotal } from "./layoutInvoice";
export { layoutInvoice } from "./layoutInvoice";
export type { FontLoader } from "./loadFonts";
export { assetFontLoader } from "./loadFonts";

const [PAGE_WIDTH, PAGE_HEIGHT] = PageSizes.A4;
const MARGIN = 50;
const CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN;
const RIGHT = PAGE_WIDTH - MARGIN;
/** lowest baseline for body text; the footer sits below it */
const BOTTOM = MARGIN + 24;
const FOOTER_Y = MARGIN - 14;

const INK = rgb(0.11, 0.11, 0.13);
const MUTED = rgb(0.42, 0.42, 0.46);
const RULE = rgb(0.82, 0.82, 0.85);
const HEADER_FILL = rgb(0.94, 0.94, 0.95);
const PAID = rgb(0.1, 0.42, 0.22);

const BODY = 9.5;
const ROW_LINE = 12.5;
const ROW_PADDING = 5;
const COLUMN_GAP = 14;
/** a description longer than this many lines is cut, so one row never outgrows a page */
const MAX_DESCRIPTION_LINES = 12;

/** Last changes to a drawn document before it is saved: the e-invoice attaches its XML here. */
export type PdfFinisher = (pdf: PDFDocument) => Promise<void>;

export async function renderInvoicePdf(doc: InvoiceDocument, fonts: FontLoader, finish?: PdfFinisher): Promise<Uint8Array> {
  return renderLayoutPdf(layoutInvoice(doc), fonts, finish);
}

/** Any document laid out as an InvoiceLayout (an invoice, a credit note): one look for both. */
export async function renderLayoutPdf(layout: InvoiceLayout, fonts: FontLoader, finish?: PdfFinisher): Promise<Uint8Array> {
  const primary = primaryFont();
  const fallback = allTexts(layout).some((text) => needsFallback(text, primary.font))
    ? fallbackFont(await fonts.loadCjk())
    : undefined;

  const pdf = await PDFDocument.create();
  pdf.registerFontkit(cachingFontkit);
  // subset: true embeds only the glyphs used (a few KB), never the whole CJK font.
  const text = new TextSetter(
    primary.font,
    await pdf.embedFont(primary.bytes, { subset: true }),
    fallback?.font,
    fallback && (await pdf.embedFont(fallback.bytes, { subset: true })),
  );

  new InvoicePages(pdf, text, layout).draw();

  const meta = layout.metadata;
  // Metadata is UTF-16 shown with the viewer's own fonts, so it keeps every character.
  pdf.setTitle(meta.title, { showInWindowTitleBar: true });
  pdf.setAuthor(meta.author);
  pdf.setSubject(meta.subject);
  pdf.setCreator(meta.author);
  pdf.setProducer("pdf-lib");
  pdf.setLanguage(meta.language);
  pdf.setCreationDate(meta.creationDate);
  pdf.setModificationDate(meta.creationDate);
  await finish?.(pdf);
  // No form here: skip the form pass, which would otherwise embed Helvetica. Save in one
  // go instead of yielding to the event loop every 50 objects.
  return pdf.save({ updateFieldAppearances: false, objectsPerTick: Number.POSITIVE_INFINITY });
}

function allTexts(layout: InvoiceLayout): string[] {
  return [
    ...layout.seller,
    ...layout.details.map((detail) => detail.value),
    ...layout.billTo,
    ...layout.rows.flatMap((row) => [row.description, row.quantity, row.unitPrice, row.rate, row.lineTotal]),
    ...(layout.taxTable?.rows ?? []).flatMap((row) => [row.rate, row.net, row.tax, row.gross]),
    ...layout.totals.flatMap((total) => [total.label, total.amount]),
    ...(layout.paid ? [layout.paid] : []),
    ...layout.notes,
    layout.footer,
  ];
}

interface TextStyle {
  size: number;
  color?: RGB;
  bold?: boolean;
}

/** Measures and draws strings, each split into runs of the font that has its glyphs. */
class TextSetter {
  constructor(
    private readonly primaryGlyphs: ParsedFont,
    private readonly primaryFont: PDFFont,
    private readonly fallbackGlyphs: ParsedFont | undefined,
    private readonly fallbackFont: PDFFont | undefined,
  ) {}

  private runs(text: string) {
    return splitIntoFontRuns(text, this.primaryGlyphs, this.fallbackGlyphs).map((run) => ({
      font: this.pdfFont(run.slot),
      text: run.text,
    }));
  }

  private pdfFont(slot: FontSlot): PDFFont {
    return slot === "fallback" && this.fallbackFont ? this.fallbackFont : this.primaryFont;
  }

  /** The text as it will print: emoji and invisible characters gone, unknowns as "?". */
  clean(text: string): string {
    return this.runs(text)
      .map((run) => run.text)
      .join("");
  }

  width(text: string, size: number): number {
    let width = 0;
    for (const run of this.runs(text)) width += run.font.widthOfTextAtSize(run.text, size);
    return width;
  }

  draw(page: PDFPage, text: string, x: number, y: number, style: TextStyle): void {
    const color = style.color ?? INK;
    // Synthetic bold (fill and stroke the outline): one embedded font per script is the
    // budget that keeps an invoice fast, and a bold face of each would double it.
    if (style.bold) {
      page.pushOperators(
        pushGraphicsState(),
        setTextRenderingMode(TextRenderingMode.FillAndOutline),
        setLineWidth(style.size * 0.04),
        setStrokingColor(color),
      );
    }
    let cursor = x;
    for (const run of this.runs(text)) {
      page.drawText(run.text, { x: cursor, y, size: style.size, font: run.font, color });
      cursor += run.font.widthOfTextAtSize(run.text, style.size);
    }
    if (style.bold) page.pushOperators(popGraphicsState());
  }

  drawRight(page: PDFPage, text: string, right: number, y: number, style: TextStyle): void {
    this.draw(page, text, right - this.width(text, style.size), y, style);
  }

  /**
   * Breaks text into lines no wider than maxWidth: at spaces, between any two CJK
   * characters, and inside a word only when the word alone is too wide.
   */
  wrap(text: string, size: number, maxWidth: number, maxLines = Number.POSITIVE_INFINITY): string[] {
    const clean = this.clean(text);
    if (this.width(clean, size) <= maxWidth) return [clean];
    const lines: string[] = [];
    let line = "";
    for (const token of clean.match(BREAK_TOKENS) ?? []) {
      if (line === "") line = token.trimStart();
      else if (this.width(line + token, size) <= maxWidth) line += token;
      else {
        lines.push(line.trimEnd());
        line = token.trimStart();
      }
      // A token wider than a whole line (a long SKU, a URL) breaks between characters.
      while (this.width(line, size) > maxWidth) {
        const chars = Array.from(line);
        let fit = 1;
        while (fit < chars.length && this.width(chars.slice(0, fit + 1).join(""), size) <= maxWidth) fit++;
        lines.push(chars.slice(0, fit).join(""));
        line = chars.slice(fit).join("");
      }
    }
    if (line.trim() !== "") lines.push(line.trimEnd());
    if (lines.length <= maxLines) return lines;
    const kept = lines.slice(0, maxLines);
    kept[maxLines - 1] = `${kept[maxLines - 1]!.replace(/.$/u, "")}…`;
    return kept;
  }
}

// A space run, one CJK character (lines may break between any two), or a word.
const BREAK_TOKENS =
  /\s+|[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u3000-\u303f\uff00-\uffef]|[^\s\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u3000-\u303f\uff00-\uffef]+/gu;

interface Columns {
  descriptionWidth: number;
  /** right edges of the numeric columns */
  quantityRight: number;
  unitPriceRight: number;
  /** right edge of the VAT rate column; equal to unitPriceRight when there is none */
  rateRight: number;
  lineTotalRight: number;
}

/** Places the layout top to bottom, opening a new page whenever the next block won't fit. */
class InvoicePages {
  private page!: PDFPage;
  private y = 0;
  private readonly columns: Columns;

  constructor(
    private readonly pdf: PDFDocument,
    private readonly text: TextSetter,
    private readonly layout: InvoiceLayout,
  ) {
    this.columns = this.measureColumns();
  }

  draw(): void {
    this.newPage();
    this.drawHeader();
    this.drawTableHeader();
    for (const row of this.layout.rows) this.drawRow(row);
    // The VAT breakdown and the totals read together: never split over two pages.
    if (this.y - this.taxTableHeight() - this.totalsHeight() < BOTTOM) this.continueOnNewPage(false);
    this.drawTaxTable();
    this.drawTotals();
    this.drawFooters();
  }

  private newPage(): void {
    this.page = this.pdf.addPage([PAGE_WIDTH, PAGE_HEIGHT]);
    this.y = PAGE_HEIGHT - MARGIN;
  }

  private continueOnNewPage(withTableHeader: boolean): void {
    this.newPage();
    const continued = `${this.layout.metadata.title} (continued)`;
    this.text.draw(this.page, continued, MARGIN, this.y - 9, { size: 9, color: MUTED });
    this.y -= 28;
    if (withTableHeader) this.drawTableHeader();
  }

  private drawHeader(): void {
    const { text, page, layout } = this;
    const top = this.y;

    // Right: the heading and the invoice details (label left, value right-aligned).
    text.drawRight(page, layout.heading, RIGHT, top - 20, { size: 22, bold: true });
    const detailsLeft = RIGHT - 215;
    let right = top - 44;
    for (const { label, value } of layout.details) {
      text.draw(page, label, detailsLeft, right, { size: 9, color: MUTED });
      text.drawRight(page, value, RIGHT, right, { size: 9 });
      right -= 13;
    }

    // Left: the seller.
    const sellerWidth = detailsLeft - MARGIN - 20;
    const [sellerName = "", ...sellerLines] = layout.seller;
    let left = top - 12;
    for (const line of text.wrap(sellerName, 13, sellerWidth, 2)) {
      text.draw(page, line, MARGIN, left, { size: 13, bold: true });
      left -= 16;
    }
    for (const line of sellerLines.flatMap((l) => text.wrap(l, 9, sellerWidth, 2))) {
      text.draw(page, line, MARGIN, left, { size: 9, color: MUTED });
      left -= 12;
    }

    // Bill to, under whichever column ended lower.
    let y = Math.min(left, right) - 22;
    text.draw(page, layout.billToLabel.toUpperCase(), MARGIN, y, { size: 8, color: MUTED, bold: true });
    y -= 15;
    const [customerName = "", ...customerLines] = layout.billTo;
    for (const line of text.wrap(customerName, 11, CONTENT_WIDTH, 2)) {
      text.draw(page, line, MARGIN, y, { size: 11, bold: true });
      y -= 14;
    }
    for (const line of customerLines.flatMap((l) => text.wrap(l, 9, CONTENT_WIDTH, 2))) {
      text.draw(page, line, MARGIN, y, { size: 9 });
      y -= 12;
    }
    this.y = y - 18;
  }

  private measureColumns(): Columns {
    const { text, layout } = this;
    const widest = (header: string, values: string[]) =>
      Math.max(text.width(header, 8.5), ...values.map((value) => text.width(value, BODY)));
    const lineTotal = widest(layout.columns.lineTotal, layout.rows.map((r) => r.lineTotal));
    const rate = layout.columns.rate ? widest(layout.columns.rate, layout.rows.map((r) => r.rate)) : 0;
    const unitPrice = widest(layout.columns.unitPrice, layout.rows.map((r) => r.unitPrice));
    const quantity = widest(layout.columns.quantity, layout.rows.map((r) => r.quantity));
    const lineTotalRight = RIGHT - 6;
    const rateRight = layout.columns.rate ? lineTotalRight - lineTotal - COLUMN_GAP : lineTotalRight;
    const unitPriceRight = layout.columns.rate ? rateRight - rate - COLUMN_GAP : lineTotalRight - lineTotal - COLUMN_GAP;
    const quantityRight = unitPriceRight - unitPrice - COLUMN_GAP;
    const descriptionWidth = Math.max(120, quantityRight - quantity - COLUMN_GAP - (MARGIN + 6));
    return { descriptionWidth, quantityRight, unitPriceRight, rateRight, lineTotalRight };
  }

  private drawTableHeader(): void {
    const { text, page, columns } = this;
    const { description, quantity, unitPrice, rate, lineTotal } = this.layout.columns;
    const height = 20;
    page.drawRectangle({ x: MARGIN, y: this.y - height, width: CONTENT_WIDTH, height, color: HEADER_FILL });
    const baseline = this.y - 13.5;
    const style = { size: 8.5, color: MUTED, bold: true };
    text.draw(page, description, MARGIN + 6, baseline, style);
    text.drawRight(page, quantity, columns.quantityRight, baseline, style);
    text.drawRight(page, unitPrice, columns.unitPriceRight, baseline, style);
    if (rate) text.drawRight(page, rate, columns.rateRight, baseline, style);
    text.drawRight(page, lineTotal, columns.lineTotalRight, baseline, style);
    this.y -= height;
  }

  private drawRow(row: InvoiceLayout["rows"][number]): void {
    const { text, columns } = this;
    const lines = text.wrap(row.description, BODY, columns.descriptionWidth, MAX_DESCRIPTION_LINES);
    const height = lines.length * ROW_LINE + 2 * ROW_PADDING;
    if (this.y - height < BOTTOM) this.continueOnNewPage(true);

    const page = this.page;
    let baseline = this.y - ROW_PADDING - 9.5;
    text.drawRight(page, row.quantity, columns.quantityRight, baseline, { size: BODY });
    text.drawRight(page, row.unitPrice, columns.unitPriceRight, baseline, { size: BODY });
    if (this.layout.columns.rate) text.drawRight(page, row.rate, columns.rateRight, baseline, { size: BODY });
    text.drawRight(page, row.lineTotal, columns.lineTotalRight, baseline, { size: BODY });
    for (const line of lines) {
      text.draw(page, line, MARGIN + 6, baseline, { size: BODY });
      baseline -= ROW_LINE;
    }
    this.y -= height;
    page.drawLine({
      start: { x: MARGIN, y: this.y },
      end: { x: RIGHT, y: this.y },
      thickness: 0.5,
      color: RULE,
    });
  }

  /**
   * The VAT per rate: a small table under the lines, its amounts right-aligned on the same
   * edge as the lines' amounts, so net + VAT = gross reads down and across.
   */
  private taxTableHeight(): number {
    const table = this.layout.taxTable;
    return table ? 22 + 8 + 16 + table.rows.length * 16 + 4 : 0;
  }

  private drawTaxTable(): void {
    const table = this.layout.taxTable;
    if (!table) return;
    const { text, columns } = this;
    if (this.y - this.taxTableHeight() < BOTTOM) this.continueOnNewPage(false);
    const page = this.page;
    const all = [table.columns, ...table.rows];
    const widest = (pick: (row: TaxTableRow) => string) => Math.max(...all.map((row) => text.width(pick(row), BODY)));
    const grossRight = columns.lineTotalRight;
    const taxRight = grossRight - widest((r) => r.gross) - 2 * COLUMN_GAP;
    const netRight = taxRight - widest((r) => r.tax) - 2 * COLUMN_GAP;
    const rateRight = netRight - widest((r) => r.net) - 2 * COLUMN_GAP;
    const left = rateRight - widest((r) => r.rate) - 6;

    let y = this.y - 22;
    text.draw(page, table.title.toUpperCase(), left, y, { size: 8, color: MUTED, bold: true });
    y -= 8;
    page.drawRectangle({ x: left - 6, y: y - 16, width: RIGHT - left + 6, height: 16, color: HEADER_FILL });
    const header = { size: 8.5, color: MUTED, bold: true };
    const baseline = y - 11;
    text.drawRight(page, table.columns.rate, rateRight, baseline, header);
    text.drawRight(page, table.columns.net, netRight, baseline, header);
    text.drawRight(page, table.columns.tax, taxRight, baseline, header);
    text.drawRight(page, table.columns.gross, grossRight, baseline, header);
    y -= 16;
    for (const row of table.rows) {
      const rowBaseline = y - 12;
      text.drawRight(page, row.rate, rateRight, rowBaseline, { size: BODY });
      text.drawRight(page, row.net, netRight, rowBaseline, { size: BODY });
      text.drawRight(page, row.tax, taxRight, rowBaseline, { size: BODY });
      text.drawRight(page, row.gross, grossRight, rowBaseline, { size: BODY });
      y -= 16;
      page.drawLine({ start: { x: left - 6, y }, end: { x: RIGHT, y }, thickness: 0.5, color: RULE });
    }
    this.y = y - 4;
  }

  private totalsHeight(): number {
    const { text, layout } = this;
    const notes = layout.notes.reduce((lines, note) => lines + text.wrap(note, 8.5, CONTENT_WIDTH).length, 0);
    const paid = layout.paid ? text.wrap(layout.paid, 10, CONTENT_WIDTH).length : 0;
    return 14 + layout.totals.length * 18 + 8 + paid * 14 + (paid ? 8 : 0) + notes * 12;
  }

  private drawTotals(): void {
    const { text, layout, columns } = this;
    // The tax note of a shop that charges no VAT replaces the whole VAT statement: printed in ink, not muted.
    const notes = layout.notes.flatMap((note) =>
      text.wrap(note, 8.5, CONTENT_WIDTH).map((line) => ({ line, style: note === layout.taxNote ? { size: 9.5 } : { size: 8.5, color: MUTED } })),
    );
    const paid = layout.paid ? text.wrap(layout.paid, 10, CONTENT_WIDTH) : [];
    if (this.y - this.totalsHeight() < BOTTOM) this.continueOnNewPage(false);

    const page = this.page;
    const styleOf = (total: InvoiceTotal): TextStyle => (total.grand ? { size: 12, bold: true } : { size: BODY });
    // Labels end where the widest amount begins, so a large grand total never runs into them.
    const amountWidth = Math.max(...layout.totals.map((total) => text.width(total.amount, styleOf(total).size)));
    const labelRight = columns.lineTotalRight - amountWidth - COLUMN_GAP;
    let y = this.y - 18;
    for (const total of layout.totals) {
      if (total.grand) {
        y -= 4;
        page.drawLine({
          start: { x: labelRight - 120, y: y + 15 },
          end: { x: RIGHT, y: y + 15 },
          thickness: 0.8,
          color: INK,
        });
      }
      const style = styleOf(total);
      text.drawRight(page, total.label, labelRight, y, total.grand ? style : { ...style, color: MUTED });
      text.drawRight(page, total.amount, columns.lineTotalRight, y, style);
      y -= 18;
    }
    y -= 8;
    for (const line of paid) {
      text.draw(page, line, MARGIN, y, { size: 10, color: PAID, bold: true });
      y -= 14;
    }
    if (paid.length) y -= 8;
    for (const note of notes) {
      text.draw(page, note.line, MARGIN, y, note.style);
      y -= 12;
    }
    this.y = y;
  }

  private drawFooters(): void {
    const pages = this.pdf.getPages();
    const footer = this.text.wrap(this.layout.footer, 8, CONTENT_WIDTH - 90, 1)[0] ?? "";
    pages.forEach((page, index) => {
      this.text.draw(page, footer, MARGIN, FOOTER_Y, { size: 8, color: MUTED });
      this.text.drawRight(page, `Page ${index + 1} of ${pages.length}`, RIGHT, FOOTER_Y, { size: 8, color: MUTED });
    });
  }
}
