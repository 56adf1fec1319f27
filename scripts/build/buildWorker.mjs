// The deployed Worker's build (wrangler.toml runs it as `[build] command` before every
// `wrangler deploy`, `wrangler dev` and `wrangler check startup` of that config).
//
// Why not let wrangler bundle src/index.ts itself: wrangler's esbuild never splits code, so
// every `await import("./x")` in src/ is inlined into the one script, and workerd parses
// all of it (pdf-lib, fontkit, postmark, stripe: 2.5 MB of 3.3) before the first webhook.
// esbuild with `splitting` makes every dynamic import() its own module file instead; wrangler
// uploads those files as they are (`find_additional_modules` and the `*.chunk.js` ESModule
// rule in wrangler.toml), and workerd compiles one only when the import() runs.
//
// Output, flat in dist/worker/: index.js (re-exports worker-<hash>.chunk.js, the entry's
// code), <name>-<hash>.chunk.js (one per dynamic import, plus chunks of code shared between
// them, which the entry imports statically when it needs them at start-up), and the Data
// modules (*.ttf) copied next to them, so that the relative path `./<font>.ttf` kept in the
// chunks resolves for every chunk.
import "../lib/requireProjectNode.mjs"; // first: stops on the wrong Node before anything else runs
import { build } from "esbuild";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const ENTRY = path.join(ROOT, "src", "index.ts");
export const OUTDIR = path.join(ROOT, "dist", "worker");

/** Data modules (wrangler.toml's `type = "Data"` rule): kept as files, imported by name. */
const dataModules = {
  name: "data-modules-as-files",
  setup(b) {
    b.onResolve({ filter: /\.ttf$/ }, (args) => {
      const file = path.resolve(args.resolveDir, args.path);
      const outdir = b.initialOptions.outdir;
      fs.mkdirSync(outdir, { recursive: true });
      fs.copyFileSync(file, path.join(outdir, path.basename(file)));
      return { path: `./${path.basename(file)}`, external: true };
    });
  },
};

/**
 * Builds the Worker into `outdir` (emptied first). Returns esbuild's metafile: which source
 * files went into which output, and which outputs import which, statically or dynamically.
 */
export async function buildWorker({ entry = ENTRY, outdir = OUTDIR } = {}) {
  fs.rmSync(outdir, { recursive: true, force: true });
  const result = await build({
    entryPoints: { index: entry },
    absWorkingDir: ROOT,
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    // What wrangler (4.86 and 4.164 alike) uses for a modules Worker: workerd's export conditions first.
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    target: "es2022",
    external: ["cloudflare:*"],
    chunkNames: "[name]-[hash].chunk",
    sourcemap: "linked",
    metafile: true,
    logLevel: "warning",
    plugins: [dataModules],
  });
  const metafile = entryAsChunk(result.metafile, outdir);
  fs.writeFileSync(path.join(outdir, "..", `${path.basename(outdir)}.meta.json`), JSON.stringify(metafile));
  return metafile;
}

/**
 * wrangler bundles `main` once more, and its esbuild adds a `__name()` call for every
 * function it keeps the name of, also inside functions, so some run on every request. The
 * entry's code therefore moves to a chunk, which wrangler uploads untouched like the others,
 * and index.js only re-exports it: every export, the default handler and the named
 * entrypoints a service binding names (OrdersEntrypoint).
 */
function entryAsChunk(metafile, outdir) {
  const entry = path.join(outdir, "index.js");
  const code = fs.readFileSync(entry, "utf8");
  const name = `worker-${createHash("sha256").update(code).digest("hex").slice(0, 8).toUpperCase()}.chunk.js`;
  fs.writeFileSync(path.join(outdir, name), code.replace(/\/\/# sourceMappingURL=index\.js\.map\s*$/, `//# sourceMappingURL=${name}.map\n`));
  fs.renameSync(`${entry}.map`, path.join(outdir, `${name}.map`));
  const rel = (file) => path.relative(ROOT, file).replaceAll("\\", "/");
  const exported = metafile.outputs[rel(entry)]?.exports ?? ["default"];
  fs.writeFileSync(entry, `export { ${exported.join(", ")} } from "./${name}";\n`);
  const outputs = {};
  for (const [file, output] of Object.entries(metafile.outputs)) {
    const resolved = path.resolve(ROOT, file);
    if (resolved === entry) outputs[rel(path.join(outdir, name))] = output;
    else if (resolved === `${entry}.map`) outputs[rel(path.join(outdir, `${name}.map`))] = output;
    else outputs[file] = output;
  }
  outputs[rel(entry)] = { bytes: fs.statSync(entry).size, inputs: {}, imports: [{ path: rel(path.join(outdir, name)), kind: "import-statement" }], exports: exported };
  return { ...metafile, outputs };
}

/**
 * Every source file that workerd evaluates before the Worker can answer: the inputs of the
 * entry's output and of every output it imports statically (transitively). Files reached
 * only through a dynamic import() are not in it.
 */
export function startupInputs(metafile, outdir = OUTDIR) {
  const rel = (file) => path.relative(ROOT, path.resolve(ROOT, file));
  const outputs = new Map(Object.entries(metafile.outputs).map(([file, output]) => [rel(file), output]));
  const entry = rel(path.join(outdir, "index.js"));
  const seen = new Set([entry]);
  const queue = [entry];
  while (queue.length) {
    const output = outputs.get(queue.shift());
    for (const imported of output?.imports ?? []) {
      if (imported.kind !== "import-statement" || imported.external) continue;
      const file = rel(imported.path);
      if (!seen.has(file)) {
        seen.add(file);
        queue.push(file);
      }
    }
  }
  return {
    outputs: [...seen],
    inputs: [...seen].flatMap((file) => Object.keys(outputs.get(file)?.inputs ?? {}).map(rel)),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  const metafile = await buildWorker();
  const files = Object.keys(metafile.outputs).filter((f) => !f.endsWith(".map"));
  console.log(`built ${path.relative(ROOT, OUTDIR)}: ${files.length} modules in ${Math.round(performance.now() - started)} ms`);
}
