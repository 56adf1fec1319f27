import type { WebhookConfig } from "../config";
import type { Logger } from "../observability/log";

/** Hono's typing of the Worker's bindings and of the per-request variables. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    /** The webhook routes' settings, parsed by `webhookSettings` (src/providers/generic/webhookSettings.ts). */
    config: WebhookConfig;
    log: Logger;
    /** What happened to the request, for its log line (confirmed, duplicate, rejected...). */
    outcome: string;
  };
}
