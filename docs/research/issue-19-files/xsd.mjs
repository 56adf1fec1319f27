import { validateXML } from 'xmllint-wasm';
import fs from 'node:fs';
import path from 'node:path';
const dir = '/tmp/r/en16931/cii/schema/D16B SCRDM (Subset)/uncoupled clm/CII/uncefact/data/standard';
const files = fs.readdirSync(dir).filter(f => f.endsWith('.xsd'));
const main = 'CrossIndustryInvoice_100pD16B.xsd';
const schema = [{ fileName: main, contents: fs.readFileSync(path.join(dir, main), 'utf8') }];
const preload = files.filter(f => f !== main).map(f => ({ fileName: f, contents: fs.readFileSync(path.join(dir, f), 'utf8') }));
for (const f of process.argv.slice(2)) {
  const t = performance.now();
  const r = await validateXML({ xml: [{ fileName: path.basename(f), contents: fs.readFileSync(f, 'utf8') }], schema, preload });
  console.log(path.basename(f), Math.round(performance.now() - t), 'ms valid=', r.valid, r.errors.slice(0, 3).map(e => e.rawMessage).join(' | '));
}
