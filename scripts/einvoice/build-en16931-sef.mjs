// Rebuilds vendor/en16931-cii/EN16931-CII-validation.sef.json.gz, the official EN 16931 CII
// Schematron (as XSLT 2.0) compiled for SaxonJS. `npm run einvoice:sef`, only after replacing
// the vendored XSLT with a newer release (vendor/en16931-cii/README.md).
//
// Why committed and not built by the tests: compiling the 725 KB stylesheet takes xslt3 about
// 77 s and 500 MB, and every test run would pay it; the SEF is the same XSLT, only parsed.
import "../lib/requireProjectNode.mjs"; // first: stops on the wrong Node before anything else runs
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const DIR = path.join(ROOT, "vendor", "en16931-cii");
const XSLT = path.join(DIR, "EN16931-CII-validation.xslt");
const OUT = path.join(DIR, "EN16931-CII-validation.sef.json.gz");

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "en16931-sef-"));
const sef = path.join(tmp, "EN16931-CII-validation.sef.json");
const started = performance.now();
try {
  execFileSync(
    process.execPath,
    [path.join(ROOT, "node_modules", "xslt3", "xslt3.js"), `-xsl:${XSLT}`, `-export:${sef}`, "-nogo", "-relocate:on"],
    { stdio: "inherit" },
  );
  const json = fs.readFileSync(sef);
  JSON.parse(json.toString("utf8")); // a truncated export must not be committed
  fs.writeFileSync(OUT, zlib.gzipSync(json, { level: 9 }));
  console.log(`wrote ${path.relative(ROOT, OUT)}: ${json.length} B, ${fs.statSync(OUT).size} B gzipped, in ${Math.round((performance.now() - started) / 1000)} s`);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
