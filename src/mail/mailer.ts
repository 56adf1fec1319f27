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
  htmlBody: string;
  textBody: string;
  messageStream: string;
  tag?: string;
  metadata?: Record<string, string>;
  attachments: EmailAttachment[];
}

export interface Mailer {
  /** Resolves with the provider's message id once the provider has accepted the email. */
  send(email: OutgoingEmail): Promise<{ messageId: string }>;
}

/**
 * A send the provider refused or that never reached it. `retryable` decides between
 * retry-with-backoff (429, 5xx, network errors, timeouts) and giving up at once (401, 422:
 * a retry would be refused the same way, and could only annoy the recipient).
 */
export class MailDeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly httpStatus: number | undefined,
    readonly providerCode: number | undefined,
  ) {
    super(message);
    this.name = "MailDeliveryError";
  }
}

/** Provider answers worth another try: throttling, the provider's own faults, timeouts. */
export function isRetryableStatus(status: number): boolean {
  return status === 0 || status === 408 || status === 429 || status >= 500;
}

/**
 * The mailer of a deployment without POSTMARK_SERVER_TOKEN (and not in DEV_MODE): every send
 * fails as retryable, so invoices stay PENDING with the reason in last_error, the queue
 * retries, and nothing is ever marked SENT without an email having gone out.
 */
export const unconfiguredMailer: Mailer = {
  async send() {
    throw new MailDeliveryError(
      "POSTMARK_SERVER_TOKEN is not set: no email can be sent (set it with `wrangler secret put POSTMARK_SERVER_TOKEN`)",
      true,
      undefined,
      undefined,
    );
  },
};
