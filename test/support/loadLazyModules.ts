// Runs before every test file (vitest.config.ts): loads every module the Worker loads on first
// use, through the Worker's own loaders (src/lazyModules.ts), which keep them. Two reasons:
// - the first queue message, cron run or Stripe call of a test does not also pay for
//   transforming and evaluating pdf-lib, fontkit, postmark or stripe inside its own time
//   (several seconds on 2 busy cores);
// - the Worker then never import()s during a test. Under the test runner every import() is a
//   request to vite through the runner's Durable Object, and concurrent imports of one module
//   share one promise: a batch the real queue delivered while a test imported the same module
//   can go on in the test's I/O context and fail at message.ack() ("Cannot perform I/O on behalf
//   of a different request"), as the first try of @cloudflare/vitest-plugin 1.x saw under load.
// A new import() in src/ goes into src/lazyModules.ts, and so is loaded here without a change.
import { lazyModules } from "../../src/lazyModules";

for (const load of Object.values(lazyModules)) await load();
export {};
