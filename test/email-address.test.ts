// The one-address check in front of every send (src/mail/emailAddress.ts): every single
// address Postmark delivers to passes, and nothing that Postmark would read as a list, a
// display name or a header does. A valid address that the check refused never got its
// invoice: the customer is the one who pays for a check that is too strict.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { isSingleEmailAddress } from "../src/mail/emailAddress";
import { postmark } from "./support/fakePostmark";
import { confirmedOrderWithInvoice, invoiceJob, invoiceRow, runQueue } from "./support/invoices";

beforeEach(() => postmark.reset());

const ACCEPTED: [string, string][] = [
  ["a plain address", "ada@example.com"],
  ["an apostrophe", "conan.o'brien@example.com"],
  ["a tag after +", "ada+invoices@example.com"],
  ["every other atext character", "!#$%&'*+/=?^_`{|}~-@example.com"],
  ["dots between atoms", "first.middle.last@example.com"],
  ["digits only in the local part", "1042@example.com"],
  ["a hyphenated and deep domain", "ada@mail.my-shop.co.uk"],
  ["upper case", "Ada.Lovelace@Example.COM"],
  ["an internationalised domain in Unicode", "kunde@bücher.example"],
  ["an internationalised domain in punycode", "kunde@xn--bcher-kva.example"],
  ["a Cyrillic domain", "ivan@пример.рф"],
  ["a Japanese domain", "taro@例え.jp"],
  ["a 64-character local part", `${"a".repeat(64)}@example.com`],
  ["a 63-character label", `ada@${"a".repeat(63)}.example`],
];

const REFUSED: [string, string][] = [
  ["two addresses separated by a comma", "ada@example.com, someone@else.example"],
  ["two addresses without a space", "ada@example.com,someone@else.example"],
  ["two addresses separated by a semicolon", "ada@example.com;someone@else.example"],
  ["a display name", "Ada <ada@example.com>"],
  ["angle brackets alone", "<ada@example.com>"],
  ["a quoted display name with a comma", '"Lovelace, Ada" <ada@example.com>'],
  ["a quoted local part", '"ada lovelace"@example.com'],
  ["a quoted local part hiding a comma", '"a,b"@example.com'],
  ["a newline (a header)", "ada@example.com\r\nBcc: someone@else.example"],
  ["a line feed alone", "ada@example.com\nsomeone@else.example"],
  ["a space", "ada lovelace@example.com"],
  ["a tab", "ada\t@example.com"],
  ["a comment", "ada(work)@example.com"],
  ["a backslash", "ada\\@example.com"],
  ["a colon (a group)", "team:ada@example.com;"],
  ["two @", "ada@home@example.com"],
  ["no @", "ada at example"],
  ["no local part", "@example.com"],
  ["no domain", "ada@"],
  ["a domain without a dot", "ada@localhost"],
  ["an address literal", "ada@[192.0.2.1]"],
  ["an IP address as domain", "ada@192.0.2.1"],
  ["a leading dot", ".ada@example.com"],
  ["a trailing dot in the local part", "ada.@example.com"],
  ["two dots in a row", "ada..lovelace@example.com"],
  ["a domain with two dots", "ada@example..com"],
  ["a domain label starting with a hyphen", "ada@-example.com"],
  ["a domain with an underscore", "ada@ex_ample.com"],
  ["a non-ASCII local part (SMTPUTF8, not documented by Postmark)", "josé@example.com"],
  ["a full-width comma in the domain", "ada@example，com"],
  ["a 65-character local part", `${"a".repeat(65)}@example.com`],
  ["a 64-character label", `ada@${"a".repeat(64)}.example`],
  ["longer than 254 characters", `${"a".repeat(60)}@${Array.from({ length: 4 }, () => "b".repeat(60)).join(".")}.example`],
  ["an empty string", ""],
  ["a NUL byte", "ada\u0000@example.com"],
  ["a bidirectional override", "ada\u202e@example.com"],
];

describe("one email address, and only one", () => {
  it.each(ACCEPTED)("accepts %s: %s", (_, address) => {
    expect(isSingleEmailAddress(address)).toBe(true);
  });

  it.each(REFUSED)("refuses %s", (_, address) => {
    expect(isSingleEmailAddress(address)).toBe(false);
  });

  it("an invoice for conan.o'brien@example.com is sent to that one address", async () => {
    const { order: o, invoiceId, number } = await confirmedOrderWithInvoice();
    await env.DB.prepare("UPDATE orders SET customer_email = ? WHERE id = ?").bind("conan.o'brien@example.com", o.id).run();
    const result = await runQueue("invoice-emails", [invoiceJob(invoiceId)]);
    expect(result.explicitAcks).toHaveLength(1);
    expect((await invoiceRow(invoiceId)).status).toBe("SENT");
    const [email] = postmark.emailsFor(number);
    expect(email!.body.To).toBe("conan.o'brien@example.com");
  });
});
