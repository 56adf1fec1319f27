import { zugferd } from 'node-zugferd';
import { EN16931 } from 'node-zugferd/profile/en16931';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import fs from 'node:fs';
const invoicer = zugferd({ profile: EN16931, strict: false });
// Mixed basket, prices incl. VAT: book 20.00 gross at 7 %, mug 15.00 gross at 19 %.
// net per line: 20/1.07 = 18.69 ; 15/1.19 = 12.61 ; tax per rate = gross - net: 1.31, 2.39
export const data = {
  number: 'INV-2026-000042', typeCode: '380', issueDate: new Date('2026-11-29'),
  includedNote: [{ content: 'Paid by card via Stripe (pi_123). Thank you.' }],
  transaction: {
    line: [
      { identifier: '1', tradeProduct: { name: 'Book "Kaffee"' },
        tradeAgreement: { netTradePrice: { chargeAmount: '18.69' } },
        tradeDelivery: { billedQuantity: { amount: 1, unitMeasureCode: 'H87' } },
        tradeSettlement: { tradeTax: { typeCode: 'VAT', categoryCode: 'S', rateApplicablePercent: '7' }, monetarySummation: { lineTotalAmount: '18.69' } } },
      { identifier: '2', tradeProduct: { name: 'Mug Łódź 山田' },
        tradeAgreement: { netTradePrice: { chargeAmount: '12.61' } },
        tradeDelivery: { billedQuantity: { amount: 1, unitMeasureCode: 'H87' } },
        tradeSettlement: { tradeTax: { typeCode: 'VAT', categoryCode: 'S', rateApplicablePercent: '19' }, monetarySummation: { lineTotalAmount: '12.61' } } },
    ],
    tradeAgreement: {
      seller: { name: 'Demo Coffee Roasters GmbH', postalAddress: { postCode: '10115', line1: 'Röstereistraße 1', city: 'Berlin', countryCode: 'DE' }, taxRegistration: { vatIdentifier: 'DE000000000' } },
      buyer: { name: 'Łukasz Żółć', postalAddress: { postCode: '00-001', line1: 'ul. Długa 1', city: 'Warszawa', countryCode: 'PL' } },
    },
    tradeDelivery: { information: { deliveryDate: new Date('2026-11-28') } },
    tradeSettlement: {
      currencyCode: 'EUR',
      paymentInstruction: { typeCode: '54' },
      vatBreakdown: [
        { calculatedAmount: '1.31', typeCode: 'VAT', basisAmount: '18.69', categoryCode: 'S', rateApplicablePercent: '7' },
        { calculatedAmount: '2.39', typeCode: 'VAT', basisAmount: '12.61', categoryCode: 'S', rateApplicablePercent: '19' },
      ],
      monetarySummation: { lineTotalAmount: '31.30', taxBasisTotalAmount: '31.30', taxTotal: { currencyCode: 'EUR', amount: '3.70' }, grandTotalAmount: '35.00', paidAmount: '35.00', duePayableAmount: '0.00' },
    },
  },
};
const invoice = invoicer.create(data);
const xml = await invoice.toXML();
fs.writeFileSync('out/nzf.xml', xml);
const doc = await PDFDocument.create();
const font = await doc.embedFont(StandardFonts.Helvetica);
doc.addPage().drawText('Invoice INV-2026-000042 total 35.00 EUR', { x: 50, y: 700, font, size: 12 });
const pdf = await doc.save();
const t = performance.now();
const pdfA = await invoice.embedInPdf(pdf, { metadata: { title: 'Invoice INV-2026-000042' } });
console.log('embed ms', Math.round(performance.now() - t));
fs.writeFileSync('out/nzf.pdf', pdfA);
console.log(xml.length, 'chars xml;', pdfA.length, 'bytes pdf');
