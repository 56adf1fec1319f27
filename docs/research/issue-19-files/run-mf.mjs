import { Miniflare } from 'miniflare';
import path from 'node:path';
const [dir, main, flags] = process.argv.slice(2);
const mf = new Miniflare({
  modules: true, scriptPath: path.resolve(dir, main), modulesRoot: path.resolve(dir),
  modulesRules: [{ type: 'Data', include: ['**/*.ttf'] }, { type: 'Text', include: ['**/*.xml'] }],
  compatibilityDate: '2026-04-20', compatibilityFlags: flags ? flags.split(',') : [],
});
try {
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const r = await mf.dispatchFetch('http://x/');
    console.log(main, 'req', i, Math.round(performance.now() - t), 'ms', (await r.text()).slice(0, 600));
  }
} catch (e) { console.log('ERR', String(e).slice(0, 500)); }
await mf.dispose();
