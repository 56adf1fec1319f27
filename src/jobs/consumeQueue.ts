// The Worker's queue() handler: invoice and credit note emails and operator alerts on
// `invoice-emails`, and its dead-letter queue. Each message is acked or retried on its own, so one bad message
// never retries a batch, and nothing here can throw out of the handler: a message is only
// ever acked when its work is done or can never be done, otherwise retried.
//
// It parses only the settings it uses (email, alerts, LOG_LEVEL): a malformed webhook
// secret cannot stop invoice emails. A wrong email setting retries every message (none is
// dropped) with an error line naming the variable.
import { sql } from "drizzle-orm";
import { z } from "zod";
import { AlertJobSchema } from "../attention/alertJob";
import { sendAlert } from "../attention/sendAlert";
import { readAlertConfig, readLogLevel, readMailConfig, type MailConfig } from "../config";
import { runBatch } from "../db/client";
import { CreditNoteJobSchema } from "../documents/creditNoteJob";
import { CREDIT_NOTE, INVOICE } from "../documents/documentKinds";
import { InvoiceJobSchema } from "../documents/invoiceJob";
import { assetFontLoader } from "../documents/pdf/renderInvoicePdf";
import {
  markUndeliverable,
  retryDelaySeconds,
  sendDocument,
  SWEEP_GRACE_MS,
  type DocumentKind,
  type SendDependencies,
} from "../documents/sendDocument";
import { unconfiguredMailer, type Mailer } from "../mail/mailer";
import { postmarkMailer } from "../mail/postmarkMailer";
import { createLogger, errorMessage, type Logger } from "../observability/log";

/** Queue names end in this suffix for dead letters (see wrangler.toml). */
export const DEAD_LETTER_SUFFIX = "-dlq";
/** How long a message waits when its settings are wrong: someone has to fix them first. */
const CONFIG_RETRY_SECONDS = 300;

const QueueJobSchema = z.discriminatedUnion("kind", [InvoiceJobSchema, CreditNoteJobSchema, AlertJobSchema]);
type QueueJob = z.infer<typeof QueueJobSchema>;

/** The document a job asks to send, if it is one (an alert is not). */
function documentOf(job: QueueJob): { kind: DocumentKind; id: number } | null {
  if (job.kind === "invoice") return { kind: INVOICE, id: job.invoiceId };
  if (job.kind === "credit_note") return { kind: CREDIT_NOTE, id: job.creditNoteId };
  return null;
}

export interface QueueOptions {
  /**
   * The mailer to use when there is no Postmark token. Only the local development entry
   * (src/dev/devWorker.ts) passes one (the log mailer); the deployed Worker never does.
   */
  devMailer?: (log: Logger) => Mailer;
}

export async function consumeQueue(batch: MessageBatch<unknown>, env: Env, options: QueueOptions = {}): Promise<void> {
  const logLevel = readLogLevel(env);
  const log = createLogger(logLevel.level, { queue: batch.queue });
  if (logLevel.problem) log.error("config_invalid", { error: logLevel.problem });
  if (batch.queue.endsWith(DEAD_LETTER_SUFFIX)) return consumeDeadLetters(batch, env, log);

  let config: MailConfig;
  try {
    config = readMailConfig(env);
  } catch (error) {
    // A wrong email setting is ours to fix: keep every document PENDING and come back later.
    log.error("config_invalid", { error: errorMessage(error), action: "fix the setting; every message is retried" });
    for (const message of batch.messages) message.retry({ delaySeconds: CONFIG_RETRY_SECONDS });
    await postponeDocuments(env.DB, batch, `configuration: ${errorMessage(error)}`, log);
    return;
  }
  const { token, apiUrl } = config.postmark;
  // A deployment that lost its token must not mark invoices SENT without emailing anyone.
  const mailer: Mailer = token ? postmarkMailer(token, apiUrl) : options.devMailer ? options.devMailer(log) : unconfiguredMailer;
  if (mailer === unconfiguredMailer) log.error("postmark_token_missing", { messages: batch.messages.length });
  const deps: SendDependencies = { d1: env.DB, mailer, fonts: assetFontLoader(env.ASSETS), config };
  // Alerts have a setting of their own: a wrong OPS_ALERT_EMAIL holds back alerts, not invoices.
  let alerts: { to: string | undefined } | { error: string };
  try {
    alerts = { to: readAlertConfig(env).opsAlertEmail };
  } catch (error) {
    alerts = { error: errorMessage(error) };
  }
  // One at a time: each send holds a lease and a Postmark connection; batches are small.
  for (const message of batch.messages) {
    const job = QueueJobSchema.safeParse(message.body);
    if (!job.success) {
      log.error("queue_job_invalid", { message_id: message.id, body: JSON.stringify(message.body ?? null).slice(0, 200) });
      message.ack();
    } else if (job.data.kind === "alert") {
      await consumeAlert(message, job.data.itemId, deps, alerts, log);
    } else {
      const document = documentOf(job.data)!;
      await consumeDocument(message, document.kind, document.id, deps, log);
    }
  }
}

/**
 * The documents of a batch that waits for a fixed setting: their messages come back in
 * CONFIG_RETRY_SECONDS, so the sweeper must not add another message for each meanwhile, and
 * whoever looks at one (or `npm run ops -- order`) sees why it waits.
 */
