// The e-invoice as a customer receives it: INVOICE_EINVOICE=factur-x on the real `wrangler dev`
// (the deployed build), orders paid and refunded through Stripe events signed by the real CLI
// (scripts/webhook.mjs), and the PDF taken from what the queue consumer sent to a fake Postmark.
// The XML inside is then checked by code we did not write: the official EN 16931 CII schema and
// Schematron (test/e2e/support/en16931Validator.ts), with zero failed fatal rules; the PDF's own
// metadata must say PDF/A-3B and Factur-X EN 16931.
//
// Two shops: one charging VAT (7 % and 19 %, EUR and JPY, a credit note), one that charges none
// (a §19 UStG small business, category E). Together about two minutes of wrangler start-up.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { pdfText } from "../support/pdfText";
import { validateEn16931 } from "./support/en16931Validator";
import { readFacturX } from "./support/facturXPdf";
import { startFakePostmarkServer, type FakePostmarkServer } from "./support/fakePostmarkServer";
import { runProcess } from "./support/runProcess";
import { HANG_MS, queryD1, ROOT, startSeededWranglerDev, waitUntil, writeEnvFile, type WranglerDev, WRANGLER_ENV } from "./support/wranglerDev";

// Obviously fake values: nothing here is a real credential or a real tax id.
const POSTMARK_TOKEN = "e2e-fake-postmark-server-token";
const WEBHOOK_KEY = "e2e-fake-webhook-key-not-a-real-secret";
const STRIPE_SECRET = "whsec_e2e_FAKE_stripe_000000000000000000";
const TAX_NOTE = "No VAT charged: small business under §19 UStG";

const demo = (await import(pathToFileURL(path.join(ROOT, "scripts", "lib", "demoData.mjs")).href)) as {
  DEMO_ORDERS: { id: string; order_number: number; customer_email: string; customer_name: string }[];
};
// 1001 Ada: 2 x Espresso beans 24.90 (7 % here) + 1 x Paper filters 6.50 (19 %) = 56.30 EUR.
const ADA = demo.DEMO_ORDERS[0]!;
// 1002 Łukasz: Ceramic dripper 32.00 + 2 x Paper filters 6.50 = 45.00, in the tax-free shop.
const LUKASZ = demo.DEMO_ORDERS[1]!;
// 1003 山田太郎: Gooseneck kettle, made a JPY order: ¥5,900.
const TARO = demo.DEMO_ORDERS[2]!;
// 1005 Αλέξανδρος: no billing address at all.
const ALEX = demo.DEMO_ORDERS[4]!;

interface Shop {
  fake: FakePostmarkServer;
  dev: WranglerDev;
  tempDir: string;
  persistTo: string;
  envFile: string;
}

async function startShop(vars: Record<string, string>): Promise<Shop> {
  const fake = await startFakePostmarkServer({ token: POSTMARK_TOKEN });
  const tempDir = mkdtempSync(path.join(tmpdir(), "e2e-einvoice-"));
  const persistTo = path.join(tempDir, "state");
  const envFile = path.join(tempDir, "e2e.env");
  writeEnvFile(envFile, {
    WEBHOOK_SECRET: WEBHOOK_KEY,
    STRIPE_WEBHOOK_SECRET: STRIPE_SECRET,
    POSTMARK_SERVER_TOKEN: POSTMARK_TOKEN,
    POSTMARK_API_URL: fake.url,
    INVOICE_FROM_EMAIL: "invoices@shop.example",
    SELLER_NAME: "Example Coffee GmbH",
    SELLER_ADDRESS: "Kaffeestraße 1|10115 Berlin",
    SELLER_COUNTRY: "DE",
    SELLER_TAX_NUMBER: "12/345/67890",
    SELLER_REGISTER: "Amtsgericht Charlottenburg HRB 000000 B",
    INVOICE_EINVOICE: "factur-x",
    LOG_LEVEL: "info",
    ...vars,
  });
  const dev = await startSeededWranglerDev({ persistTo, envFile, readinessPath: "/api/webhooks/payment/", readyTimeoutMs: HANG_MS });
  return { fake, dev, tempDir, persistTo, envFile };
}

async function stopShop(shop: Shop | undefined) {
  await shop?.dev.stop();
  await shop?.fake.close();
  if (shop) rmSync(shop.tempDir, { recursive: true, force: true });
}

