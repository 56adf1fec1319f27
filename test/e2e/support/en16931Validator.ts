// An e-invoice checked by code we did not write: the official EN 16931 CII syntax (the UN/CEFACT
// D16B XSD, run by libxml2 compiled to wasm) and the official EN 16931 business rules (the
// CEN Schematron as XSLT 2.0, run by SaxonJS), both from ConnectingEurope/eInvoicing-EN16931
// validation-1.3.16, vendored in vendor/en16931-cii/ with their EUPL licence.
//
// Node only (these tests' pool): SaxonJS and the wasm are test tools, never in the Worker.
// The Schematron runs from its committed SEF (scripts/einvoice/build-en16931-sef.mjs), so no
// test compiles the 725 KB stylesheet.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";
import SaxonJS from "saxon-js";
import { execFile } from "node:child_process";

const DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../vendor/en16931-cii");
const MAIN_XSD = "CrossIndustryInvoice_100pD16B.xsd";

export interface RuleResult {
  /** the rule, e.g. "BR-CO-15" */
  id: string;
  /** "fatal" fails an invoice; "warning" does not */
  flag: string;
  location: string;
  text: string;
}

export interface En16931Report {
  /** libxml2's messages against the CII D16B schema; empty when valid */
  schemaErrors: string[];
  /** every failed assert of the Schematron, fatal or not */
  rules: RuleResult[];
  /** the ids of the fatal ones: an invoice passes when this and schemaErrors are empty */
  fatal: string[];
}

let schema: { fileName: string; contents: string }[] | undefined;
let preload: { fileName: string; contents: string }[] | undefined;
let sef: unknown;

function loadSchema() {
  if (!schema || !preload) {
    const files = fs.readdirSync(path.join(DIR, "schema")).filter((f) => f.endsWith(".xsd"));
    const read = (fileName: string) => ({ fileName, contents: fs.readFileSync(path.join(DIR, "schema", fileName), "utf8") });
    schema = [read(MAIN_XSD)];
    preload = files.filter((f) => f !== MAIN_XSD).map(read);
  }
  return { schema, preload };
}

function loadSef(): unknown {
  sef ??= JSON.parse(zlib.gunzipSync(fs.readFileSync(path.join(DIR, "EN16931-CII-validation.sef.json.gz"))).toString("utf8"));
  return sef;
}

const decode = (text: string) =>
  text.replace(/&(lt|gt|quot|apos|amp);/g, (_, name: string) => ({ lt: "<", gt: ">", quot: '"', apos: "'", amp: "&" })[name]!);

/**
 * libxml2 (xmllint-wasm) against the XSD, in a child process (support/xmllintChild.mjs): the
 * library's per-call worker thread, torn down inside a vitest fork, could kill the fork. The
 * child's answer counts once it is whole JSON, whatever its exit code.
 */
function validateXmlInChild(options: object): Promise<{ valid: boolean; errors: string[] }> {
  const child = path.join(path.dirname(fileURLToPath(import.meta.url)), "xmllintChild.mjs");
  return new Promise((resolve, reject) => {
    const run = execFile(process.execPath, [child], { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      try {
        resolve(JSON.parse(stdout) as { valid: boolean; errors: string[] });
      } catch {
        reject(new Error(`xmllint child gave no answer (${error?.message ?? "exit 0"}): ${stderr.slice(-2_000)}`));
      }
    });
    run.stdin!.end(JSON.stringify(options));
  });
}

export async function validateEn16931(xml: string): Promise<En16931Report> {
  const xsd = await validateXmlInChild({ xml: [{ fileName: "factur-x.xml", contents: xml }], ...loadSchema() });
  const result = await SaxonJS.transform({ stylesheetInternal: loadSef(), sourceText: xml, destination: "serialized" }, "async");
  const rules: RuleResult[] = [];
  for (const match of result.principalResult.matchAll(/<svrl:failed-assert\b([^>]*)>([\s\S]*?)<\/svrl:failed-assert>/g)) {
    const attribute = (name: string) => decode(new RegExp(`\\b${name}="([^"]*)"`).exec(match[1]!)?.[1] ?? "");
    const text = decode(/<svrl:text>([\s\S]*?)<\/svrl:text>/.exec(match[2]!)?.[1] ?? "").trim();
    rules.push({ id: attribute("id"), flag: attribute("flag"), location: attribute("location"), text });
  }
  return {
    schemaErrors: xsd.valid ? [] : xsd.errors,
    rules,
    fatal: rules.filter((r) => r.flag === "fatal").map((r) => r.id),
  };
}
