// npm run seed [-- --reset]: applies local migrations and inserts the demo data.
// Idempotent; --reset puts the demo orders back to AWAITING_PAYMENT.
import "./lib/requireProjectNode.mjs"; // first: stops on the wrong Node before anything else runs
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { seedSql } from "./lib/demoData.mjs";
import { wrangler } from "./lib/wrangler.mjs";

/** persistTo: another local state directory than wrangler's default (.wrangler/state). */
export function migrateLocal({ persistTo } = {}) {
  wrangler(["d1", "migrations", "apply", "DB", "--local"], { persistTo });
}

export function seedLocal({ reset = false, persistTo } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), "seed-"));
  const file = path.join(dir, "seed.sql");
  writeFileSync(file, seedSql({ reset }));
  try {
    wrangler(["d1", "execute", "DB", "--local", "--file", file], { persistTo });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const reset = process.argv.includes("--reset");
  migrateLocal();
  seedLocal({ reset });
  console.log(reset ? "Local D1 migrated; demo data reset." : "Local D1 migrated; demo data present.");
}
