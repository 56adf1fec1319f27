// `npm run ops` as an operator runs it, against a local D1 of its own: amounts in the
// currency's own unit (5,000 JPY is not 50.00; 12.345 KWD is not 123.45), and a FAILED
// credit note put back in the outbox by `resend-invoice <CN-number>`, as an invoice is.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runProcess } from "./support/runProcess";
import { loadSeedScript, queryD1, ROOT, runWrangler } from "./support/wranglerDev";

const CLI_TIMEOUT_MS = 30_000;
const TEST_TIMEOUT_MS = 60_000;
const NOW = Date.now();
const HOUR = 3_600_000;

const JPY_ORDER = "7a2c1f0e-3b9a-4c1d-9a53-0d5e0f6b2001";
const KWD_ORDER = "7a2c1f0e-3b9a-4c1d-9a53-0d5e0f6b2002";
const CREDIT_NOTE = "CN-2026-000001";

// Rows as the Worker writes them: a payment on a cancelled order raises refund_required; a
// credit note whose email failed for good is FAILED with its credit_note_failed item.
const FIXTURE_SQL = `
INSERT INTO products (id, name, price_cents, stock, stock_reserved) VALUES (1, 'Matcha 100 g', 5000, 10, 0), (2, 'Dates 1 kg', 12345, 10, 0);
INSERT INTO orders (id, order_number, status, customer_email, customer_name, currency, cancelled_at, confirmed_at, created_at, updated_at) VALUES
  ('${JPY_ORDER}', 2001, 'CANCELLED', 'taro@example.com', 'Taro Yamada', 'JPY', ${NOW - 2 * HOUR}, NULL, ${NOW - 3 * HOUR}, ${NOW - 2 * HOUR}),
  ('${KWD_ORDER}', 2002, 'CONFIRMED', 'noura@example.com', 'Noura Al-Sabah', 'KWD', NULL, ${NOW - 3 * HOUR}, ${NOW - 4 * HOUR}, ${NOW - 3 * HOUR});
INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents) VALUES ('${JPY_ORDER}', 1, 1, 5000), ('${KWD_ORDER}', 2, 1, 12345);
INSERT INTO webhook_events (received_at, request_id, delivery_id, order_id, payment_status, order_status, outcome, http_status, detail, provider, provider_ref) VALUES
  (${NOW - HOUR}, 'req-refund-2001', 'evt_refund2001', '${JPY_ORDER}', 'paid', 'CANCELLED', 'refund_required', 200, NULL, 'stripe', 'pi_refund2001');
INSERT INTO attention_items (kind, key, order_id, event_id, detail, created_at)
  SELECT outcome, outcome || ':' || order_id || ':' || delivery_id, order_id, id, detail, received_at FROM webhook_events WHERE request_id = 'req-refund-2001';
INSERT INTO invoices (order_id, series, seq, number, status, attempts, message_id, sent_at, created_at, updated_at) VALUES
  ('${KWD_ORDER}', 'INV-2026', 1, 'INV-2026-000001', 'SENT', 1, 'b7bc2f4a-e38e-4336-af7d-e6c392c2f817', ${NOW - 3 * HOUR}, ${NOW - 3 * HOUR}, ${NOW - 3 * HOUR});
INSERT INTO credit_notes (order_id, invoice_id, refund_key, series, seq, number, amount_cents, currency, status, attempts, last_error, created_at, updated_at)
  SELECT '${KWD_ORDER}', id, 'stripe:re_2002', 'CN-2026', 1, '${CREDIT_NOTE}', 12345, 'KWD', 'FAILED', 1,
    'Postmark 422 (ErrorCode 406): You tried to send to recipient(s) that have been marked as inactive.', ${NOW - HOUR}, ${NOW - HOUR}
  FROM invoices WHERE number = 'INV-2026-000001';
INSERT INTO attention_items (kind, key, order_id, invoice_id, detail, created_at)
  SELECT 'credit_note_failed', 'credit_note_failed:' || id, order_id, invoice_id, json_object('credit_note', number, 'error', last_error), ${NOW - HOUR + 60_000}
  FROM credit_notes WHERE number = '${CREDIT_NOTE}';
`;

let tempDir: string;
let persistTo: string;

function ops(args: string[]) {
  return runProcess("npm", ["run", "--silent", "ops", "--", ...args, "--persist-to", persistTo], {
    cwd: ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_HIDE_BANNER: "true", NO_COLOR: "1" },
    timeoutMs: CLI_TIMEOUT_MS,
  });
}

beforeAll(async () => {
  tempDir = mkdtempSync(path.join(tmpdir(), "e2e-ops-money-"));
  persistTo = path.join(tempDir, "state");
  const seed = await loadSeedScript();
  seed.migrateLocal({ persistTo });
  await runWrangler(["d1", "execute", "DB", "--local", "--persist-to", persistTo, "--command", FIXTURE_SQL]);
}, 90_000);

afterAll(() => {
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
});

describe("npm run ops, money and credit notes", () => {
  it("attention says amounts in the currency's own unit and names the failed credit note", async () => {
    const run = await ops(["attention"]);
    expect(run.code, run.stderr).toBe(0);
    const out = run.stdout;
    expect(out).toMatch(/refund_required\s+2001\s+taro@example\.com\s+5,000 JPY$/m);
    expect(out).toContain("refund 5,000 JPY to taro@example.com, order 2001");
    expect(out).not.toContain("50.00 JPY");
    expect(out).toMatch(/credit_note_failed\s+2002\s+noura@example\.com\s+12\.345 KWD$/m);
    expect(out).toContain(`the credit note email ${CREDIT_NOTE} (correcting invoice INV-2026-000001) for order 2002 failed`);
    expect(out).toContain(`do: fix the cause, then: npm run ops -- resend-invoice ${CREDIT_NOTE}`);
    expect(out).not.toContain("123.45");
  }, TEST_TIMEOUT_MS);

  it("order shows the total in the currency's own unit", async () => {
    const run = await ops(["order", "2002"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/total\s+12\.345 KWD \(1 line\)/);
  }, TEST_TIMEOUT_MS);

  it("resend-invoice takes a credit note number and puts the FAILED note back in the outbox", async () => {
    const run = await ops(["resend-invoice", CREDIT_NOTE]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`${CREDIT_NOTE} is back in the outbox`);
    const [row] = await queryD1<{ status: string; attempts: number; last_error: string | null }>(
      persistTo,
      `SELECT status, attempts, last_error FROM credit_notes WHERE number = '${CREDIT_NOTE}'`,
    );
    expect(row).toEqual({ status: "PENDING", attempts: 0, last_error: null });

    const again = await ops(["resend-invoice", CREDIT_NOTE]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`${CREDIT_NOTE} is already waiting in the outbox`);
  }, TEST_TIMEOUT_MS);
});
