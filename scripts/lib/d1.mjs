// Runs SQL on the service's D1 through `wrangler d1 execute --json`: the local database of
// `npm run dev` by default, the deployed one with { remote: true } (authorised by the
// operator's own `wrangler login`, so the CLI needs no endpoint and no credential of its
// own). Wrangler's failures become one sentence that names the next command to run.
import { ROOT, runWranglerSync } from "./wrangler.mjs";

/** A failure the operator can act on; `message` says what to do. Printed without a stack. */
export class D1Failure extends Error {
  constructor(message) {
    super(message);
    this.name = "D1Failure";
  }
}

/** Where the SQL runs, in words, for the operator ("local database", "deployed database"). */
export function describeTarget({ remote = false, persistTo } = {}) {
  if (remote) return "deployed database";
  return persistTo ? `local database in ${persistTo}` : "local database";
}

/**
 * Runs `sql` (one or more statements separated by ";") and returns the rows of each
 * statement, in order. Values in `sql` must already be literals from sqlLiteral.mjs.
 */
export function executeSql(sql, { remote = false, persistTo } = {}) {
  const args = ["d1", "execute", "DB", remote ? "--remote" : "--local", "--json", "--command", sql];
  if (persistTo && !remote) args.push("--persist-to", persistTo);
  const result = runWranglerSync(args, { remote });
  if (result.error) {
    throw new D1Failure(`could not run wrangler (${result.error.message}): run \`npm install\` in ${ROOT}`);
  }
  if (result.status === 0) {
    try {
      const parsed = JSON.parse(result.stdout);
      return (Array.isArray(parsed) ? parsed : [parsed]).map((statement) => statement.results ?? []);
    } catch {
      throw new D1Failure(`wrangler answered something that is not JSON:\n${tail(result.stdout)}`);
    }
  }
  throw new D1Failure(explainFailure(wranglerError(result), { remote, persistTo }));
}

/** The error text of a failed `wrangler ... --json`: {"error":{"text"}} on stdout, else stderr. */
function wranglerError({ stdout = "", stderr = "" }) {
  const start = stdout.indexOf("{");
  if (start >= 0) {
    try {
      const text = JSON.parse(stdout.slice(start))?.error?.text;
      if (typeof text === "string" && text) return text;
    } catch {
      // not the JSON error shape: fall back to everything wrangler printed
    }
  }
  return `${stdout}\n${stderr}`.trim() || "no output";
}

function explainFailure(text, { remote, persistTo }) {
  const where = remote ? "--remote" : persistTo ? `--local --persist-to ${persistTo}` : "--local";
  const migrate = `npx wrangler d1 migrations apply DB ${where}`;
  if (/not logged in|not authenticated|CLOUDFLARE_API_TOKEN|Authentication error|Invalid access token|\[code: (?:10000|9106|9109)\]/i.test(text)) {
    return "not logged in: run `npx wrangler login` (a script can set CLOUDFLARE_API_TOKEN instead)";
  }
  if (/More than one account/i.test(text)) {
    return "your login sees more than one Cloudflare account: set CLOUDFLARE_ACCOUNT_ID to the shop's account and run the command again";
  }
  if (/Couldn't find DB|database[^\n]*(?:not found|could not be found|does not exist)|\[code: 7404\]/i.test(text)) {
    return (
      "the deployed database was not found: the first `npx wrangler deploy` creates it (database_name in wrangler.toml); " +
      "then run `npx wrangler d1 migrations apply DB --remote`"
    );
  }
  if (/no such table/i.test(text)) {
    return remote
      ? "the deployed database has no tables yet: run `npx wrangler d1 migrations apply DB --remote`"
      : `the local database has no tables yet: run \`npm run dev\` (or \`${migrate}\`)`;
  }
  if (/no such column/i.test(text)) {
    return `the ${remote ? "deployed" : "local"} database is behind this code's migrations (${firstLine(text)}): run \`${migrate}\``;
  }
  if (remote && /fetch failed|ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|network/i.test(text)) {
    return `could not reach the Cloudflare API (${firstLine(text)}): check the network and run the command again`;
  }
  return `wrangler d1 execute failed: ${tail(text)}`;
}

const firstLine = (text) => text.split("\n").find((line) => line.trim())?.trim() ?? text;
const tail = (text) => text.trim().split("\n").slice(-15).join("\n");
