// The first hour with the service, as a newcomer types it: `npm run dev` on a port that is
// taken, `npm run orders` before the first `npm run dev`, and `npm run webhook` with a
// .dev.vars the Worker refuses. Each runs the real command; the last one against the real
// Worker in `wrangler dev`, so the CLI's prediction is checked against what the Worker answers.
import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runProcess } from "./support/runProcess";
import { freePort, HANG_MS, ROOT, startSeededWranglerDev, waitUntil, WRANGLER_ENV, writeEnvFile, type WranglerDev } from "./support/wranglerDev";

// Bounds only a hang reaches: each command starts npm and node (and wrangler), a few seconds
// even on a busy machine.
const CLI_TIMEOUT_MS = HANG_MS;

const npm = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  runProcess("npm", ["run", "--silent", ...args], { cwd: ROOT, env: { ...WRANGLER_ENV, ...env }, timeoutMs: CLI_TIMEOUT_MS });

let tempDir: string;
beforeAll(() => {
  tempDir = mkdtempSync(path.join(tmpdir(), "e2e-first-hour-"));
});
afterAll(() => {
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
});

describe("npm run dev on a port that is taken", () => {
  it("says so plainly, offers --port, and starts no wrangler", async () => {
    const port = await freePort();
    const occupier = net.createServer();
    await new Promise<void>((resolve) => occupier.listen(port, "127.0.0.1", resolve));
    try {
      const { code, stdout, stderr } = await npm(["dev", "--", "--port", String(port)]);
      expect(stderr).toContain(`Port ${port} on 127.0.0.1 is already in use`);
      expect(stderr).toMatch(new RegExp(`npm run dev -- --port \\d+`));
      expect(stderr).not.toContain("kj::Exception");
      expect(code).toBe(1);
      // Nothing ran: no migrations, no wrangler (it prints to this stdout), no banner.
      expect(stdout).toBe("");
      expect(stderr).not.toMatch(/\bReady\b|workerd/);
    } finally {
      await new Promise((resolve) => occupier.close(resolve));
    }
  });

  it("takes the same check for PORT, and refuses a port that is not a number", async () => {
    const port = await freePort();
    const occupier = net.createServer();
    await new Promise<void>((resolve) => occupier.listen(port, "127.0.0.1", resolve));
    try {
      const viaEnv = await npm(["dev"], { PORT: String(port) });
      expect(viaEnv.stderr).toContain(`Port ${port} on 127.0.0.1 is already in use`);
      expect(viaEnv.code).toBe(1);
    } finally {
      await new Promise((resolve) => occupier.close(resolve));
    }
    const bad = await npm(["dev", "--", "--port", "eighty"]);
    expect(bad.stderr).toContain('"eighty" is not a port number');
    expect(bad.code).toBe(2);
  });
});

describe("npm run orders before the first npm run dev", () => {
  it("says what to run instead of printing a stack trace", async () => {
    const empty = path.join(tempDir, "empty-state");
    const { code, stdout, stderr } = await npm(["orders", "--", "--persist-to", empty]);
    expect(stderr).toContain("the local database has no tables yet: run `npm run dev`");
    expect(stderr).not.toMatch(/^\s+at /m);
    expect(stderr).not.toContain("no such table");
    expect(stdout).toBe("");
    expect(code).toBe(1);
  });
});

interface DevVarsModule {
  parseDevVars(text: string): Record<string, string>;
  judgeDevVars(vars: Record<string, string>): Promise<{ keys: string[]; signingSecrets: Uint8Array[]; stripeSecrets: string[]; problems: string[] }>;
  describeDevVars(judged: unknown, file?: string): string[];
}
const devVars = (await import(pathToFileURL(path.join(ROOT, "scripts", "lib", "devVars.mjs")).href)) as DevVarsModule;

