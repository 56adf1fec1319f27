// npm run bench: the webhook's benchmark (run.mjs), or with --orders the order API's
// (orders.mjs). Each module reads its own options from process.argv.
import "../lib/requireProjectNode.mjs"; // first: stops on the wrong Node before anything else runs
if (process.argv.includes("--orders")) await import("./orders.mjs");
else await import("./run.mjs");
