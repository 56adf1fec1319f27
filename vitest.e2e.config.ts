// `npm run test:e2e`: the end-to-end test in plain Node (no workers pool). It starts the real
// `wrangler dev` and a fake Postmark HTTP server itself (test/e2e). The workerd suite is
// vitest.config.ts, which includes only test/**/*.test.ts.
import "./scripts/lib/requireProjectNode.mjs"; // first: stops on the wrong Node before anything else runs
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    environment: "node",
    include: ["test/e2e/**/*.e2e.ts"],
    // One wrangler dev at a time on 2 cores; the tests of a file run in order and share it.
    fileParallelism: false,
    pool: "forks",
    // Bounds only a hang reaches (test/e2e/support/wranglerDev.ts, HANG_MS): every wait inside
    // a test is on a condition, and a wrangler start or CLI run can take many times its idle
    // duration when the machine carries other work. A test that hangs still fails, at these.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    // A flaky retry would hide a real double email; fail loudly instead.
    retry: 0,
  },
});
