import SaxonJS from 'saxon-js';
import fs from 'node:fs';
const t0 = performance.now();
const sef = JSON.parse(fs.readFileSync('/tmp/r/sx/en16931-cii.sef.json', 'utf8'));
console.log('load sef ms', Math.round(performance.now() - t0));
for (const f of process.argv.slice(2)) {
  const t = performance.now();
  const res = await SaxonJS.transform({ stylesheetInternal: sef, sourceText: fs.readFileSync(f, 'utf8'), destination: 'serialized' }, 'async');
  const svrl = res.principalResult;
  const fails = [...svrl.matchAll(/<svrl:failed-assert[^>]*id="([^"]+)"[^>]*flag="([^"]+)"/g)].map(m => `${m[1]}(${m[2]})`);
  console.log(f.split('/').pop(), Math.round(performance.now() - t), 'ms', 'failed:', fails.join(' ') || 'none');
}
