// The invoice (or credit note) as EN 16931 Cross Industry Invoice XML, the Factur-X /
// ZUGFeRD "EN 16931" profile (urn:cen.eu:en16931:2017), written as a string: no XML library
// (the candidates need nodejs_compat or cannot load in workerd, docs/einvoice.md) and no Node
// built-in, so it runs in the Worker as it is.
//
// Invariants the official rules check (test/e2e/einvoice-*.e2e.ts runs them):
// - every amount is an integer in the currency's minor unit until it is printed here, so the
//   sums below are exact (BR-CO-10, -13, -15, -16 allow no rounding);
// - a rate's basis is exactly the sum of its lines' nets (BR-S-08, BR-Z-08, BR-E-08): the
//   caller gives the lines' nets and each rate's net and tax from the one tax computation the
//   PDF prints (src/documents/taxSummary.ts), and checkSums refuses any that do not add up;
// - element order follows the CII D16B schema (the XSD refuses any other order).
import { minorUnitDigits } from "../../payments/money";
import type { TaxCategory } from "../taxSummary";

/** VAT categories of EN 16931 this shop issues: standard rate, zero rate, exempt. */
export type VatCategory = TaxCategory;

export interface EInvoiceParty {
  name: string;
  /** street lines, at most three are kept (BT-35..37 / BT-50..52) */
  addressLines: string[];
  postalCode?: string;
  city?: string;
  /** ISO 3166-1 alpha-2, required by EN 16931 (BR-9, BR-11) */
  countryCode: string;
  vatId?: string;
  email?: string;
}

export interface EInvoiceSeller extends EInvoiceParty {
  /** the local tax number (Steuernummer), BT-32 */
  taxNumber?: string;
  /** register entry, e.g. "HRB 12345, Amtsgericht Berlin": a note with subject REG */
  registerEntry?: string;
}

export interface EInvoiceLine {
  description: string;
  quantity: number;
  category: VatCategory;
  /** rate in basis points (1900 = 19 %); 0 for Z and E */
  rateBp: number;
  /** the line's net (BT-131); a rate's lines add up to that rate's netMinor */
  netMinor: number;
}

export interface EInvoiceTax {
  category: VatCategory;
  rateBp: number;
  netMinor: number;
  taxMinor: number;
  /** BT-120, required for E: e.g. "No VAT charged under §19 UStG" */
  exemptionReason?: string;
}

export interface EInvoice {
  /** 380 invoice, 381 credit note */
  typeCode: "380" | "381";
  number: string;
  /** YYYY-MM-DD */
  issueDate: string;
  /** YYYY-MM-DD, the date of supply (BT-72) */
  supplyDate?: string;
  /** the invoice a credit note corrects (BG-3) */
  precedingInvoice?: { number: string; issueDate: string };
  currency: string;
  seller: EInvoiceSeller;
  buyer: EInvoiceParty;
  lines: EInvoiceLine[];
  taxes: EInvoiceTax[];
  /** the amount already paid (BT-113); the rest is due */
  paidMinor: number;
  /** UNTDID 4461 payment means: "48" bank card, "1" not defined */
  paymentMeansCode?: string;
  /** free texts (BT-22): how it was paid, the provider's reference, a tax note */
  notes: string[];
}

export const EN16931_GUIDELINE = "urn:cen.eu:en16931:2017";

