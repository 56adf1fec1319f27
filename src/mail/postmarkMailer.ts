// Sends through Postmark's HTTP API with the official client (postmark 5.x calls the global
// fetch, so it runs in workerd). POSTMARK_API_URL selects the host, which is how tests and
// local runs point it at a fake.
import { ServerClient } from "postmark";
import { isRetryableStatus, MailDeliveryError, type Mailer, type OutgoingEmail } from "./mailer";

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
          Attachments: email.attachments.map((a) => ({
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

function classify(error: unknown): MailDeliveryError {
  const status = typeof (error as { statusCode?: unknown })?.statusCode === "number" ? (error as { statusCode: number }).statusCode : 0;
  const code = typeof (error as { code?: unknown })?.code === "number" ? (error as { code: number }).code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return new MailDeliveryError(`Postmark ${status || "network error"}: ${message}`, isRetryableStatus(status), status || undefined, code);
}
