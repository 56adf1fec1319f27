// `npm run ops`, run as an operator runs it (`npm run --silent ops -- ...`) against a local D1
// in its own temporary state directory (--persist-to): migrated with the real migrations,
// then given the rows the Worker writes when a payment lands on a cancelled order, when a
// PENDING order is paid, and when an invoice email fails or is sent. Each test asserts what
// the operator sees (output, exit code) and what is in the database afterwards.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runProcess } from "./support/runProcess";
import { HANG_MS, loadSeedScript, queryD1, ROOT, runWrangler } from "./support/wranglerDev";

// Each CLI run starts npm, node and one wrangler (1-3 s on 2 cores, 50 s seen for a test of
// several runs when busy): bounds only a hang reaches.
const CLI_TIMEOUT_MS = HANG_MS;
const TEST_TIMEOUT_MS = 2 * HANG_MS;

const sqlLiteral = (await import(pathToFileURL(path.join(ROOT, "scripts", "lib", "sqlLiteral.mjs")).href)) as {
  sqlString(value: unknown, opts?: { maxLength?: number }): string;
  sqlInteger(value: unknown): string;
};
const wranglerLib = (await import(pathToFileURL(path.join(ROOT, "scripts", "lib", "wrangler.mjs")).href)) as {
  OFFLINE_ENV: Record<string, string | undefined>;
  remoteEnv(): Record<string, string | undefined>;
};

const NOW = Date.now();
const MIN = 60_000;
const HOUR = 60 * MIN;

// Order ids as the shop writes them; 1045's is stored upper-case, as some shops do.
const REFUND_ORDER = "6f1c1f0e-3b9a-4c1d-9a53-0d5e0f6b1042";
const PENDING_ORDER = "6f1c1f0e-3b9a-4c1d-9a53-0d5e0f6b1043";
const FAILED_INVOICE_ORDER = "6f1c1f0e-3b9a-4c1d-9a53-0d5e0f6b1044";
const SENT_INVOICE_ORDER = "6F1C1F0E-3B9A-4C1D-9A53-0D5E0F6B1045";
const REFUND_DELIVERY = "evt_1QxRefund1042";
/** Item ids in the order FIXTURE_SQL raises them. */
const REFUND_ITEM = 1;
const FAILED_NUMBER = "INV-2026-000001";
const SENT_NUMBER = "INV-2026-000002";
const SENT_MESSAGE_ID = "b7bc2f4a-e38e-4336-af7d-e6c392c2f817";
const POSTMARK_ERROR = "Postmark 422 (ErrorCode 406): You tried to send to recipient(s) that have been marked as inactive.";

/**
 * Rows as the Worker writes them: the event by applyPayment's batch, its item by
 * raiseForEvent (same statement shape), the invoice FAILED by sendDocument and its item by
 * raiseInvoiceFailed, the SENT invoice by recordSent.
 */
