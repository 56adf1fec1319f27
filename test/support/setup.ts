// Runs before every test file: the real migrations into this file's fresh local D1, the fake
// Postmark and Stripe HTTP APIs in place of the network, and quiet logs.
//
// Quiet logs: the Worker logs JSON lines through console (src/observability/log.ts), and tests
// that provoke errors on purpose would print error-level lines in a passing run. Every test's
// console output is kept instead and printed only when that test fails, so a failure still
// shows what the Worker said. A test that asserts on logs spies on console as usual: its spy
// wraps the capture below and sees every call.
import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach } from "vitest";
import "./fakePostmark";
import "./fakeStripe";

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

const METHODS = ["log", "info", "warn", "error", "debug"] as const;
type Method = (typeof METHODS)[number];
const originals = Object.fromEntries(METHODS.map((m) => [m, console[m]])) as Record<Method, (...args: unknown[]) => void>;

beforeEach(({ onTestFailed }) => {
  const captured: string[] = [];
  for (const method of METHODS) {
    console[method] = (...args: unknown[]) => {
      captured.push(args.map((a) => (typeof a === "string" ? a : safeJson(a))).join(" "));
    };
  }
  onTestFailed(() => {
    if (captured.length > 0) originals.error(`--- console output of this test (${captured.length} lines) ---\n${captured.join("\n")}`);
  });
});

afterEach(() => {
  for (const method of METHODS) console[method] = originals[method];
});

function safeJson(value: unknown): string {
  if (value instanceof Error) return value.stack ?? String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
