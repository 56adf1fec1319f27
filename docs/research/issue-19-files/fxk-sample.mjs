import { FacturX, totalsCalculator, COUNTRY_ID_CODES, CURRENCY_CODES, DOCUMENT_TYPE_CODES, PAYMENT_MEANS_CODES, TAX_CATEGORY_CODES, UNIT_CODES } from 'factur-x-kit';
import fs from 'node:fs';
const input = {
  document: { id: 'INV-2026-000042', type: DOCUMENT_TYPE_CODES.COMMERCIAL_INVOICE, dateOfIssue: { year: 2026, month: 11, day: 29 }, currency: CURRENCY_CODES.Euro, notes: [{ content: 'Paid by card via Stripe (pi_123).' }] },
  seller: { name: 'Demo Coffee Roasters GmbH', postalAddress: { postcode: '10115', addressLineOne: 'Röstereistraße 1', city: 'Berlin', country: COUNTRY_ID_CODES.GERMANY }, taxIdentification: { vatId: 'DE000000000' } },
  buyer: { name: 'Łukasz Żółć', postalAddress: { postcode: '00-001', addressLineOne: 'ul. Długa 1', city: 'Warszawa', country: COUNTRY_ID_CODES.POLAND } },
  delivery: { deliveryDate: { year: 2026, month: 11, day: 28 } },
  paymentInformation: { paymentMeans: [{ paymentType: PAYMENT_MEANS_CODES.Credit_card }] },
  totals: { prepaidAmount: 35.01 },
  invoiceLines: [
    { generalLineData: { lineId: '1' }, productDescription: { name: 'Book' }, productPriceAgreement: { productPricing: { basisPricePerItem: 18.69 } }, delivery: { itemQuantity: { quantity: 1, unit: UNIT_CODES.ONE } }, settlement: { tax: { categoryCode: TAX_CATEGORY_CODES.STANDARD_RATE, rateApplicablePercent: 7 } } },
    { generalLineData: { lineId: '2' }, productDescription: { name: 'Mug' }, productPriceAgreement: { productPricing: { basisPricePerItem: 12.61 } }, delivery: { itemQuantity: { quantity: 1, unit: UNIT_CODES.ONE } }, settlement: { tax: { categoryCode: TAX_CATEGORY_CODES.STANDARD_RATE, rateApplicablePercent: 19 } } },
  ],
};
const data = totalsCalculator(input);
console.log(JSON.stringify(data.totals ?? data.monetarySummation ?? Object.keys(data)));
const fx = await FacturX.fromObject(data);
console.log('validate', JSON.stringify(fx.validate()).slice(0, 300));
const xml = await fx.getXML();
fs.writeFileSync('out/fxk.xml', xml);
let t = performance.now();
const pdf = await fx.getPDF({ locale: 'en-US' });
console.log('getPDF (own template) ms', Math.round(performance.now() - t), pdf.length, 'bytes');
fs.writeFileSync('out/fxk.pdf', pdf);
