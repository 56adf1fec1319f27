// Sends through Postmark's HTTP API with the official client (postmark 5.x calls the global
// fetch, so it runs in workerd). POSTMARK_API_URL selects the host, which is how tests and
// local runs point it at a fake.
import { ServerClient } from "postmark";
import { MailDeliveryError, type FailureKind, type Mailer, type OutgoingEmail } from "./mailer";

/** Seconds before a send is abandoned as a (retryable) timeout; well inside the send lease. */
export const POSTMARK_TIMEOUT_SECONDS = 15;

export function postmarkMailer(token: string, apiUrl: string): Mailer {
  const url = new URL(apiUrl);
  const client = new ServerClient(token, {
    useHttps: url.protocol === "https:",
    requestHost: url.host,
    timeout: POSTMARK_TIMEOUT_SECONDS,
  });
  return {
    async send(email: OutgoingEmail) {
      try {
        const response = await client.sendEmail({
          From: email.from,
          To: email.to,
          Subject: email.subject,
          HtmlBody: email.htmlBody,
          TextBody: email.textBody,
          MessageStream: email.messageStream,
          Tag: email.tag,
          Metadata: email.metadata,
          Attachments: (email.attachments ?? []).map((a) => ({
            Name: a.name,
            Content: a.contentBase64,
            ContentType: a.contentType,
            ContentID: null,
          })),
        });
        return { messageId: response.MessageID };
      } catch (error) {
        throw classify(error);
      }
    },
  };
}

/**
 * Postmark's ErrorCodes that concern the whole account or its configuration, not one
 * message: 10 bad or missing server token, 400/401 sender signature not found or not
 * confirmed, 405 not allowed to send, 412/413 account pending or may not send. They clear
 * when someone fixes the account, so they must never mark every invoice in flight FAILED.
 */
export const POSTMARK_ACCOUNT_CODES: readonly number[] = [10, 400, 401, 405, 412, 413];

/** One message's fate from Postmark's HTTP status and ErrorCode (0 status: no answer at all). */
export function classifyPostmarkFailure(status: number, code: number | undefined): FailureKind {
  if (status === 0 || status === 408 || status === 429 || status >= 500) return "transient";
  if (code !== undefined && POSTMARK_ACCOUNT_CODES.includes(code)) return "account";
  // 401 without a code is still the token.
  if (status === 401 || status === 403) return "account";
  // 422 with a per-message code (300 invalid email request, 406 inactive recipient, ...)
  // and any other 4xx: this message as it is will never be accepted.
  return "final";
}

function classify(error: unknown): MailDeliveryError {
  const status = typeof (error as { statusCode?: unknown })?.statusCode === "number" ? (error as { statusCode: number }).statusCode : 0;
  const code = typeof (error as { code?: unknown })?.code === "number" ? (error as { code: number }).code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  const label = status ? `Postmark ${status}${code !== undefined ? ` (ErrorCode ${code})` : ""}` : "Postmark network error";
  return new MailDeliveryError(`${label}: ${message}`, classifyPostmarkFailure(status, code), status || undefined, code);
}
