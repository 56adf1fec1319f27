// The Worker's queue() handler: the invoice queue and its dead-letter queue.
// Each message is acked or retried on its own, so one bad message never retries a batch.
import { readConfig, readMailConfig, type MailConfig } from "../config";
import { logMailer } from "../mail/logMailer";
import { unconfiguredMailer, type Mailer } from "../mail/mailer";
import { postmarkMailer } from "../mail/postmarkMailer";
import { createLogger, errorMessage, type Logger } from "../observability/log";
import { InvoiceJobSchema } from "./invoiceJob";
import { assetFontLoader } from "./pdf/renderInvoicePdf";
import { markInvoiceUndeliverable, sendInvoice, type SendDependencies } from "./sendInvoice";

/** Queue names end in this suffix for dead letters (see wrangler.toml). */
export const DEAD_LETTER_SUFFIX = "-dlq";
const FIRST_RETRY_SECONDS = 5;
const MAX_RETRY_SECONDS = 600;

/** Exponential backoff: 5 s, 10 s, 20 s ... capped at 10 minutes. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** Math.max(0, attempts - 1));
}

export async function consumeInvoiceQueue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const core = readConfig(env);
  const log = createLogger(core.logLevel, { queue: batch.queue });
  if (batch.queue.endsWith(DEAD_LETTER_SUFFIX)) return consumeDeadLetters(batch, env, log);

  let config: MailConfig;
  try {
    config = readMailConfig(env);
  } catch (error) {
    // A wrong email setting is ours to fix: keep every invoice PENDING and come back later.
    log.error("mail_config_invalid", { error: errorMessage(error) });
    for (const message of batch.messages) message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
    return;
  }
  const { token, apiUrl } = config.postmark;
  // The log mailer only in local development: a production deploy that lost its token
  // must not mark invoices SENT without emailing anyone.
  const mailer: Mailer = token ? postmarkMailer(token, apiUrl) : core.devMode ? logMailer(log) : unconfiguredMailer;
  if (mailer === unconfiguredMailer) log.error("postmark_token_missing", { messages: batch.messages.length });
  const deps: SendDependencies = { d1: env.DB, mailer, fonts: assetFontLoader(env.ASSETS), config };
  // One at a time: each send holds a lease and a Postmark connection; batches are small.
  for (const message of batch.messages) await consumeOne(message, deps, log);
}

async function consumeOne(message: Message<unknown>, deps: SendDependencies, log: Logger): Promise<void> {
  const job = InvoiceJobSchema.safeParse(message.body);
  if (!job.success) {
    log.error("invoice_job_invalid", { message_id: message.id, body: JSON.stringify(message.body).slice(0, 200) });
    return message.ack();
  }
  const fields = { invoice_id: job.data.invoiceId, message_id: message.id, attempt: message.attempts };
  try {
    const outcome = await sendInvoice(deps, job.data.invoiceId);
    switch (outcome.kind) {
      case "sent":
        log.info("invoice_sent", { ...fields, invoice_number: outcome.number, postmark_message_id: outcome.messageId });
        return message.ack();
      case "sent_unrecorded":
        // Retrying would send a second email now; the kept lease holds the invoice for a while.
        log.error("invoice_sent_unrecorded", {
          ...fields,
          invoice_number: outcome.number,
          postmark_message_id: outcome.messageId,
          error: outcome.error,
          action: "set the invoice SENT by hand, or it may be sent again after its lease",
        });
        return message.ack();
      case "already_final":
        log.info("invoice_already_final", { ...fields, status: outcome.status });
        return message.ack();
      case "not_found":
        log.error("invoice_not_found", fields);
        return message.ack();
      case "failed_permanently":
        log.error("invoice_failed_permanently", { ...fields, error: outcome.error });
        return message.ack();
      case "leased_elsewhere":
        log.info("invoice_leased_elsewhere", { ...fields, retry_in_s: outcome.retryInSeconds });
        return message.retry({ delaySeconds: outcome.retryInSeconds });
      case "failed_retryable": {
        const delaySeconds = retryDelaySeconds(message.attempts);
        log.warn("invoice_send_retry", { ...fields, error: outcome.error, retry_in_s: delaySeconds });
        return message.retry({ delaySeconds });
      }
    }
  } catch (error) {
    // D1 unreachable or a bug: retry this message only.
    const delaySeconds = retryDelaySeconds(message.attempts);
    log.error("invoice_consumer_error", { ...fields, error: errorMessage(error), retry_in_s: delaySeconds });
    message.retry({ delaySeconds });
  }
}

async function consumeDeadLetters(batch: MessageBatch<unknown>, env: Env, log: Logger): Promise<void> {
  for (const message of batch.messages) {
    const job = InvoiceJobSchema.safeParse(message.body);
    if (!job.success) {
      log.error("dead_letter_invalid", { message_id: message.id });
      message.ack();
      continue;
    }
    try {
      const marked = await markInvoiceUndeliverable(env.DB, job.data.invoiceId);
      if (marked) {
        log.error("invoice_undeliverable", { invoice_id: job.data.invoiceId, action: "fix the cause, then set it PENDING again (README)" });
      } else {
        log.warn("dead_letter_ignored", { invoice_id: job.data.invoiceId, reason: "already SENT or FAILED, or a sender holds its lease" });
      }
      message.ack();
    } catch (error) {
      log.error("dead_letter_error", { invoice_id: job.data.invoiceId, error: errorMessage(error) });
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
    }
  }
}
