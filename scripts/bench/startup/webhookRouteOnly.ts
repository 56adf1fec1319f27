// Start-up benchmark only (scripts/bench/startup.mjs): the HTTP app and nothing else, the
// floor of any design.
import { createApp } from "../../../src/createApp";

export default { fetch: createApp().fetch } satisfies ExportedHandler<Env>;