/** scripts/webhook.mjs: a Stripe event signed with the official stripe package. */
async function stripe(shop: Shop, orderId: string, ...args: string[]) {
  const { code, stdout, stderr } = await runProcess(
    process.execPath,
    [path.join(ROOT, "scripts", "webhook.mjs"), orderId, ...args, "--stripe", "--url", `${shop.dev.url}/api/webhooks/stripe`, "--persist-to", shop.persistTo],
    { cwd: ROOT, env: { ...WRANGLER_ENV, DEV_VARS_PATH: shop.envFile, NO_COLOR: "1" }, timeoutMs: HANG_MS },
  );
  expect(code, stdout + stderr).toBe(0);
  return stdout + stderr;
}

/** The PDF attached to the `nth` email (0-based) Postmark accepted for that address. */
async function pdfSentTo(shop: Shop, email: string, nth = 0): Promise<{ name: string; bytes: Uint8Array }> {
  expect(await waitUntil(() => shop.fake.sentTo(email).length > nth, HANG_MS, 200)).toBe(true);
  const attachment = shop.fake.sentTo(email)[nth]!.body!.Attachments![0]!;
  return { name: attachment.Name, bytes: Buffer.from(attachment.Content, "base64") };
}

/** What every e-invoice PDF must carry, and its XML validated; returns the XML. */
async function expectFacturX(bytes: Uint8Array): Promise<string> {
  const contents = await readFacturX(bytes);
  expect(contents.fileNames).toEqual(["factur-x.xml"]);
  expect(contents.afRelationship).toBe("/Alternative");
  expect(contents.inCatalogAF).toBe(true);
  expect(contents.subtype).toMatch(/^\/text#2[fF]xml$/);
  expect(contents.header).toMatch(/^%PDF-1\.7/);
  // XMP: PDF/A-3B and the Factur-X extension schema with the EN 16931 profile.
  expect(contents.xmp).toMatch(/pdfaid:part(>|=")3/);
  expect(contents.xmp).toMatch(/pdfaid:conformance(>|=")B/);
  expect(contents.xmp).toContain("urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#");
  expect(contents.xmp).toMatch(/<fx:ConformanceLevel>EN 16931<\/fx:ConformanceLevel>/);
  expect(contents.xmp).toMatch(/<fx:DocumentFileName>factur-x\.xml<\/fx:DocumentFileName>/);
  expect(contents.outputIntents).toEqual([{ s: "/GTS_PDFA1", n: 3 }]);
  const report = await validateEn16931(contents.xml!);
  expect(report.schemaErrors).toEqual([]);
  expect(report.rules.filter((r) => r.flag === "fatal")).toEqual([]);
  return contents.xml!;
}

const between = (xml: string, tag: string) => [...xml.matchAll(new RegExp(`<ram:${tag}[^>]*>([^<]*)</ram:${tag}>`, "g"))].map((m) => m[1]);

describe("a shop that charges VAT: INVOICE_EINVOICE=factur-x", () => {
  let shop: Shop | undefined;
  let adaInvoice = "";

  beforeAll(async () => {
    shop = await startShop({ INVOICE_TAX_RATE_PERCENT: "19" });
    await queryD1(
      shop.persistTo,
      `UPDATE products SET tax_rate_bp = 700 WHERE id = 1;
       UPDATE orders SET billing_line1 = 'Unter den Linden 1', billing_postal_code = '10117', billing_city = 'Berlin', billing_country = 'DE' WHERE id = '${ADA.id}';
       UPDATE orders SET currency = 'JPY', billing_line1 = '千代田1-1', billing_postal_code = '100-0001', billing_city = '東京都千代田区', billing_country = 'JP' WHERE id = '${TARO.id}';`,
    );
  }, HANG_MS * 2);
  afterAll(() => stopShop(shop), 60_000);
  beforeEach(({ onTestFailed }) => {
    onTestFailed(() => console.error(`--- wrangler dev output (tail) ---\n${shop?.dev.output().slice(-8_000) ?? "(not started)"}`));
  });

  it("emails a mixed-rate invoice (7 % and 19 %) whose embedded EN 16931 XML passes the official schema and rules", async () => {
    expect(await stripe(shop!, ADA.id, "paid")).toContain('"outcome": "confirmed"');
    const { name, bytes } = await pdfSentTo(shop!, ADA.customer_email);
    adaInvoice = name.replace(/^invoice-|\.pdf$/g, "");
    const xml = await expectFacturX(bytes);
    expect(between(xml, "ID")[1]).toBe(adaInvoice);
    expect(between(xml, "TypeCode")).toContain("380");
    // Per rate, as the page prints them: 7 %: 49.80 gross = 46.54 + 3.26; 19 %: 6.50 = 5.46 + 1.04.
    expect(between(xml, "RateApplicablePercent")).toEqual(expect.arrayContaining(["7", "19"]));
    expect(between(xml, "BasisAmount").sort()).toEqual(["46.54", "5.46"]);
    expect(between(xml, "CalculatedAmount").sort()).toEqual(["1.04", "3.26"]);
    expect(between(xml, "GrandTotalAmount")).toEqual(["56.30"]);
    expect(between(xml, "DuePayableAmount")).toEqual(["0.00"]);
    expect(xml).toMatch(/Paid on \d{4}-\d{2}-\d{2} via Stripe \(pi_/);
    expect(xml).toContain(`<ram:Name>${ADA.customer_name}</ram:Name>`);
    // The page a person reads says the same amounts (a hybrid invoice's two halves must agree).
    const page = await pdfText(bytes);
    for (const amount of ["46.54", "3.26", "5.46", "1.04", "56.30"]) expect(page).toContain(`€${amount}`);
  });

  it("emails a credit note for a partial refund: type 381, naming the invoice it corrects", async () => {
    expect(await stripe(shop!, ADA.id, "refund", "--amount-cents", "500")).toContain('"outcome": "refund_recorded"');
    const { name, bytes } = await pdfSentTo(shop!, ADA.customer_email, 1);
    expect(name).toMatch(/^credit-note-CN-/);
    const xml = await expectFacturX(bytes);
    expect(between(xml, "TypeCode")).toContain("381");
    expect(between(xml, "IssuerAssignedID")).toEqual([adaInvoice]);
    expect(between(xml, "GrandTotalAmount")).toEqual(["5.00"]);
  });

  it("emails a JPY invoice (no minor unit) to a Japanese name and address", async () => {
    expect(await stripe(shop!, TARO.id, "paid")).toContain('"outcome": "confirmed"');
    const { bytes } = await pdfSentTo(shop!, TARO.customer_email);
    const xml = await expectFacturX(bytes);
    expect(between(xml, "InvoiceCurrencyCode")).toEqual(["JPY"]);
    expect(between(xml, "GrandTotalAmount")).toEqual(["5900"]);
    expect(xml).toContain(`<ram:Name>${TARO.customer_name}</ram:Name>`);
    expect(xml).toContain("<ram:CityName>東京都千代田区</ram:CityName>");
    expect(await pdfText(bytes)).toMatch(/¥5,900/);
  });

  it("sends the plain PDF, without XML, for an order with no billing country (EN 16931 needs one)", async () => {
    expect(await stripe(shop!, ALEX.id, "paid")).toContain('"outcome": "confirmed"');
    const { bytes } = await pdfSentTo(shop!, ALEX.customer_email);
    const contents = await readFacturX(bytes);
    expect(contents.fileNames).toEqual([]);
    expect(contents.xmp).not.toContain("pdfaid");
  });
});

describe("a shop that charges no VAT (INVOICE_TAX_NOTE): category E with the note as the reason", () => {
  let shop: Shop | undefined;

  beforeAll(async () => {
    shop = await startShop({ INVOICE_TAX_NOTE: TAX_NOTE });
    await queryD1(
      shop.persistTo,
      `UPDATE orders SET billing_company = 'Kawiarnia Łódź Sp. z o.o.', billing_line1 = 'ul. Piotrkowska 1', billing_postal_code = '90-001',
         billing_city = 'Łódź', billing_country = 'PL' WHERE id = '${LUKASZ.id}';`,
    );
  }, HANG_MS * 2);
  afterAll(() => stopShop(shop), 60_000);
  beforeEach(({ onTestFailed }) => {
    onTestFailed(() => console.error(`--- wrangler dev output (tail) ---\n${shop?.dev.output().slice(-8_000) ?? "(not started)"}`));
  });

  it("emails an invoice whose XML says exempt (E), with the tax note as the exemption reason", async () => {
    expect(await stripe(shop!, LUKASZ.id, "paid")).toContain('"outcome": "confirmed"');
    const { bytes } = await pdfSentTo(shop!, LUKASZ.customer_email);
    const xml = await expectFacturX(bytes);
    expect([...new Set(between(xml, "CategoryCode"))]).toEqual(["E"]);
    expect(between(xml, "ExemptionReason")).toEqual([TAX_NOTE]);
    expect(between(xml, "TaxTotalAmount")).toEqual(["0.00"]);
    expect(between(xml, "GrandTotalAmount")).toEqual(["45.00"]);
    expect(xml).toContain("<ram:Name>Kawiarnia Łódź Sp. z o.o.</ram:Name>");
    expect(await pdfText(bytes)).toContain(TAX_NOTE);
  });
});