describe("what the banner and npm run webhook say about .dev.vars", () => {
  it("reads the file the way wrangler does (dotenv: quotes, export, comments)", () => {
    expect(
      devVars.parseDevVars(
        [
          "# a comment",
          "WEBHOOK_SECRET=abc # not part of the value",
          'export STRIPE_WEBHOOK_SECRET="whsec_quoted_value_0000000000"',
          "OPS_ALERT_EMAIL='ops@shop.example'",
          "",
        ].join("\n"),
      ),
    ).toEqual({ WEBHOOK_SECRET: "abc", STRIPE_WEBHOOK_SECRET: "whsec_quoted_value_0000000000", OPS_ALERT_EMAIL: "ops@shop.example" });
  });

  it("with only a Stripe line: the payment webhook answers 500, and the line to add names .dev.vars", async () => {
    const judged = await devVars.judgeDevVars({ STRIPE_WEBHOOK_SECRET: "whsec_local_dev_only_0000000000000000" });
    const text = devVars.describeDevVars(judged).join("\n");
    expect(text).toContain("Payment webhook: answers 500 to every delivery: .dev.vars has no usable WEBHOOK_SECRET or WEBHOOK_SIGNING_SECRET");
    expect(text).toMatch(/Add this line to \.dev\.vars .*WEBHOOK_SECRET=\S{32,}/);
    expect(text).toContain("Stripe webhook: on");
    expect(text).not.toContain("wrangler secret put");
  });

  it("a key the Worker refuses is reported as refused, not as configured", async () => {
    const judged = await devVars.judgeDevVars({ WEBHOOK_SECRET: "short-key" });
    expect(judged.keys).toEqual([]);
    const text = devVars.describeDevVars(judged).join("\n");
    expect(text).toContain("WEBHOOK_SECRET entry 1 is 9 characters; at least 32 are required");
    expect(text).toContain("Stripe webhook: off (404)");
    expect(text).toContain("STRIPE_WEBHOOK_SECRET=whsec_");
  });

  it("the defaults of .dev.vars.example turn on both webhooks", async () => {
    const judged = await devVars.judgeDevVars(devVars.parseDevVars(readFileSync(path.join(ROOT, ".dev.vars.example"), "utf8")));
    expect(judged.problems).toEqual([]);
    expect(judged.keys).toHaveLength(1);
    expect(judged.stripeSecrets).toHaveLength(1);
  });
});

describe("npm run webhook against the real Worker with only a Stripe line in .dev.vars", () => {
  let dev: WranglerDev | undefined;
  let envFile: string;
  const ORDER = "d0d0d0d0-0000-4000-8000-000000000001";

  beforeAll(async () => {
    const persistTo = path.join(tempDir, "state");
    envFile = path.join(tempDir, "stripe-only.env");
    writeEnvFile(envFile, { STRIPE_WEBHOOK_SECRET: "whsec_local_dev_only_0000000000000000", LOG_LEVEL: "silent" });
    // No usable secret for the payment route: the Worker answers 500 to the readiness POST.
    dev = await startSeededWranglerDev({
      persistTo,
      envFile,
      readinessPath: "/api/webhooks/payment/",
      readyStatus: 500,
    });
  }, 2 * HANG_MS);

  afterAll(async () => {
    await dev?.stop();
  }, 60_000);

  it("predicts the 500 it gets, and names the .dev.vars line to add", async () => {
    const { code, stdout, stderr } = await npm(["webhook", "--", ORDER, "paid", "--url", `${dev!.url}/api/webhooks/payment/`], { DEV_VARS_PATH: envFile });
    expect(stderr).toContain("Expect 500: the Worker has no usable WEBHOOK_SECRET or WEBHOOK_SIGNING_SECRET");
    expect(stderr).toContain(`Add this line to ${envFile}`);
    expect(stderr).not.toContain("wrangler secret put");
    expect(stdout).toContain("500 Internal Server Error");
    expect(stdout).toContain("Webhook authentication is not configured");
    expect(code).toBe(1);
  });

  it("the Stripe line it has works: --stripe is signed and accepted", async () => {
    // Demo order #1001: 2 x 24.90 + 6.50 EUR (scripts/lib/demoData.mjs).
    const args = ["webhook", "--", ORDER, "paid", "--stripe", "--amount-cents", "5630", "--currency", "eur", "--url", `${dev!.url}/api/webhooks/stripe`];
    const { code, stdout, stderr } = await npm(args, { DEV_VARS_PATH: envFile });
    expect(stderr).toBe("");
    expect(stdout).toContain(", signed, 56.30 EUR (amount 5630)");
    expect(stdout).toMatch(/^200 OK/m);
    expect(stdout).toContain('"outcome": "confirmed"');
    expect(code).toBe(0);
  });
});