/** The CII XML of an invoice or credit note. Throws on an input no EN 16931 invoice can say. */
export function buildFacturXml(invoice: EInvoice): string {
  const digits = minorUnitDigits(invoice.currency);
  const amount = (minor: number) => formatMinor(minor, digits);
  checkSums(invoice.lines, invoice.taxes);
  const lineNets = invoice.lines.map((line) => line.netMinor);
  const netTotal = sum(invoice.taxes.map((t) => t.netMinor));
  const taxTotal = sum(invoice.taxes.map((t) => t.taxMinor));
  const grandTotal = netTotal + taxTotal;

  const lines = invoice.lines.map(
    (line, index) => `
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:AssociatedDocumentLineDocument><ram:LineID>${index + 1}</ram:LineID></ram:AssociatedDocumentLineDocument>
      <ram:SpecifiedTradeProduct><ram:Name>${text(line.description)}</ram:Name></ram:SpecifiedTradeProduct>
      <ram:SpecifiedLineTradeAgreement>
        <ram:NetPriceProductTradePrice><ram:ChargeAmount>${unitPrice(lineNets[index]!, line.quantity, digits)}</ram:ChargeAmount></ram:NetPriceProductTradePrice>
      </ram:SpecifiedLineTradeAgreement>
      <ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode="H87">${line.quantity}</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery>
      <ram:SpecifiedLineTradeSettlement>
        <ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>${line.category}</ram:CategoryCode><ram:RateApplicablePercent>${percent(line.rateBp)}</ram:RateApplicablePercent></ram:ApplicableTradeTax>
        <ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>${amount(lineNets[index]!)}</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation>
      </ram:SpecifiedLineTradeSettlement>
    </ram:IncludedSupplyChainTradeLineItem>`,
  );

  for (const tax of invoice.taxes) {
    if (tax.category === "E" && !tax.exemptionReason?.trim()) throw new Error("e-invoice: an exempt rate needs its reason (BT-120), the tax note");
  }
  const taxes = invoice.taxes.map(
    (tax) => `
      <ram:ApplicableTradeTax>
        <ram:CalculatedAmount>${amount(tax.taxMinor)}</ram:CalculatedAmount>
        <ram:TypeCode>VAT</ram:TypeCode>${tax.category === "E" ? `
        <ram:ExemptionReason>${text(tax.exemptionReason ?? "")}</ram:ExemptionReason>` : ""}
        <ram:BasisAmount>${amount(tax.netMinor)}</ram:BasisAmount>
        <ram:CategoryCode>${tax.category}</ram:CategoryCode>
        <ram:RateApplicablePercent>${percent(tax.rateBp)}</ram:RateApplicablePercent>
      </ram:ApplicableTradeTax>`,
  );

  const includedNotes = [
    ...invoice.notes.map((note) => `
    <ram:IncludedNote><ram:Content>${text(note)}</ram:Content></ram:IncludedNote>`),
    ...(invoice.seller.registerEntry
      ? [`
    <ram:IncludedNote><ram:Content>${text(invoice.seller.registerEntry)}</ram:Content><ram:SubjectCode>REG</ram:SubjectCode></ram:IncludedNote>`]
      : []),
  ];

  return `<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100" xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocumentContext>
    <ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>${EN16931_GUIDELINE}</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument>
    <ram:ID>${text(invoice.number)}</ram:ID>
    <ram:TypeCode>${invoice.typeCode}</ram:TypeCode>
    <ram:IssueDateTime>${date(invoice.issueDate)}</ram:IssueDateTime>${includedNotes.join("")}
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>${lines.join("")}
    <ram:ApplicableHeaderTradeAgreement>
      <ram:SellerTradeParty>${party(invoice.seller, sellerIds(invoice.seller))}${taxRegistrations(invoice.seller)}
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty>${party(invoice.buyer)}${invoice.buyer.vatId ? `
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">${text(invoice.buyer.vatId)}</ram:ID></ram:SpecifiedTaxRegistration>` : ""}
      </ram:BuyerTradeParty>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery>${invoice.supplyDate ? `
      <ram:ActualDeliverySupplyChainEvent><ram:OccurrenceDateTime>${date(invoice.supplyDate)}</ram:OccurrenceDateTime></ram:ActualDeliverySupplyChainEvent>` : ""}
    </ram:ApplicableHeaderTradeDelivery>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>${text(invoice.currency)}</ram:InvoiceCurrencyCode>${invoice.paymentMeansCode ? `
      <ram:SpecifiedTradeSettlementPaymentMeans><ram:TypeCode>${invoice.paymentMeansCode}</ram:TypeCode></ram:SpecifiedTradeSettlementPaymentMeans>` : ""}${taxes.join("")}
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:LineTotalAmount>${amount(sum(lineNets))}</ram:LineTotalAmount>
        <ram:TaxBasisTotalAmount>${amount(netTotal)}</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="${text(invoice.currency)}">${amount(taxTotal)}</ram:TaxTotalAmount>
        <ram:GrandTotalAmount>${amount(grandTotal)}</ram:GrandTotalAmount>
        <ram:TotalPrepaidAmount>${amount(invoice.paidMinor)}</ram:TotalPrepaidAmount>
        <ram:DuePayableAmount>${amount(grandTotal - invoice.paidMinor)}</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>${invoice.precedingInvoice ? `
      <ram:InvoiceReferencedDocument>
        <ram:IssuerAssignedID>${text(invoice.precedingInvoice.number)}</ram:IssuerAssignedID>
        <ram:FormattedIssueDateTime><qdt:DateTimeString format="102">${compactDate(invoice.precedingInvoice.issueDate)}</qdt:DateTimeString></ram:FormattedIssueDateTime>
      </ram:InvoiceReferencedDocument>` : ""}
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
`;
}

/** The invariants the official rules check on sums, refused here rather than sent broken. */
function checkSums(lines: EInvoiceLine[], taxes: EInvoiceTax[]): void {
  lines.forEach((line, index) => {
    if (!taxes.some((tax) => sameRate(line, tax))) throw new Error(`e-invoice: line ${index + 1} has a VAT rate no total covers`);
  });
  for (const tax of taxes) {
    const lineSum = sum(lines.filter((line) => sameRate(line, tax)).map((line) => line.netMinor));
    if (lineSum !== tax.netMinor) {
      throw new Error(`e-invoice: the lines at VAT ${tax.category} ${percent(tax.rateBp)} % add up to ${lineSum}, the rate's net is ${tax.netMinor}`);
    }
  }
}

