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
          // The tests' fake Postmark (test/support/fakePostmark.ts) replaces fetch inside the
          // test isolate. A queue batch that miniflare delivers after its test file has ended
          // reaches this catch-all instead: answered like Postmark, and nothing leaves the machine.
          outboundService: (request: Request) => {
            const url = new URL(request.url);
            if (url.hostname === "postmark.fake.test" && url.pathname === "/email") {
              return Response.json({ To: "", SubmittedAt: new Date().toISOString(), MessageID: crypto.randomUUID(), ErrorCode: 0, Message: "OK" });
            }
            return new Response(`no network in tests: ${url.host}`, { status: 502 });
          },
          bindings: {
            TEST_MIGRATIONS: migrations,
            // Two keys, as during a rotation. Obviously fake values.
            WEBHOOK_SECRET: "test-webhook-key-current-not-a-secret,test-webhook-key-next-also-not-a-secret",
            LOG_LEVEL: "silent",
            // The shop's order API: two keys, as during a rotation (test/support/orders.ts).
            SHOP_API_KEY: "test-shop-api-key-current-not-a-secret,test-shop-api-key-next-also-not-a-secret",
            // wrangler also reads a developer's .dev.vars: pin what tests rely on.
            WEBHOOK_SIGNING_SECRET: "",
            // Stripe's route is on in tests (test/support/stripeEvents.ts signs with this).
            STRIPE_WEBHOOK_SECRET: "whsec_test_FAKE_current_0000000000000000",
            OPS_ALERT_EMAIL: "",
            // Every email goes to the fake Postmark of test/support/fakePostmark.ts.
            POSTMARK_SERVER_TOKEN: "fake-postmark-server-token",
            POSTMARK_API_URL: "http://postmark.fake.test",
            INVOICE_FROM_EMAIL: "invoices@shop.example",
            SELLER_NAME: "Example Coffee GmbH",
            SELLER_ADDRESS: "Kaffeestraße 1|10115 Berlin|Germany",
            SELLER_VAT_ID: "DE000000000",
          },
        },
      }),
    ],
    // The stripe package ships source maps that name sources it does not ship: vite would
    // print ~200 "points to missing source files" warnings per run.
    logLevel: "error" as const,
    test: {
      setupFiles: ["./test/support/setup.ts", "./test/support/loadLazyModules.ts"],
      // Defaults for a busy machine: CI shares 2 cores with other work, and a file's first test
      // also pays for its workerd start-up. Long tests set their own, larger timeouts.
      testTimeout: 60_000,
      hookTimeout: 60_000,
      include: ["test/**/*.test.ts"],
    },
  };
});
