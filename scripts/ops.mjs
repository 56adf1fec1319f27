// npm run ops -- <command>: the operator's command, over `wrangler d1 execute --json`, so it
// needs no endpoint and no credential of its own: the local database of `npm run dev` by
// default, the deployed one with --remote and the operator's own `wrangler login`.
//
// Exit codes: 0 done, 1 failed or refused (nothing changed), 2 bad arguments (nothing
// changed, nothing run). Every value from the command line is validated here before it
// reaches SQL (wrangler's --command has no bound parameters); free text goes through
// sqlString (scripts/lib/sqlLiteral.mjs). Every line for a human goes through
// scripts/lib/terminalText.mjs: values from the database or the command line never reach the
// terminal raw; --json prints them exactly (JSON escapes control characters).
import "./lib/requireProjectNode.mjs"; // first: stops on the wrong Node before anything else runs
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import { D1Failure } from "./lib/d1.mjs";
import { listAttention } from "./lib/ops/listAttention.mjs";
import { orderStory } from "./lib/ops/orderStory.mjs";
import { refundOrder } from "./lib/ops/refundOrder.mjs";
import { resendInvoice } from "./lib/ops/resendInvoice.mjs";
import { resolveItem } from "./lib/ops/resolveItem.mjs";
import { loadWorkerModules } from "./lib/ops/workerModules.mjs";
import { MAX_TEXT_LENGTH } from "./lib/sqlLiteral.mjs";
import { terminalLine, terminalLines, terminalText as shown } from "./lib/terminalText.mjs";
import { ROOT } from "./lib/wrangler.mjs";

const USAGE = `Usage: npm run ops -- COMMAND [options]

What needs a human in the order-payment service, and the few fixes an operator makes.

Commands:
  attention [--all] [--kind KIND] [--limit N]
      The open items, newest first: what happened and what to do.
      --all also shows resolved ones with who, when and why.
  resolve ID --note "what you did" [--by NAME]
      Mark an item settled. NAME defaults to \`git config user.name\`, then $USER.
  resend-invoice DOCUMENT_NUMBER [--force]
      Put a FAILED invoice (like INV-2026-000042) or credit note (like CN-2026-000001)
      email back in the outbox; the sweeper sends it. Refused while its cause is still
      there (an address that is not one valid email address): the message says what to fix.
      --force takes a SENT one too: the customer gets a second email.
  order ORDER
      The order's story (ORDER: its number like 1042, or its id, a UUID): status
      changes, deliveries, invoice and email, attention items.
  refund ORDER --note "why" [--amount 12.50] [--payment pi_...]
      Refund the order's Stripe payment through Stripe's API, with STRIPE_SECRET_KEY from
      the environment (or .dev.vars for the local database). --amount in the payment's
      currency, default all that is left to refund; more than that is refused. --payment
      chooses one of several payments (default: the only one, or the one that did not
      confirm the order). Running the same command again (same payment, amount and note)
      within 24 hours refunds once; a different --note makes a second refund. The refund's
      own webhook then records it and emails the credit note: see it with \`order ORDER\`.

Options for every command:
  --remote          the deployed database, with your own login (\`npx wrangler login\`)
  --persist-to DIR  the local state directory (default .wrangler/state; for tests and custom dirs)
  --json            machine-readable output on stdout, nothing else
  -h, --help        this text

Exit codes: 0 done, 1 failed or refused, 2 bad arguments.
Examples:
  npm run ops -- attention --remote
  npm run ops -- resolve 12 --note "refunded in the provider dashboard" --remote
  npm run ops -- resend-invoice INV-2026-000042
  npm run ops -- order 1042
  npm run ops -- refund 1042 --amount 12.50 --note "one mug arrived broken"`;

