// How the CLI names the id of an email that went out. A deployed Worker sends through
// Postmark, whose MessageID finds the email in Postmark's activity; under `npm run dev` the
// log mailer (src/mail/logMailer.ts) only prints the email, with an id of its own that
// starts "log-" and that Postmark has never seen.

/** "Postmark message id ...", or what the log mailer's id is, or that none was recorded. */
export function describeMessageId(messageId) {
  if (messageId === null || messageId === undefined || messageId === "") return "no message id recorded";
  if (String(messageId).startsWith("log-")) return `printed by the log mailer of \`npm run dev\`, not emailed (id ${messageId})`;
  return `Postmark message id ${messageId}`;
}
