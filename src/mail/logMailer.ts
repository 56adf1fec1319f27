// The mailer of local development (src/dev/devWorker.ts, without POSTMARK_SERVER_TOKEN): it prints
// what would have been sent, so `npm run dev` works end to end offline.
import type { Logger } from "../observability/log";
import type { Mailer, OutgoingEmail } from "./mailer";

export function logMailer(log: Logger): Mailer {
  return {
    async send(email: OutgoingEmail) {
      const messageId = `log-${crypto.randomUUID()}`;
      log.info("email_logged", {
        message_id: messageId,
        from: email.from,
        to: email.to,
        subject: email.subject,
        attachments: (email.attachments ?? []).map((a) => `${a.name} (${Math.round((a.contentBase64.length * 3) / 4)} bytes)`),
        // Under `npm run dev` the development entry serves the PDF at this path.
        ...(email.metadata?.invoice_number ? { pdf: `/dev/invoices/${email.metadata.invoice_number}.pdf` } : {}),
        text: email.textBody,
      });
      return { messageId };
    },
  };
}
