// Tests run the Worker inside workerd (@cloudflare/vitest-pool-workers) against the real
// migrations in a local D1, with the real queue bindings from wrangler.toml.
import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  return {
    plugins: [
      cloudflareTest({
        main: "./src/index.ts",
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            // Two keys, as during a rotation. Obviously fake values.
            WEBHOOK_SECRET: "test-key-current,test-key-next",
            LOG_LEVEL: "silent",
          },
        },
      }),
    ],
    test: {
      setupFiles: ["./test/support/applyMigrations.ts"],
      include: ["test/**/*.test.ts"],
    },
  };
});
