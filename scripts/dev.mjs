// npm run dev: the whole service on this machine, offline. Applies the migrations to the
// local D1, seeds the demo data (idempotent), starts `wrangler dev` on 127.0.0.1:8787 (or
// `--port N`; it checks first that the port is free) with
// the development entry (src/dev/devWorker.ts: the deployed Worker plus the invoice PDF
// route and the log mailer, which `wrangler deploy` never bundles) and prints how to
// confirm a demo order.
import "./lib/requireProjectNode.mjs"; // first: stops on the wrong Node before anything else runs
import { appendFileSync, copyFileSync, existsSync, readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { parseArgs } from "node:util";
import { migrateLocal, seedLocal } from "./seed.mjs";
import { DEMO_CART } from "./lib/demoData.mjs";
import { describeDevVars, devVarsPath, judgeDevVars, readDevVars } from "./lib/devVars.mjs";
import { terminalText } from "./lib/terminalText.mjs";
import { queryLocal, ROOT, spawnWrangler, writeConfigWithoutBuild } from "./lib/wrangler.mjs";

const HOST = "127.0.0.1";
const DEFAULT_PORT = 8787;
const USAGE = `usage: npm run dev [-- --port N] [--persist-to DIR]
  --port N          where the Worker listens on ${HOST} (default ${DEFAULT_PORT}, or the PORT environment variable)
  --persist-to DIR  the local state directory (default .wrangler/state; for tests and custom dirs)
DEV_VARS_PATH=FILE uses FILE instead of .dev.vars (the end-to-end tests do).`;

let args;
try {
  args = parseArgs({ options: { port: { type: "string" }, "persist-to": { type: "string" }, help: { type: "boolean", short: "h" } } });
} catch (error) {
  console.error(`${error.message.split(". To specify")[0]}\n${USAGE}`);
  process.exit(2);
}
if (args.values.help) {
  console.log(USAGE);
  process.exit(0);
}
const portText = args.values.port ?? process.env.PORT ?? String(DEFAULT_PORT);
if (!/^[1-9][0-9]{0,4}$/.test(portText) || Number(portText) > 65535) {
  console.error(`"${portText}" is not a port number (1-65535)\n${USAGE}`);
  process.exit(2);
}
const PORT = Number(portText);

// Before anything else: wrangler dev on a taken port prints "Ready" from this script and
// then a kj::Exception stack ("Address already in use") from workerd.
if (!(await portIsFree(HOST, PORT))) {
  const other = await nextFreePort(HOST, PORT);
  console.error(
    `Port ${PORT} on ${HOST} is already in use (another \`npm run dev\`, or another program).\n` +
      `Stop that program, or start on another port:\n\n  npm run dev -- --port ${other ?? PORT + 1}\n`,
  );
  process.exit(1);
}

const persistTo = args.values["persist-to"];
const devVars = devVarsPath();
if (!existsSync(devVars)) {
  copyFileSync(path.join(ROOT, ".dev.vars.example"), devVars);
  console.log("Created .dev.vars from .dev.vars.example (local secrets; not committed).");
}
// A .dev.vars made before the order API has no SHOP_API_KEY: add the example's local-only one.
const exampleShopKey = /^SHOP_API_KEY=.*$/m.exec(readFileSync(path.join(ROOT, ".dev.vars.example"), "utf8"))?.[0];
if (exampleShopKey && readDevVars().SHOP_API_KEY === undefined) {
  appendFileSync(devVars, `\n# The shop's order API (added by npm run dev; a local-only value)\n${exampleShopKey}\n`);
  console.log("Added a local-only SHOP_API_KEY to .dev.vars (the order API's key).");
}
// What the Worker will make of .dev.vars, judged by its own src/config.ts.
const judged = await judgeDevVars(readDevVars());
const key = judged.keys[0];
const signs = judged.signingSecrets.length > 0;

console.log("Applying migrations to the local D1 and seeding demo data...");
migrateLocal({ persistTo });
seedLocal({ persistTo });
const waiting = queryLocal(
  "SELECT id, order_number, customer_name FROM orders WHERE status = 'AWAITING_PAYMENT' ORDER BY order_number LIMIT 1",
  { persistTo },
);

// wrangler.toml without [build] (see writeConfigWithoutBuild): one build per start and per change.
const config = writeConfigWithoutBuild(".wrangler.dev.toml", { main: "src/dev/devWorker.ts" });
const wranglerArgs = ["dev", "--config", config, "--ip", HOST, "--port", String(PORT), "--test-scheduled"];
if (persistTo) wranglerArgs.push("--persist-to", persistTo);
// Another file than .dev.vars: wrangler reads --env-file only with this switch on, and then
// takes nothing from this process's environment.
const envFileEnv = process.env.DEV_VARS_PATH ? { CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV: "true", CLOUDFLARE_INCLUDE_PROCESS_ENV: "false" } : {};
if (process.env.DEV_VARS_PATH) wranglerArgs.push("--env-file", process.env.DEV_VARS_PATH);
const dev = spawnWrangler(wranglerArgs, { env: envFileEnv });
const stop = () => dev.kill("SIGINT");
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
dev.on("exit", (code) => process.exit(code ?? 0));

// A bound only a hang reaches: wrangler answers in seconds, more on a busy machine.
const listening = await waitForPort(HOST, PORT, 300_000).then(
  () => true,
  (error) => {
    console.error(error.message);
    stop();
    return false;
  },
);
// Stopped: the exit handler above ends this process with wrangler's exit code.
if (!listening) await new Promise(() => {});
const base = `http://${HOST}:${PORT}`;
const url = `${base}/api/webhooks/payment/`;
// npm run webhook's default is port 8787: name the URL whenever this one is another.
const urlOption = (route) => (PORT === DEFAULT_PORT ? "" : ` --url ${base}${route}`);
// ...and the state directory whenever it is not the default one: the commands read that D1.
const stateOption = persistTo ? ` --persist-to ${persistTo}` : "";
console.log("\n──────────────────────────────────────────────────────────────");
for (const line of describeDevVars(judged)) console.log(line);
console.log("");
if (waiting[0] && (key || signs)) {
  // The demo row may have been edited by anyone: its values print terminal-safe.
  const o = { id: terminalText(waiting[0].id), order_number: terminalText(waiting[0].order_number), customer_name: terminalText(waiting[0].customer_name) };
  console.log(`Ready. Confirm demo order #${o.order_number} (${o.customer_name}) with:\n`);
  if (key) {
    console.log(
      `  curl -sS -X POST ${url} \\\n    -H 'Content-Type: application/json' \\\n    -H 'X-Webhook-Key: ${key}' \\\n    -d '{"order_id":"${o.id}","status":"paid"}'\n`,
    );
    console.log(`or:  npm run webhook -- ${o.id} paid${urlOption("/api/webhooks/payment/")}        (--form, --multipart, failed)`);
  } else {
    // Signatures only: a curl with a key could only get 403. The CLI signs the delivery.
    console.log(`  npm run webhook -- ${o.id} paid${urlOption("/api/webhooks/payment/")}        (signed with WEBHOOK_SIGNING_SECRET from .dev.vars)\n`);
  }
  if (judged.stripeSecrets.length > 0) console.log(`or, as Stripe:  npm run webhook -- ${o.id} paid --stripe${urlOption("/api/webhooks/stripe")}${stateOption}`);
} else if (waiting[0]) {
  console.log("Ready, but the payment webhook refuses every delivery until .dev.vars has a usable secret (above).");
} else {
  console.log("Ready. Every demo order is already paid: `npm run seed -- --reset` puts them back.");
}
// The order API's keys are at least as long as the webhook's (src/config.ts readShopConfig).
const shopKey = (readDevVars().SHOP_API_KEY ?? "").split(",")[0].trim();
if (shopKey.length >= 32) {
  console.log(`\nOr be the storefront: create an order (stock is reserved until it is paid or expires):\n`);
  console.log(
    `  curl -sS -X POST ${base}/api/orders \\\n    -H 'Authorization: Bearer ${shopKey}' \\\n    -H 'Content-Type: application/json' \\\n    -d '${JSON.stringify(DEMO_CART)}'\n`,
  );
  console.log(`  then pay it with the curl above and its order_id, and read it: GET ${base}/api/orders/ORDER_ID with the same Authorization header\n`);
}
console.log(`then: npm run orders${persistTo ? ` --${stateOption}` : ""}                 what happened (orders, stock, invoices, events)`);
console.log(`      npm run ops -- attention${stateOption}         what needs a human (refunds, stuck invoices...)`);
console.log(`      ${base}/dev/invoices/<number>.pdf   the invoice the log mailer "sent"`);
console.log(`      ${base}/api/openapi.json            the endpoint's OpenAPI document`);
console.log("The cron handler (reservation expiry, outbox sweeper) runs here every minute.");
console.log("──────────────────────────────────────────────────────────────\n");

// wrangler dev does not fire cron triggers by itself; --test-scheduled exposes the handler,
// so the local system runs it every minute like production does.
setInterval(() => {
  fetch(`${base}/__scheduled?cron=${encodeURIComponent("* * * * *")}`).catch(() => {});
}, 60_000).unref();

function waitForPort(host, port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = net.connect(port, host, () => {
        socket.end();
        resolve();
      });
      socket.on("error", () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`wrangler dev did not listen on ${host}:${port}`));
        else setTimeout(attempt, 250);
      });
    };
    attempt();
  });
}

/** Whether `port` can be listened on: the check wrangler's own start would fail on. */
function portIsFree(host, port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

async function nextFreePort(host, port) {
  for (let candidate = port + 1; candidate <= Math.min(port + 20, 65535); candidate++) {
    if (await portIsFree(host, candidate)) return candidate;
  }
  return undefined;
}
