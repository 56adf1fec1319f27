// What a Factur-X reader takes out of a PDF: the embedded file named in the catalog's
// EmbeddedFiles and /AF, its relationship and subtype, and the XMP metadata packet.
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFRawStream, PDFString, PDFHexString, decodePDFRawStream } from "@cantoo/pdf-lib";

export interface FacturXContents {
  /** the names of the embedded files (EmbeddedFiles name tree, flat) */
  fileNames: string[];
  /** the XML of factur-x.xml, decoded as UTF-8 */
  xml: string | undefined;
  /** /AFRelationship of factur-x.xml's file specification, e.g. "/Alternative" */
  afRelationship: string | undefined;
  /** whether the catalog's /AF array lists that file specification */
  inCatalogAF: boolean;
  /** /Subtype of the embedded stream, e.g. "/text#2Fxml" */
  subtype: string | undefined;
  /** the catalog's XMP packet as text */
  xmp: string;
  /** the catalog's /OutputIntents: their /S and /N of the ICC profile */
  outputIntents: { s: string; n: number | undefined }[];
  header: string;
}

const text = (value: unknown) => (value instanceof PDFString || value instanceof PDFHexString ? value.decodeText() : String(value));

export async function readFacturX(bytes: Uint8Array): Promise<FacturXContents> {
  const pdf = await PDFDocument.load(bytes, { updateMetadata: false });
  const catalog = pdf.catalog;
  const fileNames: string[] = [];
  let xml: string | undefined;
  let afRelationship: string | undefined;
  let subtype: string | undefined;
  let spec: PDFDict | undefined;
  const names = catalog.lookupMaybe(PDFName.of("Names"), PDFDict)?.lookupMaybe(PDFName.of("EmbeddedFiles"), PDFDict);
  const pairs = names?.lookupMaybe(PDFName.of("Names"), PDFArray);
  for (let i = 0; pairs && i + 1 < pairs.size(); i += 2) {
    const name = text(pairs.lookup(i));
    fileNames.push(name);
    if (name !== "factur-x.xml") continue;
    spec = pairs.lookup(i + 1, PDFDict);
    afRelationship = spec.get(PDFName.of("AFRelationship"))?.toString();
    const stream = spec.lookup(PDFName.of("EF"), PDFDict).lookup(PDFName.of("F")) as PDFRawStream;
    subtype = stream.dict.get(PDFName.of("Subtype"))?.toString();
    xml = new TextDecoder().decode(decodePDFRawStream(stream).decode());
  }
  const af = catalog.lookupMaybe(PDFName.of("AF"), PDFArray);
  const inCatalogAF = !!spec && !!af && af.asArray().some((ref) => pdf.context.lookup(ref) === spec);
  const metadata = catalog.lookup(PDFName.of("Metadata")) as PDFRawStream | undefined;
  const xmp = metadata ? new TextDecoder().decode(decodePDFRawStream(metadata).decode()) : "";
  const intents = catalog.lookupMaybe(PDFName.of("OutputIntents"), PDFArray);
  const outputIntents = (intents?.asArray() ?? []).map((ref) => {
    const intent = pdf.context.lookup(ref, PDFDict);
    const profile = intent.lookup(PDFName.of("DestOutputProfile")) as PDFRawStream | undefined;
    const n = profile?.dict.get(PDFName.of("N"))?.toString();
    return { s: intent.get(PDFName.of("S"))?.toString() ?? "", n: n === undefined ? undefined : Number(n) };
  });
  return { fileNames, xml, afRelationship, inCatalogAF, subtype, xmp, outputIntents, header: String.fromCharCode(...bytes.subarray(0, 8)) };
}