const OPTIONS = {
  remote: { type: "boolean" },
  "persist-to": { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  all: { type: "boolean" },
  kind: { type: "string" },
  limit: { type: "string" },
  note: { type: "string" },
  by: { type: "string" },
  force: { type: "boolean" },
  amount: { type: "string" },
  payment: { type: "string" },
};
const COMMON = ["remote", "persist-to", "json", "help"];

/** What each command takes: its own options and its one argument's name, if any. */
const COMMANDS = {
  attention: { options: ["all", "kind", "limit"], argument: null },
  resolve: { options: ["note", "by"], argument: "an item id (like 12)" },
  "resend-invoice": { options: ["force"], argument: "an invoice number (like INV-2026-000042)" },
  order: { options: [], argument: "an order number (like 1042) or an order id (a UUID)" },
  refund: { options: ["note", "amount", "payment"], argument: "an order number (like 1042) or an order id (a UUID)" },
};

const POSITIVE_INTEGER = /^[1-9][0-9]{0,15}$/;
const INVOICE_NUMBER = /^[A-Z0-9]{1,10}-\d{4}-\d{6}$/;
const MAX_NAME_LENGTH = 100;
/** Digits with at most one decimal point; the currency's own number of decimals is checked once it is known. */
const AMOUNT = /^[0-9]{1,15}(?:\.[0-9]{1,15})?$/;
/** A Stripe object id (pi_..., cs_...): letters, digits and underscores. */
const STRIPE_ID = /^[a-z]{2,5}_[A-Za-z0-9_]{1,250}$/;

class UsageError extends Error {}

const jsonForTerminal = (json) =>
  json.replace(/[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

const print = (text) => process.stdout.write(`${terminalLine(text)}\n`);
const context = (target, json, worker) => ({
  target,
  json,
  worker,
  print,
  // Exact values: JSON escapes C0 itself; DEL, C1 and the bidirectional controls are valid raw
  // in JSON, so they are written as \u escapes (the same value to a parser, inert on a terminal).
  printJson: (value) => process.stdout.write(`${jsonForTerminal(JSON.stringify(value, null, 2))}\n`),
  fail(message) {
    process.stderr.write(`ops: ${terminalLines(message)}\n`);
    return 1;
  },
});

async function main(argv) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    // parseArgs names the option ("Unknown option '--nope'"); drop its advice about "--".
    throw new UsageError(shown(error.message.split(". To specify")[0]));
  }
  const { values, positionals } = parsed;
  const [command, argument, ...extra] = positionals;
  if (values.help || command === "help") {
    print(USAGE);
    return 0;
  }
  if (!command) throw new UsageError("say what to do: attention, resolve, resend-invoice, order or refund");
  const spec = COMMANDS[command];
  if (!spec) throw new UsageError(`unknown command "${shown(command)}": attention, resolve, resend-invoice, order or refund`);
  for (const name of Object.keys(values)) {
    if (!COMMON.includes(name) && !spec.options.includes(name)) throw new UsageError(`--${name} is not an option of ${command}`);
  }
  if (spec.argument === null && argument !== undefined) throw new UsageError(`${command} takes no argument, got "${shown(argument)}"`);
  if (spec.argument !== null && argument === undefined) throw new UsageError(`${command} needs ${spec.argument}`);
  if (extra.length > 0) throw new UsageError(`${command} takes one argument, got also "${shown(extra.join(" "))}"`);
  if (values.remote && values["persist-to"] !== undefined) throw new UsageError("--persist-to is for the local database; it cannot be combined with --remote");
  if (values["persist-to"] === "") throw new UsageError("--persist-to needs a directory");
  const target = { remote: Boolean(values.remote), persistTo: values["persist-to"] };
  const json = Boolean(values.json);

  switch (command) {
    case "attention": {
      // The kinds come from the Worker (the same list the alert email knows).
      const worker = await loadWorkerModules();
      const kinds = Object.keys(worker.ATTENTION_KINDS);
      if (values.kind !== undefined && !kinds.includes(values.kind)) throw new UsageError(`unknown --kind "${shown(values.kind)}": ${kinds.join(", ")}`);
      const limit = values.limit === undefined ? undefined : positiveInteger(values.limit, "--limit");
      return listAttention({ all: Boolean(values.all), kind: values.kind, limit }, context(target, json, worker));
    }
    case "resolve": {
      const id = positiveInteger(argument, "the item id");
      if (values.note === undefined) throw new UsageError('resolve needs --note "what you did" (it is what the next person reads)');
      const note = freeText(values.note, "--note", MAX_TEXT_LENGTH);
      const by = freeText(values.by ?? defaultOperatorName(), "--by", MAX_NAME_LENGTH);
      return resolveItem({ id, note, by }, context(target, json, await loadWorkerModules()));
    }
    case "resend-invoice": {
      if (!INVOICE_NUMBER.test(argument)) throw new UsageError(`"${shown(argument)}" is not an invoice or credit note number (like INV-2026-000042 or CN-2026-000001)`);
      return resendInvoice({ number: argument, force: Boolean(values.force) }, context(target, json, await loadWorkerModules()));
    }
    case "order": {
      const worker = await loadWorkerModules();
      return orderStory(orderRef(argument, worker), context(target, json, worker));
    }
    case "refund": {
      if (values.note === undefined) throw new UsageError('refund needs --note "why" (it goes with the refund to Stripe, for whoever looks at it later)');
      const note = freeText(values.note, "--note", MAX_TEXT_LENGTH);
      if (values.amount !== undefined && !AMOUNT.test(values.amount)) {
        throw new UsageError(`--amount "${shown(values.amount)}" is not an amount: digits with a dot for decimals, in the payment's currency (like 12.50, or 5000 for yen)`);
      }
      if (values.payment !== undefined && !STRIPE_ID.test(values.payment)) {
        throw new UsageError(`--payment "${shown(values.payment)}" is not a Stripe payment id (like pi_3QxAbc...): \`npm run ops -- order ${shown(argument)}\` lists the order's payments`);
      }
      const worker = await loadWorkerModules();
      return refundOrder({ ...orderRef(argument, worker), amount: values.amount, payment: values.payment, note }, context(target, json, worker));
    }
  }
  throw new Error(`unhandled command ${command}`);
}

/** { orderNumber } or { uuid } from ORDER, as the webhook normalises an id. */
function orderRef(argument, worker) {
  if (POSITIVE_INTEGER.test(argument) && Number.isSafeInteger(Number(argument))) return { orderNumber: Number(argument) };
  const uuid = worker.normaliseUuid(argument);
  if (!uuid) throw new UsageError(`"${shown(argument)}" is neither an order number (like 1042) nor an order id (a UUID)`);
  return { uuid };
}

function positiveInteger(text, what) {
  if (!POSITIVE_INTEGER.test(text) || !Number.isSafeInteger(Number(text))) throw new UsageError(`${what} must be a positive whole number, got "${shown(text)}"`);
  return Number(text);
}

/** Text stored exactly as typed (quotes, semicolons, newlines, SQL words): see sqlString. */
function freeText(text, what, maxLength) {
  if (!text.trim()) throw new UsageError(`${what} must not be empty`);
  if (text.includes("\u0000")) throw new UsageError(`${what} must not contain a NUL character`);
  if (!text.isWellFormed()) throw new UsageError(`${what} is not valid Unicode`);
  if ([...text].length > maxLength) throw new UsageError(`${what} is longer than ${maxLength} characters`);
  return text;
}

/** Who resolves: git's user.name, else the login name, else "operator". */
function defaultOperatorName() {
  const git = spawnSync("git", ["config", "user.name"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  const name = git.status === 0 ? git.stdout.trim() : "";
  return name || process.env.USER?.trim() || "operator";
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError) {
    process.stderr.write(`ops: ${terminalLines(error.message)}\n\n${USAGE}\n`);
    process.exitCode = 2;
  } else if (error instanceof D1Failure) {
    // Wrangler's own text can echo the SQL, and with it a value.
    process.stderr.write(`ops: ${terminalLines(error.message)}\n`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}
