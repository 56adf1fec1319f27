import { PDFDocument } from 'pdf-lib';
import fontkit from '@pdf-lib/fontkit';
import fs from 'node:fs';
export async function makePdf() {
  const doc = await PDFDocument.create();
  doc.registerFontkit(fontkit);
  const font = await doc.embedFont(fs.readFileSync('/work/main/assets/fonts/DejaVuSans-invoice.ttf'), { subset: true });
  const page = doc.addPage([595.28, 841.89]);
  page.drawText('Invoice INV-2026-000042 — Łukasz Żółć — total 35.00 EUR', { x: 50, y: 700, font, size: 12 });
  return doc.save();
}
