import { zugferd } from 'node-zugferd';
import { EN16931 } from 'node-zugferd/profile/en16931';
import fs from 'node:fs';
import { data } from './nzf-data.mjs';
const inv = zugferd({ profile: EN16931, strict: false, logger: { disabled: true } });
// 1. Small business, no VAT (§19 UStG): category E with exemption reason
const e = structuredClone(data);
for (const l of e.transaction.line) { l.tradeSettlement.tradeTax = { typeCode: 'VAT', categoryCode: 'E', rateApplicablePercent: '0' }; }
e.transaction.line[0].tradeAgreement.netTradePrice.chargeAmount = '20.00'; e.transaction.line[0].tradeSettlement.monetarySummation.lineTotalAmount = '20.00';
e.transaction.line[1].tradeAgreement.netTradePrice.chargeAmount = '15.00'; e.transaction.line[1].tradeSettlement.monetarySummation.lineTotalAmount = '15.00';
e.transaction.tradeSettlement.vatBreakdown = [{ calculatedAmount: '0.00', typeCode: 'VAT', basisAmount: '35.00', categoryCode: 'E', rateApplicablePercent: '0', exemptionReasonText: 'Kein Ausweis von Umsatzsteuer, da Kleinunternehmer gemäß § 19 UStG' }];
e.transaction.tradeSettlement.monetarySummation = { lineTotalAmount: '35.00', taxBasisTotalAmount: '35.00', taxTotal: { currencyCode: 'EUR', amount: '0.00' }, grandTotalAmount: '35.00', paidAmount: '35.00', duePayableAmount: '0.00' };
fs.writeFileSync('out/nzf-exempt.xml', await inv.create(e).toXML());
// 2. JPY (no minor unit), seller in DE: VAT in EUR must also be stated (BT-6/BT-111)
const j = structuredClone(data);
j.transaction.tradeSettlement.currencyCode = 'JPY';
j.transaction.line[0].tradeAgreement.netTradePrice.chargeAmount = '3000'; j.transaction.line[0].tradeSettlement.monetarySummation.lineTotalAmount = '3000';
j.transaction.line[1].tradeAgreement.netTradePrice.chargeAmount = '2000'; j.transaction.line[1].tradeSettlement.monetarySummation.lineTotalAmount = '2000';
j.transaction.tradeSettlement.vatBreakdown = [
  { calculatedAmount: '210', typeCode: 'VAT', basisAmount: '3000', categoryCode: 'S', rateApplicablePercent: '7' },
  { calculatedAmount: '380', typeCode: 'VAT', basisAmount: '2000', categoryCode: 'S', rateApplicablePercent: '19' }];
j.transaction.tradeSettlement.monetarySummation = { lineTotalAmount: '5000', taxBasisTotalAmount: '5000', taxTotal: { currencyCode: 'JPY', amount: '590' }, grandTotalAmount: '5590', paidAmount: '5590', duePayableAmount: '0' };
fs.writeFileSync('out/nzf-jpy.xml', await inv.create(j).toXML());
