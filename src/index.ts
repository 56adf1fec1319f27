// The Worker: wiring only. Each handler lives with the capability it serves.
import { createApp } from "./http/createApp";

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
