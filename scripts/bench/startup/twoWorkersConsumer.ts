// Start-up benchmark only (scripts/bench/startup.mjs): the second Worker of the design not
// chosen, which consumes `invoice-emails` and its dead-letter queue.
import { consumeQueue } from "../../../src/jobs/consumeQueue";

export default { queue: (batch, env) => consumeQueue(batch, env) } satisfies ExportedHandler<Env>;