const sameRate = (line: EInvoiceLine, tax: EInvoiceTax) => line.category === tax.category && line.rateBp === tax.rateBp;

function party(p: EInvoiceParty, ids: { id?: string; legalId?: string } = {}): string {
  const [one, two, three] = p.addressLines.map((l) => l.trim()).filter(Boolean);
  return `${ids.id ? `
        <ram:ID>${text(ids.id)}</ram:ID>` : ""}
        <ram:Name>${text(p.name)}</ram:Name>${ids.legalId ? `
        <ram:SpecifiedLegalOrganization><ram:ID>${text(ids.legalId)}</ram:ID></ram:SpecifiedLegalOrganization>` : ""}
        <ram:PostalTradeAddress>${p.postalCode ? `
          <ram:PostcodeCode>${text(p.postalCode)}</ram:PostcodeCode>` : ""}${one ? `
          <ram:LineOne>${text(one)}</ram:LineOne>` : ""}${two ? `
          <ram:LineTwo>${text(two)}</ram:LineTwo>` : ""}${three ? `
          <ram:LineThree>${text(three)}</ram:LineThree>` : ""}${p.city ? `
          <ram:CityName>${text(p.city)}</ram:CityName>` : ""}
          <ram:CountryID>${text(p.countryCode)}</ram:CountryID>
        </ram:PostalTradeAddress>${p.email ? `
        <ram:URIUniversalCommunication><ram:URIID schemeID="EM">${text(p.email)}</ram:URIID></ram:URIUniversalCommunication>` : ""}`;
}

/**
 * BR-CO-26: a buyer's software must be able to tell who the seller is, by the seller's VAT id
 * (BT-31), legal registration (BT-30) or an identifier (BT-29). The register entry is BT-30; a
 * small business with neither VAT id nor register entry is known by its tax number, given as
 * BT-29 too (it is also BT-32, which BR-CO-26 does not count).
 */
function sellerIds(seller: EInvoiceSeller): { id?: string; legalId?: string } {
  if (!seller.vatId && !seller.registerEntry && !seller.taxNumber) {
    throw new Error("e-invoice: the seller needs a VAT id, a register entry or a tax number (EN 16931 BR-CO-26)");
  }
  return {
    legalId: seller.registerEntry,
    id: !seller.vatId && !seller.registerEntry ? seller.taxNumber : undefined,
  };
}

function taxRegistrations(seller: EInvoiceSeller): string {
  return `${seller.taxNumber ? `
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="FC">${text(seller.taxNumber)}</ram:ID></ram:SpecifiedTaxRegistration>` : ""}${seller.vatId ? `
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">${text(seller.vatId)}</ram:ID></ram:SpecifiedTaxRegistration>` : ""}`;
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** An integer amount of minor units as a decimal: 1999 → "19.99" (EUR), 1999 → "1999" (JPY). */
export function formatMinor(minor: number, digits: number): string {
  if (!Number.isSafeInteger(minor)) throw new Error(`e-invoice: amount ${minor} is not a whole number of minor units`);
  const sign = minor < 0 ? "-" : "";
  const abs = String(Math.abs(minor)).padStart(digits + 1, "0");
  return digits === 0 ? `${sign}${abs}` : `${sign}${abs.slice(0, -digits)}.${abs.slice(-digits)}`;
}

/** The unit's net price: exact when the line's net divides by the quantity, else to 4 more places. */
function unitPrice(lineNetMinor: number, quantity: number, digits: number): string {
  if (!Number.isInteger(quantity) || quantity <= 0) throw new Error(`e-invoice: quantity ${quantity} is not a positive whole number`);
  if (lineNetMinor % quantity === 0) return formatMinor(lineNetMinor / quantity, digits);
  const scaled = Math.round((lineNetMinor * 10_000) / quantity);
  return formatMinor(scaled, digits + 4).replace(/0+$/, "");
}

/** Basis points as a percentage: 1900 → "19", 750 → "7.5", 0 → "0". */
function percent(bp: number): string {
  return (bp / 100).toString();
}

function compactDate(isoDate: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(isoDate)) throw new Error(`e-invoice: date ${isoDate} is not YYYY-MM-DD`);
  return isoDate.replaceAll("-", "");
}

function date(isoDate: string): string {
  return `<udt:DateTimeString format="102">${compactDate(isoDate)}</udt:DateTimeString>`;
}

/**
 * Text from the shop and its customers as XML character data: markup escaped, and what XML 1.0
 * cannot hold (C0 controls but tab and newlines, lone surrogates, U+FFFE/U+FFFF) dropped.
 */
export function text(value: string): string {
  return value
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}
