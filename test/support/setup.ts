// Runs before every test file: the real migrations into this file's fresh local D1, and
// the fake Postmark HTTP API in place of the network.
import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import "./fakePostmark";

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
