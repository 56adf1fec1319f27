// What the invoice consumer needs from an email provider, and how a failure is classified.
export interface EmailAttachment {
  name: string;
  contentType: string;
  contentBase64: string;
}

export interface OutgoingEmail {
  from: string;
  to: string;
  subject: string;
  /** Omitted for plain-text emails (operator alerts). */
  htmlBody?: string;
  textBody: string;
  messageStream: string;
  tag?: string;
  metadata?: Record<string, string>;
  attachments?: EmailAttachment[];
}

export interface Mailer {
  /** Resolves with the provider's message id once the provider has accepted the email. */
  send(email: OutgoingEmail): Promise<{ messageId: string }>;
}

/**
 * How a failed send should be treated:
 * - "final": this message can never go through as it is (an invalid or inactive recipient,
 *   a request the provider rejects, an invoice that cannot be rendered): FAILED at once,
 *   for a human;
 * - "transient": throttling, the provider's own faults, network errors, timeouts: retry
 *   soon with a growing delay;
 * - "account": the account or the configuration is wrong (bad token, unconfirmed sender,
 *   sending paused): every message fails the same way until a human fixes it, then every
 *   message should go through, so retry with a long delay and never give up early.
 */
export type FailureKind = "final" | "transient" | "account";

/** A send the provider refused or that never reached it. */
export class MailDeliveryError extends Error {
  constructor(
    message: string,
    readonly kind: FailureKind,
    readonly httpStatus: number | undefined,
    readonly providerCode: number | undefined,
  ) {
    super(message);
    this.name = "MailDeliveryError";
  }
}

/**
 * The mailer of a deployment without POSTMARK_SERVER_TOKEN (outside local development):
 * every send fails as an account problem, so invoices stay PENDING with the reason in
 * last_error, retry with a long delay, show up in `npm run ops -- attention` after an hour,
 * and nothing is ever marked SENT without an email having gone out.
 */
export const unconfiguredMailer: Mailer = {
  async send() {
    throw new MailDeliveryError(
      "POSTMARK_SERVER_TOKEN is not set: no email can be sent (set it with `wrangler secret put POSTMARK_SERVER_TOKEN`)",
      "account",
      undefined,
      undefined,
    );
  },
};