async function postponeDocuments(d1: D1Database, batch: MessageBatch<unknown>, reason: string, log: Logger): Promise<void> {
  const documents = batch.messages.flatMap((m) => {
    const job = QueueJobSchema.safeParse(m.body);
    const document = job.success ? documentOf(job.data) : null;
    return document ? [document] : [];
  });
  const now = Date.now();
  const statements = [INVOICE, CREDIT_NOTE].flatMap((kind) => {
    const ids = documents.filter((d) => d.kind === kind).map((d) => d.id);
    if (ids.length === 0) return [];
    return [
      sql`UPDATE ${kind.table}
          SET last_error = ${reason.slice(0, 1000)}, next_attempt_at = ${now + CONFIG_RETRY_SECONDS * 1000 + SWEEP_GRACE_MS}
          WHERE id IN (${sql.join(ids.map((id) => sql`${id}`), sql`, `)})
            AND status = 'PENDING' AND (lease_until IS NULL OR lease_until <= ${now})`,
    ];
  });
  if (statements.length === 0) return;
  try {
    await runBatch(d1, statements);
  } catch (error) {
    log.error("invoice_postpone_failed", { error: errorMessage(error) });
  }
}

/** Log events are named per kind ("invoice_sent", "credit_note_sent"), with `<kind>_id` and `<kind>_number`. */
async function consumeDocument(message: Message<unknown>, kind: DocumentKind, id: number, deps: SendDependencies, log: Logger): Promise<void> {
  const event = (what: string) => `${kind.name}_${what}`;
  const fields = { [`${kind.name}_id`]: id, message_id: message.id, attempt: message.attempts };
  const numberField = `${kind.name}_number`;
  try {
    const outcome = await sendDocument(deps, kind, id);
    switch (outcome.kind) {
      case "sent":
        log.info(event("sent"), { ...fields, [numberField]: outcome.number, postmark_message_id: outcome.messageId });
        return message.ack();
      case "sent_unrecorded":
        // Retrying would send a second email now; the kept lease holds the document for a while.
        log.error(event("sent_unrecorded"), {
          ...fields,
          [numberField]: outcome.number,
          postmark_message_id: outcome.messageId,
          error: outcome.error,
          action: `set the ${kind.label} SENT by hand, or it may be sent again after its lease`,
        });
        return message.ack();
      case "already_final":
        log.info(event("already_final"), { ...fields, status: outcome.status });
        return message.ack();
      case "not_found":
        log.error(event("not_found"), fields);
        return message.ack();
      case "failed_permanently":
        log.error(event("failed_permanently"), { ...fields, error: outcome.error, action: "npm run ops -- attention" });
        return message.ack();
      case "leased_elsewhere":
        log.info(event("leased_elsewhere"), { ...fields, retry_in_s: outcome.retryInSeconds });
        return message.retry({ delaySeconds: outcome.retryInSeconds });
      case "failed_retryable":
        log.warn(event("send_retry"), { ...fields, error: outcome.error, retry_in_s: outcome.retryInSeconds });
        return message.retry({ delaySeconds: outcome.retryInSeconds });
    }
  } catch (error) {
    // D1 unreachable or a bug: retry this message only.
    const delaySeconds = retryDelaySeconds(message.attempts);
    log.error(event("consumer_error"), { ...fields, error: errorMessage(error), retry_in_s: delaySeconds });
    message.retry({ delaySeconds });
  }
}

async function consumeAlert(
  message: Message<unknown>,
  itemId: number,
  deps: SendDependencies,
  alerts: { to: string | undefined } | { error: string },
  log: Logger,
): Promise<void> {
  const fields = { attention_item: itemId, message_id: message.id };
  if ("error" in alerts) {
    log.error("config_invalid", { ...fields, error: alerts.error, action: "fix OPS_ALERT_EMAIL; the alert is retried" });
    return message.retry({ delaySeconds: CONFIG_RETRY_SECONDS });
  }
  const to = alerts.to;
  if (!to) {
    // OPS_ALERT_EMAIL was unset after the cron enqueued this: nothing to send to.
    log.info("alert_skipped", { ...fields, reason: "OPS_ALERT_EMAIL is not set" });
    return message.ack();
  }
  try {
    const outcome = await sendAlert(deps.d1, deps.mailer, itemId, to, deps.config.invoice.fromEmail, deps.config.postmark.messageStream);
    if (outcome.kind === "failed_retryable") {
      const delaySeconds = retryDelaySeconds(message.attempts);
      log.warn("alert_send_retry", { ...fields, error: outcome.error, retry_in_s: delaySeconds });
      return message.retry({ delaySeconds });
    }
    if (outcome.kind === "failed_permanently") log.error("alert_failed", { ...fields, error: outcome.error });
    else log.info(outcome.kind === "sent" ? "alert_sent" : "alert_skipped", { ...fields, ...outcome });
    message.ack();
  } catch (error) {
    log.error("alert_consumer_error", { ...fields, error: errorMessage(error) });
    message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
  }
}

async function consumeDeadLetters(batch: MessageBatch<unknown>, env: Env, log: Logger): Promise<void> {
  for (const message of batch.messages) {
    const job = QueueJobSchema.safeParse(message.body);
    const document = job.success ? documentOf(job.data) : null;
    if (!document) {
      // An alert whose retries ran out: the item stays on the list, which is what matters.
      log.error("dead_letter_dropped", { message_id: message.id, body: JSON.stringify(message.body ?? null).slice(0, 200) });
      message.ack();
      continue;
    }
    const { kind, id } = document;
    const fields = { [`${kind.name}_id`]: id };
    try {
      const marked = await markUndeliverable(env.DB, kind, id);
      if (marked) {
        log.error(`${kind.name}_undeliverable`, { ...fields, action: "npm run ops -- attention" });
      } else {
        log.warn("dead_letter_ignored", { ...fields, reason: "already SENT or FAILED, or a sender holds its lease" });
      }
      message.ack();
    } catch (error) {
      log.error("dead_letter_error", { ...fields, error: errorMessage(error) });
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
    }
  }
}