const FIXTURE_SQL = `
INSERT INTO products (id, name, price_cents, stock, stock_reserved) VALUES
  (1, 'Gooseneck kettle 1 l', 2515, 10, 0), (2, 'Paper filters (100)', 600, 50, 0);

INSERT INTO orders (id, order_number, status, customer_email, customer_name, currency, reserved_until, confirmed_at, cancelled_at, created_at, updated_at) VALUES
  ('${REFUND_ORDER}', 1042, 'CANCELLED', 'ada@example.com', 'Ada Lovelace', 'EUR', ${NOW - 4 * HOUR}, NULL, ${NOW - 4 * HOUR + MIN}, ${NOW - 5 * HOUR}, ${NOW - 4 * HOUR + MIN}),
  ('${PENDING_ORDER}', 1043, 'PENDING', 'grace@example.com', 'Grace Hopper', 'EUR', NULL, NULL, NULL, ${NOW - 30 * MIN}, ${NOW - 30 * MIN}),
  ('${FAILED_INVOICE_ORDER}', 1044, 'CONFIRMED', 'inactive@example.com', 'Inactive Recipient', 'EUR', NULL, ${NOW - 2 * HOUR}, NULL, ${NOW - 3 * HOUR}, ${NOW - 2 * HOUR}),
  ('${SENT_INVOICE_ORDER}', 1045, 'CONFIRMED', 'taro@example.com', '山田太郎', 'EUR', NULL, ${NOW - 50 * MIN}, NULL, ${NOW - 60 * MIN}, ${NOW - 50 * MIN});

INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents) VALUES
  ('${REFUND_ORDER}', 1, 2, 2515), ('${REFUND_ORDER}', 2, 1, 600),
  ('${PENDING_ORDER}', 2, 3, 600),
  ('${FAILED_INVOICE_ORDER}', 1, 1, 2515),
  ('${SENT_INVOICE_ORDER}', 2, 2, 600);

INSERT INTO webhook_events (received_at, request_id, delivery_id, order_id, payment_status, order_status, outcome, http_status, detail, provider, provider_ref) VALUES
  (${NOW - 2 * HOUR}, 'req-confirm-1044', NULL, '${FAILED_INVOICE_ORDER}', 'paid', 'AWAITING_PAYMENT', 'confirmed', 200, NULL, 'generic', NULL),
  (${NOW - 2 * HOUR}, 'req-refund-1042', '${REFUND_DELIVERY}', '${REFUND_ORDER}', 'paid', 'CANCELLED', 'refund_required', 200, NULL, 'stripe', 'pi_3QxRefund1042'),
  (${NOW - 50 * MIN}, 'req-confirm-1045', 'msg_2aB1045', '${SENT_INVOICE_ORDER}', 'paid', 'AWAITING_PAYMENT', 'confirmed', 200, NULL, 'generic', NULL),
  (${NOW - 10 * MIN}, 'req-notready-1043', NULL, '${PENDING_ORDER}', 'paid', 'PENDING', 'not_ready', 409, NULL, 'generic', NULL);

INSERT INTO attention_items (kind, key, order_id, event_id, detail, created_at)
  SELECT e.outcome, e.outcome || ':' || e.order_id || CASE WHEN e.outcome = 'not_ready' THEN '' ELSE ':' || COALESCE(e.delivery_id, e.request_id) END,
    e.order_id, e.id, e.detail, e.received_at
  FROM webhook_events e WHERE e.outcome IN ('refund_required', 'not_ready') ORDER BY e.id;

INSERT INTO invoices (order_id, series, seq, number, status, attempts, message_id, sent_at, last_error, next_attempt_at, created_at, updated_at) VALUES
  ('${FAILED_INVOICE_ORDER}', 'INV-2026', 1, '${FAILED_NUMBER}', 'FAILED', 1, NULL, NULL, '${POSTMARK_ERROR}', NULL, ${NOW - 2 * HOUR}, ${NOW - 2 * HOUR + MIN}),
  ('${SENT_INVOICE_ORDER}', 'INV-2026', 2, '${SENT_NUMBER}', 'SENT', 1, '${SENT_MESSAGE_ID}', ${NOW - 49 * MIN}, NULL, NULL, ${NOW - 50 * MIN}, ${NOW - 49 * MIN});

INSERT INTO attention_items (kind, key, order_id, invoice_id, detail, created_at)
  SELECT 'invoice_failed', 'invoice_failed:' || id, order_id, id, last_error, ${NOW - 2 * HOUR + MIN}
  FROM invoices WHERE number = '${FAILED_NUMBER}' AND status = 'FAILED';
`;

const SNAPSHOT_SQL = ["orders", "order_items", "products", "webhook_events", "invoices", "attention_items"]
  .map((table) => `SELECT * FROM ${table} ORDER BY rowid`)
  .join(";\n");

let tempDir: string;
let persistTo: string;

/** `npm run --silent ops -- ...args` with the local database of this test (unless told otherwise). */
function ops(args: string[], { local = true, env = {} }: { local?: boolean; env?: Record<string, string | undefined> } = {}) {
  const full = local ? [...args, "--persist-to", persistTo] : args;
  return runProcess("npm", ["run", "--silent", "ops", "--", ...full], {
    cwd: ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_HIDE_BANNER: "true", ...env },
    timeoutMs: CLI_TIMEOUT_MS,
  });
}

async function snapshot(): Promise<unknown[]> {
  const out = await runWrangler(["d1", "execute", "DB", "--local", "--persist-to", persistTo, "--json", "--command", SNAPSHOT_SQL]);
  return (JSON.parse(out) as { results: unknown[] }[]).map((s) => s.results);
}

interface Item {
  id: number;
  kind: string;
  order_number: number | null;
  customer_email: string | null;
  amount: string | null;
  happened: string;
  action: string;
  resolved_at: number | null;
  resolved_by: string | null;
  resolution_note: string | null;
}

