// A credit note's PDF: its layout drawn by the invoice renderer, so both documents look alike.
import { layoutCreditNote, type CreditNoteDocument } from "./layoutCreditNote";
import { renderLayoutPdf, type FontLoader, type PdfFinisher } from "./renderInvoicePdf";

export type { CreditNoteDocument } from "./layoutCreditNote";

export function renderCreditNotePdf(doc: CreditNoteDocument, fonts: FontLoader, finish?: PdfFinisher): Promise<Uint8Array> {
  return renderLayoutPdf(layoutCreditNote(doc), fonts, finish);
}