describe("npm run dev on a free port, with the defaults of .dev.vars.example", () => {
  let port: number;
  let persistTo: string;
  let envFile: string;
  let pid: number | undefined;
  let output = "";
  let exited = false;
  const stop = async () => {
    if (pid === undefined) return;
    for (const signal of ["SIGTERM", "SIGKILL"] as const) {
      try {
        process.kill(-pid, signal);
      } catch {
        return;
      }
      if (await waitUntil(() => exited, 20_000)) return;
    }
  };

  beforeAll(async () => {
    port = await freePort();
    persistTo = path.join(tempDir, "dev-state");
    envFile = path.join(tempDir, "dev.vars");
    // What a fresh clone gets: npm run dev copies the example when .dev.vars is missing.
    copyFileSync(path.join(ROOT, ".dev.vars.example"), envFile);
    // detached: npm leads a process group that node, wrangler and workerd join; one kill ends all.
    const child = spawn("npm", ["run", "--silent", "dev", "--", "--port", String(port), "--persist-to", persistTo], {
      cwd: ROOT,
      env: { ...WRANGLER_ENV, DEV_VARS_PATH: envFile },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    pid = child.pid;
    child.stdout!.on("data", (d: Buffer) => (output += d.toString("utf8")));
    child.stderr!.on("data", (d: Buffer) => (output += d.toString("utf8")));
    child.on("exit", () => (exited = true));
    process.once("exit", () => pid !== undefined && process.kill(-pid, "SIGKILL"));
    // The banner's last line; a bound only a hang reaches.
    const ready = await waitUntil(() => exited || output.includes("The cron handler"), 2 * HANG_MS, 250);
    if (!ready || exited) throw new Error(`npm run dev did not print its banner:\n${output}`);
  }, 3 * HANG_MS);

  afterAll(stop, 60_000);

  it("builds the Worker once and does not call its types out of date", () => {
    expect(output).not.toContain("restarting build");
    expect(output).not.toContain("[custom build]");
    expect(output).not.toContain("types might be out of date");
    expect(output).toContain(`Ready. Confirm demo order #1001`);
    // wrangler's output is here (its bindings table), without a build of its own.
    expect(output).toContain("Your Worker has access to the following bindings");
  });

  it("says what .dev.vars configures", () => {
    expect(output).toContain(`Payment webhook: accepts X-Webhook-Key (1 key) from .dev.vars.`);
    expect(output).toContain(`Stripe webhook: on, verifying with 1 STRIPE_WEBHOOK_SECRET from .dev.vars.`);
  });

  it("every command its banner prints works as printed, on the chosen port", async () => {
    const banner = output.slice(output.indexOf("Ready. Confirm"));
    const curl = /curl -sS [\s\S]*?-d '[^']*'/.exec(banner)?.[0];
    expect(curl).toContain(`http://127.0.0.1:${port}/api/webhooks/payment/`);
    const npmLines = [...banner.matchAll(/npm run (webhook|orders|ops)\b(.*?)(?: {2,}|$)/gm)].map((m) => `npm run ${m[1]}${m[2]}`.trim());
    expect(npmLines.filter((l) => l.startsWith("npm run webhook"))).toHaveLength(2);
    for (const line of npmLines.filter((l) => l.startsWith("npm run webhook"))) expect(line).toContain(`--url http://127.0.0.1:${port}/`);
    // As a person runs them, through the shell, one after the other: curl confirms the order,
    // the CLI's delivery is then a duplicate, Stripe's too. Each answers 2xx.
    for (const command of [curl!, ...npmLines]) {
      const run = await runProcess("sh", ["-c", command.replace(/^npm run /, "npm run --silent ")], {
        cwd: ROOT,
        env: { ...WRANGLER_ENV, DEV_VARS_PATH: envFile },
        timeoutMs: CLI_TIMEOUT_MS,
      });
      expect(run.code, `${command}\n${run.stdout}${run.stderr}`).toBe(0);
      if (command.startsWith("curl")) expect(run.stdout).toContain('"outcome":"confirmed"');
      if (command.startsWith("npm run webhook")) expect(run.stdout).toMatch(/^200 OK/m);
    }
  });
});
