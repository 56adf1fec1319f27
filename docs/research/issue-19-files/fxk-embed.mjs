import { FacturX } from 'factur-x-kit';
import fs from 'node:fs';
import { makePdf } from './mkpdf.mjs';
const xml = fs.readFileSync('out/fxk.xml');
const fx = await FacturX.fromXML(xml);
const base = await makePdf();
for (let i = 0; i < 3; i++) {
  const t = performance.now();
  const pdf = await fx.getPDF({ existingNonConformantPdf: base });
  console.log('embed into existing pdf ms', Math.round(performance.now() - t), pdf.length);
  fs.writeFileSync('out/fxk-embed.pdf', pdf);
}
