// The Worker's own modules that the CLI prints with, imported from TypeScript (importTs): the
// attention query and its words are the ones the alert email uses, so the list in the
// terminal and the email never disagree; order ids are normalised as the webhook does; an
// address is checked as the invoice consumer checks it before a send.
import { importTs } from "../importTs.mjs";

export async function loadWorkerModules() {
  const [items, query, words, uuid, address] = await Promise.all([
    importTs("src/attention/attentionItems.ts"),
    importTs("src/attention/attentionQuery.ts"),
    importTs("src/attention/describeAttention.ts"),
    importTs("src/orders/normaliseUuid.ts"),
    importTs("src/mail/emailAddress.ts"),
  ]);
  return {
    ATTENTION_KINDS: items.ATTENTION_KINDS,
    ATTENTION_SELECT: query.ATTENTION_SELECT,
    describeAttention: words.describeAttention,
    formatMoney: words.formatMoney,
    normaliseUuid: uuid.normaliseUuid,
    isSingleEmailAddress: address.isSingleEmailAddress,
  };
}