const itemOf = (all: Item[], kind: string) => all.find((i) => i.kind === kind)!;

beforeAll(async () => {
  tempDir = mkdtempSync(path.join(tmpdir(), "e2e-ops-"));
  persistTo = path.join(tempDir, "state");
  const seed = await loadSeedScript();
  seed.migrateLocal({ persistTo });
  await runWrangler(["d1", "execute", "DB", "--local", "--persist-to", persistTo, "--command", FIXTURE_SQL]);
}, 2 * HANG_MS);

afterAll(() => {
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
});

describe("the SQL literals of the CLI", () => {
  it("writes text as the hex of its UTF-8 bytes, which no statement splitter can cut, and refuses what it cannot store faithfully", () => {
    expect(sqlLiteral.sqlString("refunded")).toBe("CAST(X'726566756E646564' AS TEXT)");
    expect(sqlLiteral.sqlString("a; b")).toBe("CAST(X'613B2062' AS TEXT)");
    expect(sqlLiteral.sqlString("")).toBe("CAST(X'' AS TEXT)");
    expect(sqlLiteral.sqlString("山")).toBe("CAST(X'E5B1B1' AS TEXT)");
    // Nothing of the text is left in the statement for a splitter or a parser to read.
    expect(sqlLiteral.sqlString("Ada's; DROP TABLE orders; -- BEGIN TRANSACTION; COMMIT;")).toMatch(/^CAST\(X'[0-9A-F]+' AS TEXT\)$/);
    expect(() => sqlLiteral.sqlString("x".repeat(501))).toThrow(/longer than 500/);
    expect(sqlLiteral.sqlString("山".repeat(500))).toHaveLength("CAST(X'' AS TEXT)".length + 500 * 6);
    expect(() => sqlLiteral.sqlString("a\u0000b")).toThrow(/NUL/);
    expect(() => sqlLiteral.sqlString("a\ud800b")).toThrow(/lone surrogate/);
    expect(() => sqlLiteral.sqlString(42)).toThrow(TypeError);
    expect(sqlLiteral.sqlInteger(1042)).toBe("1042");
    expect(() => sqlLiteral.sqlInteger(1.5)).toThrow();
    expect(() => sqlLiteral.sqlInteger("1 OR 1=1")).toThrow();
  });

  it("runs --remote with the operator's own login, not the empty token of local runs", () => {
    if (process.env.CLOUDFLARE_API_TOKEN) return;
    expect(wranglerLib.OFFLINE_ENV.CLOUDFLARE_API_TOKEN).toBe("");
    expect("CLOUDFLARE_API_TOKEN" in wranglerLib.remoteEnv()).toBe(false);
    expect(wranglerLib.remoteEnv().WRANGLER_SEND_METRICS).toBe("false");
  });
});

