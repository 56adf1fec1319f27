// Where the invoice fonts come from, and the per-isolate cache that keeps them parsed.
//
// The primary font (a DejaVu Sans subset, ~130 KB) is bundled into the Worker script as a
// Data module. The CJK fallback (~3.6 MB) would push the script past the platform's size
// limit, so it is a Workers Static Asset, fetched only for texts that need it. Both files
// are made by scripts/fonts/build-invoice-fonts.sh.
import fontkit, { type Font } from "@cantoo/fontkit";
import type { PDFDocument } from "@cantoo/pdf-lib";
import primaryFontBytes from "../../../assets/fonts/DejaVuSans-invoice.ttf";

export interface FontLoader {
  /** bytes of the CJK fallback font, fetched only when a text needs it */
  loadCjk(): Promise<ArrayBuffer>;
}

type Fontkit = Parameters<PDFDocument["registerFontkit"]>[0];
export type ParsedFont = Font;

/** fontkit v2 may return a collection (.ttc); the invoice fonts are single faces. */
function single(font: unknown): Font {
  if (!font || typeof font !== "object" || "fonts" in font) throw new Error("expected a single font face, got a font collection");
  return font as Font;
}

/** Path of the CJK fallback under the `[assets]` directory of wrangler.toml. */
export const CJK_FONT_ASSET_PATH = "/fonts/WenQuanYiMicroHei-cjk.ttf";

/**
 * The production FontLoader: reads the CJK font through the Workers Static Assets
 * binding (env.ASSETS). The bytes are kept for the life of the isolate; only the bytes,
 * never a pending promise, because workerd forbids one request from awaiting I/O that
 * another request started.
 */
export function assetFontLoader(assets: { fetch(input: string): Promise<Response> }): FontLoader {
  return {
    async loadCjk() {
      if (cjkBytes) return cjkBytes;
      const response = await assets.fetch(`https://assets.local${CJK_FONT_ASSET_PATH}`);
      if (!response.ok) {
        throw new Error(
          `CJK invoice font ${CJK_FONT_ASSET_PATH} answered ${response.status} from the ASSETS binding; ` +
            `is [assets] directory = "./assets" in wrangler.toml and the file committed?`,
        );
      }
      cjkBytes = await response.arrayBuffer();
      return cjkBytes;
    },
  };
}
let cjkBytes: ArrayBuffer | undefined;

// Parsing a font costs far more than drawing an invoice, so each distinct font file is
// parsed once per isolate. Keyed by the ArrayBuffer: the bundled font is one module-level
// buffer and assetFontLoader hands out the same buffer every time.
const parsedFonts = new WeakMap<ArrayBufferLike, ParsedFont>();

function parse(bytes: Uint8Array): ParsedFont {
  let font = parsedFonts.get(bytes.buffer);
  if (!font) {
    font = single(fontkit.create(bytes));
    parsedFonts.set(bytes.buffer, font);
  }
  return font;
}

/**
 * Handed to PDFDocument.registerFontkit: pdf-lib calls create() on every embedFont, and
 * this answers from the cache. Sharing a parsed font between documents is safe: pdf-lib
 * makes a new subset per document and fontkit's shared state is only its glyph caches.
 */
export const cachingFontkit: Fontkit = { create: (bytes) => parse(bytes) };

export interface LoadedFont {
  bytes: Uint8Array;
  font: ParsedFont;
}

let primary: LoadedFont | undefined;

// Parsed on first use rather than at import, so requests that never render an invoice
// pay nothing at Worker start-up.
export function primaryFont(): LoadedFont {
  if (!primary) {
    const bytes = new Uint8Array(primaryFontBytes);
    primary = { bytes, font: parse(bytes) };
  }
  return primary;
}

export function fallbackFont(bytes: ArrayBuffer): LoadedFont {
  const view = new Uint8Array(bytes);
  return { bytes: view, font: parse(view) };
}
