// renderInvoicePdf turns an invoice into a PDF that any name prints in: Latin, Greek and
// Cyrillic from the bundled font, CJK from the fallback font (read from Workers Static
// Assets only when needed), emoji dropped. Long orders continue on further pages.
import { env } from "cloudflare:workers";
import { PDFDocument } from "@cantoo/pdf-lib";
import { describe, expect, it, vi } from "vitest";
import { assetFontLoader, renderInvoicePdf, type InvoiceDocument } from "../src/documents/pdf/renderInvoicePdf";
import { sampleInvoice } from "./support/sampleInvoice";

function invoice(overrides: Partial<InvoiceDocument> = {}): InvoiceDocument {
  return sampleInvoice({ issuedAt: Date.UTC(2026, 3, 20, 10, 30), ...overrides });
}

/** The production loader, reading env.ASSETS, with a spy to see whether it was asked. */
function spiedAssetLoader() {
  const production = assetFontLoader(env.ASSETS);
  const loadCjk = vi.fn(() => production.loadCjk());
  return { fonts: { loadCjk }, loadCjk };
}

async function render(doc: InvoiceDocument) {
  const { fonts, loadCjk } = spiedAssetLoader();
  const bytes = await renderInvoicePdf(doc, fonts);
  return { bytes, pdf: await PDFDocument.load(bytes), loadCjk };
}

describe("renderInvoicePdf", () => {
  it("produces a one-page PDF with title, author, subject and creation date set", async () => {
    const { bytes, pdf } = await render(invoice());

    expect(new TextDecoder().decode(bytes.subarray(0, 5))).toBe("%PDF-");
    expect(pdf.getPageCount()).toBe(1);
    expect(pdf.getTitle()).toBe("Invoice INV-2026-000042");
    expect(pdf.getAuthor()).toBe("Example Shop GmbH");
    expect(pdf.getSubject()).toBe("Invoice INV-2026-000042 for order 42, Jane Doe");
    expect(pdf.getCreationDate()).toEqual(new Date(Date.UTC(2026, 3, 20, 10, 30)));
    const [width, height] = [pdf.getPage(0).getWidth(), pdf.getPage(0).getHeight()];
    expect([Math.round(width), Math.round(height)]).toEqual([595, 842]); // A4
  });

  it("continues a 120-line order on further pages instead of overflowing one", async () => {
    const lines = Array.from({ length: 120 }, (_, i) => ({
      description: `Item ${i + 1}${i % 10 === 0 ? " with a description long enough to wrap onto a second line of the table" : ""}`,
      quantity: (i % 4) + 1,
      unitPriceCents: 1000 + i,
    }));

    const short = await render(invoice());
    const long = await render(invoice({ lines, taxRatePercent: 19 }));

    expect(short.pdf.getPageCount()).toBe(1);
    expect(long.pdf.getPageCount()).toBeGreaterThanOrEqual(3);
  });

  it("does not fetch the CJK font for a Latin-only invoice", async () => {
    const { loadCjk } = await render(invoice({ customer: { name: "Jürgen Groß", email: "j@example.de" } }));

    expect(loadCjk).not.toHaveBeenCalled();
  });

  it("fetches the CJK font from the ASSETS binding for a Chinese or Japanese name", async () => {
    const { loadCjk, pdf } = await render(invoice({ customer: { name: "山田太郎", email: "taro@example.jp" } }));

    expect(loadCjk).toHaveBeenCalledTimes(1);
    expect(pdf.getSubject()).toBe("Invoice INV-2026-000042 for order 42, 山田太郎");
  });

  it.each([
    ["Polish", "Łukasz Żółć"],
    ["German", "Jürgen Groß"],
    ["Cyrillic", "Дмитрий Шостакович"],
    ["Greek", "Αλέξανδρος Παπαδόπουλος"],
    ["Vietnamese", "Nguyễn Thị Minh Khai"],
    ["Chinese", "王小明"],
    ["Japanese", "山田太郎 やまだ タロウ"],
    ["Korean", "김민수"],
    ["mixed scripts", "Łukasz 王 Дмитрий"],
  ])("renders a %s name", async (_script, name) => {
    const { pdf } = await render(
      invoice({
        customer: { name, email: "customer@example.test" },
        lines: [{ description: `Gift for ${name}`, quantity: 1, unitPriceCents: 1000 }],
      }),
    );

    expect(pdf.getPageCount()).toBe(1);
  });

  it("drops emoji without crashing and without fetching the CJK font", async () => {
    const { pdf, loadCjk } = await render(
      invoice({
        customer: { name: "Anna 🎉 Smith 👩‍👩‍👧 🇵🇱 ❤️ 👍🏽", email: "anna@example.test" },
        lines: [{ description: "🎈🎈🎈", quantity: 1, unitPriceCents: 999 }],
      }),
    );

    expect(pdf.getPageCount()).toBe(1);
    expect(loadCjk).not.toHaveBeenCalled();
  });

  it("prints scripts no font covers (Thai, Hebrew, Arabic) as placeholders, without the CJK fetch", async () => {
    const { pdf, loadCjk } = await render(invoice({ customer: { name: "สมชาย שלום محمد", email: "x@example.test" } }));

    expect(pdf.getPageCount()).toBe(1);
    expect(loadCjk).not.toHaveBeenCalled();
  });

  it("formats the amounts in a CJK locale, whose date needs the CJK font too", async () => {
    const { loadCjk } = await render(invoice({ locale: "ja-JP", currency: "JPY", customer: { name: "Jane Doe", email: "j@example.test" } }));

    expect(loadCjk).toHaveBeenCalledTimes(1); // "2026年4月20日"
  });

  it("reads the CJK font through env.ASSETS once per isolate and hands back the same bytes", async () => {
    const fetch = vi.fn((input: string) => env.ASSETS.fetch(input));
    const loader = assetFontLoader({ fetch });

    const first = await loader.loadCjk();
    const second = await loader.loadCjk();

    expect(first.byteLength).toBeGreaterThan(1_000_000);
    expect(second).toBe(first);
    expect(fetch.mock.calls.length).toBeLessThanOrEqual(1); // 0 if an earlier test already read it
  });
});
