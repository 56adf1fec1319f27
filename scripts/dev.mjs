// npm run dev: the whole service on this machine, offline. Applies the migrations to the
// local D1, seeds the demo data (idempotent), starts `wrangler dev` on 127.0.0.1:8787 with
// the development entry (src/dev/devWorker.ts: the deployed Worker plus the invoice PDF
// route and the log mailer, which `wrangler deploy` never bundles) and prints how to
// confirm a demo order.
import { appendFileSync, copyFileSync, existsSync, readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { migrateLocal, seedLocal } from "./seed.mjs";
import { DEMO_CART } from "./lib/demoData.mjs";
import { readDevVars } from "./lib/devVars.mjs";
import { queryLocal, ROOT, spawnWrangler } from "./lib/wrangler.mjs";

const HOST = "127.0.0.1";
const PORT = Number(process.env.PORT ?? 8787);

const devVars = path.join(ROOT, ".dev.vars");
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
const vars = readDevVars();
const key = (vars.WEBHOOK_SECRET ?? "").split(",")[0].trim();
const MIN_KEY = 32;
if (key && key.length < MIN_KEY) {
  console.warn(
    `\n.dev.vars: WEBHOOK_SECRET is ${key.length} characters; the Worker refuses keys shorter than ${MIN_KEY}.` +
      "\nReplace it (e.g. with `openssl rand -hex 32`, or the value in .dev.vars.example).\n",
  );
}

console.log("Applying migrations to the local D1 and seeding demo data...");
migrateLocal();
seedLocal();
const waiting = queryLocal(
  "SELECT id, order_number, customer_name FROM orders WHERE status = 'AWAITING_PAYMENT' ORDER BY order_number LIMIT 1",
);

const dev = spawnWrangler(["dev", "src/dev/devWorker.ts", "--ip", HOST, "--port", String(PORT), "--test-scheduled"]);
const stop = () => dev.kill("SIGINT");
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
dev.on("exit", (code) => process.exit(code ?? 0));

await waitForPort(HOST, PORT, 60_000);
const base = `http://${HOST}:${PORT}`;
const url = `${base}/api/webhooks/payment/`;
console.log("\n──────────────────────────────────────────────────────────────");
if (waiting[0]) {
  const o = waiting[0];
  console.log(`Ready. Confirm demo order #${o.order_number} (${o.customer_name}) with:\n`);
  if (key.length >= MIN_KEY) {
    console.log(
      `  curl -sS -X POST ${url} \\\n    -H 'Content-Type: application/json' \\\n    -H 'X-Webhook-Key: ${key}' \\\n    -d '{"order_id":"${o.id}","status":"paid"}'\n`,
    );
    console.log(`or:  npm run webhook -- ${o.id} paid        (--form, --multipart, failed)`);
  } else {
    // Signatures only: a curl with a key could only get 403. The CLI signs the delivery.
    console.log(`  npm run webhook -- ${o.id} paid        (signed with WEBHOOK_SIGNING_SECRET from .dev.vars)\n`);
  }
} else {
  console.log("Ready. Every demo order is already paid: `npm run seed -- --reset` puts them back.");
}
const shopKey = (vars.SHOP_API_KEY ?? "").split(",")[0].trim();
if (shopKey.length >= MIN_KEY) {
  console.log(`\nOr be the storefront: create an order (stock is reserved until it is paid or expires):\n`);
  console.log(
    `  curl -sS -X POST ${base}/api/orders \\\n    -H 'Authorization: Bearer ${shopKey}' \\\n    -H 'Content-Type: application/json' \\\n    -d '${JSON.stringify(DEMO_CART)}'\n`,
  );
  console.log(`  then pay it with the curl above and its order_id, and read it: GET ${base}/api/orders/<order_id>\n`);
}
console.log(`then: npm run orders                 what happened (orders, stock, invoices, events)`);
console.log(`      npm run ops -- attention         what needs a human (refunds, stuck invoices...)`);
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
