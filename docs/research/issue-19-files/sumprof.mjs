import fs from 'node:fs';
const p = JSON.parse(fs.readFileSync(process.argv[2]));
const idle = new Set(p.nodes.filter(n => n.callFrame.functionName === '(idle)').map(n => n.id));
const dt = p.timeDeltas; let tot = 0;
p.samples.forEach((s, i) => { if (!idle.has(s)) tot += dt[i] || 0; });
console.log((tot / 1000).toFixed(1), 'ms non-idle', p.samples.length, 'samples');
