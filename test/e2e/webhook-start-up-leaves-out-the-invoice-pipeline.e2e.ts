// The deployed Worker's start-up must not evaluate the invoice pipeline (pdf-lib, fontkit
// inflating its tables, the bundled font, postmark) nor the stripe package: they cost
// 60-120 ms of start-up CPU in every isolate that serves a webhook (BENCHMARKS.md). They are
// reached only through dynamic import() in src/, which the build turns into modules of their
// own. A static import of any of them from the webhook's module graph fails this test.
//
// It builds exactly what `wrangler deploy` uploads (scripts/build/buildWorker.mjs) and walks
// the entry's static imports in esbuild's metafile: no workerd needed, about a second.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWorker, startupInputs, type Metafile } from "../../scripts/build/buildWorker.mjs";

/** Packages and source folders that only a queue message, a Stripe call or delivery, or the cron may load. */
const LOADED_ON_FIRST_USE = [
  /node_modules\/@cantoo\//,
  /node_modules\/fflate\//,
  /node_modules\/postmark\//,
  /node_modules\/stripe\//,
  /\.ttf$/,
  /(^|\/)src\/documents\/pdf\//,
  /(^|\/)src\/documents\/einvoice\//,
  /(^|\/)src\/jobs\/consumeQueue\.ts$/,
  /(^|\/)src\/mail\/postmarkMailer\.ts$/,
  // Stripe's API client (the order API's Checkout, the reconciliation cron) and the cron's job.
  /(^|\/)src\/providers\/stripe\/stripeApi\.ts$/,
  /(^|\/)src\/payments\/reconcileCheckoutSessions\.ts$/,
];

let outdir: string;
let metafile: Metafile;

beforeAll(async () => {
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), "startup-guard-"));
  metafile = await buildWorker({ outdir });
}, 300_000); // about a second idle; a bound only a hang reaches

afterAll(() => {
  if (!outdir) return;
  fs.rmSync(outdir, { recursive: true, force: true });
  fs.rmSync(`${outdir}.meta.json`, { force: true }); // buildWorker writes the metafile beside the folder
});

describe("the deployed Worker's start-up", () => {
  it("evaluates none of the invoice pipeline, postmark or stripe", () => {
    const { inputs } = startupInputs(metafile, outdir);
    expect(inputs.length).toBeGreaterThan(10); // the walk found the webhook itself
    expect(inputs.some((file) => file.endsWith("src/providers/generic/paymentRoute.ts"))).toBe(true);
    const offending = inputs.filter((file) => LOADED_ON_FIRST_USE.some((pattern) => pattern.test(file)));
    expect(offending, "statically imported into the webhook's start-up; import() it where it is used instead").toEqual([]);
  });

  it("still ships the invoice pipeline, as a module loaded by the queue handler", () => {
    const all = Object.values(metafile.outputs).flatMap((output) => Object.keys(output.inputs));
    expect(all.some((file) => /node_modules\/@cantoo\/pdf-lib\//.test(file))).toBe(true);
    expect(all.some((file) => /node_modules\/postmark\//.test(file))).toBe(true);
  });

  it("loads the e-invoice (XML builder, PDF/A embedding) only by import() from the consumer, not with it", () => {
    // The consumer's module and everything it imports statically: what every queue batch evaluates.
    const consumer = Object.entries(metafile.outputs).find(([, output]) =>
      Object.keys(output.inputs).some((file) => file.endsWith("src/jobs/consumeQueue.ts")),
    );
    expect(consumer).toBeDefined();
    const statics = new Set<string>();
    const queue = [consumer![0]];
    while (queue.length) {
      const file = queue.shift()!;
      if (statics.has(file)) continue;
      statics.add(file);
      for (const imported of metafile.outputs[file]?.imports ?? []) if (imported.kind === "import-statement" && !imported.external) queue.push(imported.path);
    }
    const evaluated = [...statics].flatMap((file) => Object.keys(metafile.outputs[file]?.inputs ?? {}));
    const builder = /src\/documents\/einvoice\/(facturX|attachFacturX)\.ts$/;
    expect(evaluated.filter((file) => builder.test(file))).toEqual([]);
    // ...but it is shipped, as a module of its own.
    expect(Object.values(metafile.outputs).some((output) => Object.keys(output.inputs).some((file) => builder.test(file)))).toBe(true);
  });

  it("loads modules on first use only through src/lazyModules.ts, which the tests preload", () => {
    // test/support/loadLazyModules.ts calls every loader there before the tests: an import()
    // elsewhere in src/ would run during a test, through the test runner (see src/lazyModules.ts).
    const srcDir = path.join(import.meta.dirname, "../../src");
    const files = (fs.readdirSync(srcDir, { recursive: true }) as string[]).filter((f) => f.endsWith(".ts"));
    const dynamicImport = /(?<!typeof\s)\bimport\(/;
    const imports = (f: string) =>
      fs.readFileSync(path.join(srcDir, f), "utf8").split("\n").some((line) => !/^\s*\/\//.test(line) && dynamicImport.test(line));
    expect(files.filter((f) => f !== "lazyModules.ts" && imports(f))).toEqual([]);
    expect(imports("lazyModules.ts")).toBe(true);
  });

  it("names every module but the entry so that wrangler.toml's ESModule rule uploads it", () => {
    const files = fs.readdirSync(outdir).filter((name) => name.endsWith(".js"));
    expect(files).toContain("index.js");
    // wrangler.toml: [[rules]] type = "ESModule", globs = ["*.chunk.js"]
    expect(files.filter((name) => name !== "index.js" && !name.endsWith(".chunk.js"))).toEqual([]);
  });
});
