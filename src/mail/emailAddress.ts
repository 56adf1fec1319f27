// One email address, and only one. Postmark reads a comma- or semicolon-separated `To` as a
// list of up to 50 recipients and takes `Name <address>` as a display name, so a stored
// "ada@example.com, someone@else.example" would send Ada's invoice to a stranger: anything
// that is not exactly one plain address is refused before a send (no email at all beats one
// to the wrong person). The same check guards the Worker's From and alert settings and
// `npm run ops -- resend-invoice` (scripts import this file), so they never disagree.
//
// Accepted: what RFC 5321/5322 call a dot-atom local part, i.e. letters, digits and
// ! # $ % & ' * + / = ? ^ _ ` { | } ~ - with single dots between them (conan.o'brien,
// a+tag, {ops}), at most 64 characters; then a domain name with at least two labels, in
// ASCII or Unicode (an internationalised domain name, bücher.example, also as its punycode
// xn--bcher-kva.example), each label at most 63 characters once in punycode.
//
// Refused, because they are what makes Postmark read two recipients, a display name or a
// header: whitespace and control characters (CR LF), , ; < > ( ) [ ] \ : " and a second @;
// so also quoted local parts ("john doe"@example.com: a quoted comma would be split by a
// list parser) and address literals (user@[192.0.2.1]). Non-ASCII local parts (SMTPUTF8)
// are refused too: Postmark does not document taking them, and an invoice that fails here
// says why, where a guess would fail at Postmark or, worse, at the recipient's server.
const ATEXT = "A-Za-z0-9!#$%&'*+/=?^_`{|}~-";
const LOCAL_PART = new RegExp(`^[${ATEXT}]+(?:\\.[${ATEXT}]+)*$`);
/** A label of a domain in ASCII (letters, digits, hyphens inside), punycode included. */
const ASCII_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
/** What a Unicode domain may hold before it is turned into punycode: letters, marks, digits, hyphens, dots. */
const UNICODE_DOMAIN = /^[\p{L}\p{M}\p{N}.-]+$/u;

export const MAX_EMAIL_LENGTH = 254;
const MAX_LOCAL_PART_LENGTH = 64;
const MAX_DOMAIN_LENGTH = 253;

export function isSingleEmailAddress(value: string): boolean {
  if (typeof value !== "string" || value.length > MAX_EMAIL_LENGTH) return false;
  const at = value.lastIndexOf("@");
  if (at <= 0) return false;
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (local.length > MAX_LOCAL_PART_LENGTH || !LOCAL_PART.test(local)) return false;
  const ascii = asciiDomain(domain);
  if (ascii === null || ascii.length > MAX_DOMAIN_LENGTH) return false;
  const labels = ascii.split(".");
  if (labels.length < 2 || !labels.every((label) => ASCII_LABEL.test(label))) return false;
  // A top-level domain is never all digits: "user@192.0.2.1" is an IP address, not a domain.
  return !/^[0-9]+$/.test(labels[labels.length - 1]!);
}

/** The domain in ASCII (punycode for Unicode labels, lower-cased), or null if it is not a domain name. */
function asciiDomain(domain: string): string | null {
  if (/^[A-Za-z0-9.-]+$/.test(domain)) return domain.toLowerCase();
  if (!UNICODE_DOMAIN.test(domain) || domain.startsWith(".") || domain.endsWith(".") || domain.includes("..")) return null;
  try {
    // The WHATWG URL parser applies UTS #46 (IDNA) to a host: the same punycode a mail server
    // looks up. It also maps some characters (full-width letters); the result is checked again.
    return new URL(`http://${domain}/`).hostname;
  } catch {
    return null;
  }
}