// The tests run in order and share the database: later ones see what earlier ones changed.
describe("npm run ops", () => {
  it("attention lists the open items newest first, with what happened and what to do", async () => {
    const run = await ops(["attention"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe("");
    const out = run.stdout;
    expect(out).toMatch(/^3 items need you/);
    expect(out).toMatch(/ID\s+AGE\s+KIND\s+ORDER\s+CUSTOMER\s+AMOUNT/);
    // Newest first: not_ready (10 min), invoice_failed (1 h), refund_required (2 h).
    const kinds = [...out.matchAll(/^\d+\s+\d+ (?:s|min|h|d) ago\s+(\w+)/gm)].map((m) => m[1]);
    expect(kinds).toEqual(["not_ready", "invoice_failed", "refund_required"]);
    expect(out).toMatch(/^\d+\s+2 h ago\s+refund_required\s+1042\s+ada@example\.com\s+56\.30 EUR$/m);
    expect(out).toContain("    happened: a payment arrived for order 1042 after it had been cancelled (Stripe payment pi_3QxRefund1042)");
    expect(out).toContain("    do: refund 56.30 EUR to ada@example.com, order 1042: the order was cancelled when the payment arrived");
    expect(out).toContain(
      `    do: Postmark marked inactive@example.com inactive (an earlier bounce or spam complaint): confirm the address with the customer, ` +
        `then reactivate it in Postmark or correct the customer_email of order 1044, then: npm run ops -- resend-invoice ${FAILED_NUMBER}`,
    );
    // A command that can be copied as it is: the newest open item's id, no <placeholder> for a shell to redirect.
    expect(out).toMatch(/^When one is done, settle it by its ID: npm run ops -- resolve \d+ --note "what you did"$/m);
    expect(out).not.toContain("<id>");
    expect(out).toMatch(/^\d+\s+\d+ min ago\s+not_ready\s+1043\s+grace@example\.com\s+18\.00 EUR$/m);
    // The command to copy names the newest open item, not a placeholder the shell would
    // take for a redirection (`<id>`).
    const newest = /^(\d+)\s+\d+ min ago\s+not_ready/m.exec(out)![1];
    expect(out).toContain(`When one is done, settle it by its ID: npm run ops -- resolve ${newest} --note "what you did"`);
    // Not a terminal: no colour codes.
    expect(out).not.toContain("\u001b[");
  }, TEST_TIMEOUT_MS);

  it("its help text can be pasted into a shell: no <placeholder> redirections or | pipes", async () => {
    const run = await ops(["--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('npm run ops -- resolve 12 --note "');
    expect(run.stdout).not.toMatch(/[<>|]/);
  }, TEST_TIMEOUT_MS);

  it("attention --json prints only the rows, in the alert email's words", async () => {
    const run = await ops(["attention", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const rows = JSON.parse(run.stdout) as Item[];
    expect(rows.map((r) => r.kind)).toEqual(["not_ready", "invoice_failed", "refund_required"]);
    const refund = itemOf(rows, "refund_required");
    expect(refund).toMatchObject({ order_number: 1042, customer_email: "ada@example.com", amount: "56.30 EUR", resolved_at: null });
    expect(refund.action).toBe(
      'refund 56.30 EUR to ada@example.com, order 1042: the order was cancelled when the payment arrived; ' +
        'to refund it: npm run ops -- refund 1042 --payment pi_3QxRefund1042 --note "paid after the order was cancelled"',
    );
  }, TEST_TIMEOUT_MS);

  it("resolve records who and why; a second resolve of the same item changes nothing and exits 1", async () => {
    const note = "refunded in the provider dashboard; Ada's ticket #77 -- done";
    const first = await ops(["resolve", String(REFUND_ITEM), "--note", note, "--by", "Grace O'Neil"]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`Resolved item ${REFUND_ITEM} (refund_required, order 1042) by Grace O'Neil: ${note}`);

    const second = await ops(["resolve", String(REFUND_ITEM), "--note", "again", "--by", "Someone Else"]);
    expect(second.code).toBe(1);
    expect(second.stdout).toBe("");
    expect(second.stderr).toMatch(/already resolved .* by Grace O'Neil/);
    expect(second.stderr).toContain("nothing changed");

    const stored = await queryD1<{ kind: string; resolved_at: number; resolved_by: string; resolution_note: string }>(
      persistTo,
      `SELECT kind, resolved_at, resolved_by, resolution_note FROM attention_items WHERE resolved_at IS NOT NULL`,
    );
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ kind: "refund_required", resolved_by: "Grace O'Neil", resolution_note: note });
    expect(stored[0]!.resolved_at).toBeGreaterThanOrEqual(NOW);

    const missing = await ops(["resolve", "9999", "--note", "x"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("there is no attention item 9999");
  }, TEST_TIMEOUT_MS * 2);

  it("resend-invoice puts a FAILED invoice back in the outbox and leaves its item to settle itself", async () => {
    const run = await ops(["resend-invoice", FAILED_NUMBER]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`${FAILED_NUMBER} is back in the outbox; the sweeper sends it within a minute (the cron runs every minute)`);
    const [invoice] = await queryD1<Record<string, unknown>>(
      persistTo,
      `SELECT i.status, i.attempts, i.last_error, i.lease_until, i.next_attempt_at, i.outbox_since,
         (SELECT resolved_at FROM attention_items WHERE invoice_id = i.id) AS item_resolved_at
       FROM invoices i WHERE number = '${FAILED_NUMBER}'`,
    );
    expect(invoice).toMatchObject({ status: "PENDING", attempts: 0, last_error: null, lease_until: null, item_resolved_at: null });
    // invoice_stuck counts its hour from the resend, not from the invoice's date two hours ago.
    expect(invoice!.outbox_since).toBe(invoice!.next_attempt_at);
    expect(invoice!.next_attempt_at as number).toBeGreaterThanOrEqual(NOW);
    expect(invoice!.next_attempt_at as number).toBeLessThanOrEqual(Date.now());
  }, TEST_TIMEOUT_MS);

  it("resend-invoice refuses a SENT invoice without --force and takes it with --force", async () => {
    const before = await snapshot();
    const refused = await ops(["resend-invoice", SENT_NUMBER]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toContain(`${SENT_NUMBER} was sent at ${new Date(NOW - 49 * MIN).toISOString().slice(0, 10)}`);
    expect(refused.stderr).toContain(`Postmark message id ${SENT_MESSAGE_ID}`);
    expect(refused.stderr).toContain("--force sends taro@example.com a second email");
    expect(await snapshot()).toEqual(before);

    const forced = await ops(["resend-invoice", SENT_NUMBER, "--force", "--json"]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({ number: SENT_NUMBER, status: "PENDING", attempts: 0 });

    const unknown = await ops(["resend-invoice", "INV-2026-999999"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("there is no invoice or credit note INV-2026-999999");
  }, TEST_TIMEOUT_MS * 2);

  it("order tells the story of an order, by number", async () => {
    const run = await ops(["order", "1042"]);
    expect(run.code, run.stderr).toBe(0);
    const out = run.stdout;
    expect(out).toMatch(/^Order 1042 {2}CANCELLED/);
    expect(out).toContain(REFUND_ORDER);
    expect(out).toContain("Ada Lovelace <ada@example.com>");
    expect(out).toContain("56.30 EUR (2 lines)");
    const story = out.slice(out.indexOf("TIME"));
    const lines = [
      "order created",
      "order cancelled",
      `Stripe event "paid" -> refund_required (HTTP 200, order was CANCELLED), delivery ${REFUND_DELIVERY}, payment pi_3QxRefund1042`,
      "needs attention #",
      "resolved by Grace O'Neil: refunded in the provider dashboard",
    ];
    const at = lines.map((l) => story.indexOf(l));
    expect(at.every((i) => i >= 0), story).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  }, TEST_TIMEOUT_MS);

  it("order finds an id stored upper-case from any UUID form and shows its invoice", async () => {
    const run = await ops(["order", `{${SENT_INVOICE_ORDER}}`, "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const story = JSON.parse(run.stdout) as {
      order: { order_number: number; id: string };
      events: { outcome: string }[];
      invoice: { number: string; status: string };
      timeline: { event: string }[];
    };
    expect(story.order).toMatchObject({ order_number: 1045, id: SENT_INVOICE_ORDER });
    expect(story.events.map((e) => e.outcome)).toEqual(["confirmed"]);
    // Forced back into the outbox by the test before.
    expect(story.invoice).toMatchObject({ number: SENT_NUMBER, status: "PENDING" });
    // The delivery, the confirmation and the invoice share one batch's millisecond: cause first.
    expect(story.timeline.map((e) => e.event)).toEqual(["order_created", "delivery", "order_confirmed", "invoice_created", "invoice_due"]);

    const human = await ops(["order", FAILED_INVOICE_ORDER.toUpperCase()]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^Order 1044 {2}CONFIRMED/);
    // A confirmed order holds no reservation, whatever its old reserved_until says.
    expect(human.stdout).toMatch(/reserved until +no reservation held \(the order is CONFIRMED\)/);
    expect(human.stdout).toContain(`webhook delivery "paid" -> confirmed (HTTP 200, order was AWAITING_PAYMENT)`);
    expect(human.stdout).toContain(`invoice ${FAILED_NUMBER} allocated`);
    expect(human.stdout).toContain("needs attention #");
    expect(human.stdout).toContain("invoice_failed");

    const missing = await ops(["order", "1099"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("there is no order 1099");
  }, TEST_TIMEOUT_MS * 2);

  it("bad arguments print the usage, exit 2 and change nothing", async () => {
    const before = await snapshot();
    const bad: string[][] = [
      ["frobnicate"],
      [],
      ["resolve", "--note", "x"],
      ["resolve", "abc", "--note", "x"],
      ["resolve", "1"],
      ["resolve", "1", "--note", "   "],
      ["resolve", "1", "--note", "x".repeat(501)],
      ["resend-invoice", "INV-42"],
      ["resend-invoice", "INV-2026-000001'; DELETE FROM invoices; --"],
      ["order", "not-an-order"],
      ["attention", "--kind", "nope"],
      ["attention", "--force"],
      ["attention", "--nope"],
    ];
    // None of them reaches wrangler, so they can run side by side.
    const runs = await Promise.all(bad.map((args) => ops(args)));
    runs.forEach((run, i) => {
      const args = bad[i]!.join(" ");
      expect(run.code, `${args}: ${run.stderr}`).toBe(2);
      expect(run.stdout, args).toBe("");
      expect(run.stderr, args).toMatch(/^ops: .+\n\nUsage: npm run ops -- COMMAND/);
    });
    expect(await snapshot()).toEqual(before);
  }, TEST_TIMEOUT_MS * 2);

  it("a database without tables gets the command that creates them", async () => {
    const empty = path.join(tempDir, "empty-state");
    const run = await ops(["attention", "--persist-to", empty], { local: false });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("the local database has no tables yet: run `npm run dev` (or `npx wrangler d1 migrations apply DB --local");
    expect(run.stderr).not.toMatch(/\n\s+at /);
  }, TEST_TIMEOUT_MS);

  it("--remote without a wrangler login says to log in", async () => {
    // A home with no stored login, and no token: what a fresh machine has.
    const home = path.join(tempDir, "home");
    mkdirSync(home);
    const run = await ops(["attention", "--remote"], {
      local: false,
      env: { HOME: home, XDG_CONFIG_HOME: path.join(home, ".config"), CLOUDFLARE_API_TOKEN: undefined },
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("not logged in: run `npx wrangler login`");
    expect(run.stderr).not.toMatch(/\n\s+at /);
  }, TEST_TIMEOUT_MS);
});

// Values from outside (a customer's name and address, a provider's ids, an error, a note)
// reach the operator's terminal. Each is printed visibly escaped, never raw; --json keeps
// the exact value; and what the operator types is stored exactly as typed.
describe("npm run ops with hostile values", () => {
  const HOSTILE_ORDER = "6f1c1f0e-3b9a-4c1d-9a53-0d5e0f6b1046";
  const HOSTILE_NUMBER = "INV-2026-000003";
  /** Sets the window title, rings, clears the screen and prints a red fake all-clear. */
  const NAME = "\u001b]0;pwned\u0007\u001b[2J\u001b[31mFAKE: nothing needs you\u001b[0m";
  const EMAIL = "mallory\u202e@example.com";
  const DELIVERY = "evt_\u001b[2Jx";
  const REF = "pi_\u202eevil";
  const DETAIL = "weird\u001b[31m\u0007 rule\nforged line";
  const ADDRESS_ERROR = "customer_email is not exactly one valid email address: fix it on the order, then `npm run ops -- resend-invoice`";
  /** Anything a terminal would obey (a newline is checked separately: lines are ours). */
  // eslint-disable-next-line no-control-regex
  const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
  const text = (value: string) => sqlLiteral.sqlString(value);
  const noteKey = (n: number) => `refund_required:${HOSTILE_ORDER}:note-${n}`;
  const NOTE_KEYS = () => NOTES.map((_, n) => `'${noteKey(n)}'`).join(", ");
  const NOTES = [
    "refunded; ran BEGIN TRANSACTION; x; COMMIT; done",
    "it's \"done\"; DROP TABLE attention_items; --",
    "line one\nline two\n\ttabbed; END; BEGIN; /* not a comment */ -- nor this",
    "  spaces kept  ",
    "back\\slash \\x1B literal, 山田太郎 Łukasz 🧾, ROLLBACK;",
  ];

  beforeAll(async () => {
    await runWrangler([
      "d1", "execute", "DB", "--local", "--persist-to", persistTo, "--command",
      `INSERT INTO orders (id, order_number, status, customer_email, customer_name, currency, confirmed_at, created_at, updated_at) VALUES
         ('${HOSTILE_ORDER}', 1046, 'CONFIRMED', ${text(EMAIL)}, ${text(NAME)}, 'EUR', ${NOW - 3 * HOUR}, ${NOW - 4 * HOUR}, ${NOW - 3 * HOUR});
       INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents) VALUES ('${HOSTILE_ORDER}', 1, 1, 2515);
       INSERT INTO webhook_events (received_at, request_id, delivery_id, order_id, payment_status, order_status, outcome, http_status, detail, provider, provider_ref) VALUES
         (${NOW - 3 * HOUR}, 'req-hostile-1046', ${text(DELIVERY)}, '${HOSTILE_ORDER}', 'paid', 'AWAITING_PAYMENT', 'data_error', 422, ${text(DETAIL)}, 'stripe', ${text(REF)});
       INSERT INTO attention_items (kind, key, order_id, event_id, detail, created_at)
         SELECT 'data_error', 'data_error:' || order_id, order_id, id, detail, received_at FROM webhook_events WHERE request_id = 'req-hostile-1046';
       INSERT INTO invoices (order_id, series, seq, number, status, attempts, last_error, created_at, updated_at) VALUES
         ('${HOSTILE_ORDER}', 'INV-2026', 3, '${HOSTILE_NUMBER}', 'FAILED', 1, ${text(ADDRESS_ERROR)}, ${NOW - 3 * HOUR}, ${NOW - 3 * HOUR});
       INSERT INTO attention_items (kind, key, order_id, invoice_id, detail, created_at)
         SELECT 'invoice_failed', 'invoice_failed:' || id, order_id, id, last_error, ${NOW - 3 * HOUR} FROM invoices WHERE number = '${HOSTILE_NUMBER}';
       ${NOTES.map((_, n) => `INSERT INTO attention_items (kind, key, order_id, created_at) VALUES ('refund_required', '${noteKey(n)}', '${HOSTILE_ORDER}', ${NOW - 5 * HOUR});`).join("\n")}`,
    ]);
  }, 90_000);

  const safe = (out: string) => {
    const line = out.split("\n").find((l) => UNSAFE.test(l));
    expect(line, `a raw control character reached the terminal: ${JSON.stringify(line)}`).toBeUndefined();
  };

  it("order prints the customer's name, address, ids and errors visibly escaped", async () => {
    const run = await ops(["order", "1046"]);
    expect(run.code, run.stderr).toBe(0);
    safe(run.stdout);
    safe(run.stderr);
    expect(run.stdout).toContain("\\x1B]0;pwned\\x07\\x1B[2J\\x1B[31mFAKE: nothing needs you\\x1B[0m <mallory\\u202E@example.com>");
    expect(run.stdout).toContain("delivery evt_\\x1B[2Jx, payment pi_\\u202Eevil");
    expect(run.stdout).toContain("the database said: weird\\x1B[31m\\x07 rule\\nforged line");
    // The newline inside the detail forged no line of its own.
    expect(run.stdout).not.toMatch(/^forged line/m);
  }, TEST_TIMEOUT_MS);

  it("attention prints them escaped too, and --json keeps them exact", async () => {
    const human = await ops(["attention"]);
    expect(human.code, human.stderr).toBe(0);
    safe(human.stdout);
    expect(human.stdout).toContain("mallory\\u202E@example.com");
    expect(human.stdout).toContain("the database said: weird\\x1B[31m\\x07 rule\\nforged line");

    const json = await ops(["attention", "--json"]);
    expect(json.code, json.stderr).toBe(0);
    const rows = JSON.parse(json.stdout) as (Item & { customer_name: string; detail: string; provider_ref: string })[];
    const dataError = rows.find((r) => r.kind === "data_error" && r.order_number === 1046)!;
    expect(dataError).toMatchObject({ customer_name: NAME, customer_email: EMAIL, detail: DETAIL, provider_ref: REF });
  }, TEST_TIMEOUT_MS * 2);

  it("resend-invoice refuses an invoice whose address is still not one address, says which column to fix, queues nothing", async () => {
    const before = await snapshot();
    const run = await ops(["resend-invoice", HOSTILE_NUMBER]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    safe(run.stderr);
    expect(run.stderr).toContain(`${HOSTILE_NUMBER} would fail again: the customer's address "mallory\\u202E@example.com" is not exactly one valid email address`);
    expect(run.stderr).toContain(`Correct the customer_email of order 1046 (orders.id ${HOSTILE_ORDER}), then run this command again. Nothing was queued.`);
    expect(await snapshot()).toEqual(before);

    // Once the address is corrected, the same command queues it.
    await runWrangler(["d1", "execute", "DB", "--local", "--persist-to", persistTo, "--command", `UPDATE orders SET customer_email = 'mallory@example.com' WHERE id = '${HOSTILE_ORDER}'`]);
    const fixed = await ops(["resend-invoice", HOSTILE_NUMBER]);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.stdout).toContain(`${HOSTILE_NUMBER} is back in the outbox`);
  }, TEST_TIMEOUT_MS * 3);

  it("resolve stores every note exactly as typed (semicolons, SQL words, quotes, newlines) and echoes it escaped", async () => {
    const items = await queryD1<{ id: number; key: string }>(
      persistTo,
      `SELECT id, key FROM attention_items WHERE key IN (${NOTE_KEYS()}) ORDER BY key`,
    );
    expect(items).toHaveLength(NOTES.length);
    for (const [n, note] of NOTES.entries()) {
      const by = n === 0 ? "Grace; O'Neil -- ops" : "ops";
      const run = await ops(["resolve", String(items[n]!.id), "--note", note, "--by", by]);
      expect(run.code, run.stderr).toBe(0);
      safe(run.stdout);
    }
    const stored = await queryD1<{ key: string; resolution_note: string; resolved_by: string }>(
      persistTo,
      `SELECT key, resolution_note, resolved_by FROM attention_items WHERE key IN (${NOTE_KEYS()}) ORDER BY key`,
    );
    expect(stored.map((s) => s.resolution_note)).toEqual(NOTES);
    expect(stored[0]!.resolved_by).toBe("Grace; O'Neil -- ops");

    const [dataError] = await queryD1<{ id: number }>(persistTo, `SELECT id FROM attention_items WHERE kind = 'data_error' AND order_id = '${HOSTILE_ORDER}'`);
    const hostileNote = "done\u001b[2J\u0007\u202e";
    const run = await ops(["resolve", String(dataError!.id), "--note", hostileNote]);
    expect(run.code, run.stderr).toBe(0);
    safe(run.stdout);
    expect(run.stdout).toContain(": done\\x1B[2J\\x07\\u202E");
    const [row] = await queryD1<{ resolution_note: string }>(persistTo, `SELECT resolution_note FROM attention_items WHERE id = ${dataError!.id}`);
    expect(row!.resolution_note).toBe(hostileNote);

    // An item already resolved says by whom and with which note: escaped as well.
    const again = await ops(["resolve", String(dataError!.id), "--note", "again"]);
    expect(again.code).toBe(1);
    safe(again.stderr);
    expect(again.stderr).toContain('"done\\x1B[2J\\x07\\u202E"; nothing changed');
  }, TEST_TIMEOUT_MS * 6);

  it("an invoice the log mailer of npm run dev printed is not said to have a Postmark message id", async () => {
    const order = "6f1c1f0e-3b9a-4c1d-9a53-0d5e0f6b1047";
    const logId = "log-0b8f6a52-9d0e-4a43-8f39-1c2d3e4f5a60";
    await runWrangler([
      "d1", "execute", "DB", "--local", "--persist-to", persistTo, "--command",
      `INSERT INTO orders (id, order_number, status, customer_email, customer_name, currency, confirmed_at, created_at, updated_at) VALUES
         ('${order}', 1047, 'CONFIRMED', 'lin@example.com', 'Lin', 'EUR', ${NOW - HOUR}, ${NOW - HOUR}, ${NOW - HOUR});
       INSERT INTO invoices (order_id, series, seq, number, status, attempts, message_id, sent_at, created_at, updated_at) VALUES
         ('${order}', 'INV-2026', 4, 'INV-2026-000004', 'SENT', 1, '${logId}', ${NOW - HOUR}, ${NOW - HOUR}, ${NOW - HOUR});`,
    ]);
    const story = await ops(["order", "1047"]);
    expect(story.code, story.stderr).toBe(0);
    expect(story.stdout).toContain(`printed by the log mailer of \`npm run dev\`, not emailed (id ${logId})`);
    expect(story.stdout).not.toContain("Postmark message id");
    const refused = await ops(["resend-invoice", "INV-2026-000004"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`printed by the log mailer of \`npm run dev\`, not emailed (id ${logId})`);
    expect(refused.stderr).not.toContain("Postmark message id");
  }, TEST_TIMEOUT_MS * 2);

  it("an argument with control characters is named escaped in the usage error", async () => {
    const run = await ops(["order", "\u001b]0;pwned\u0007"]);
    expect(run.code).toBe(2);
    safe(run.stderr);
    expect(run.stderr).toContain('"\\x1B]0;pwned\\x07" is neither an order number');
  }, TEST_TIMEOUT_MS);
});
