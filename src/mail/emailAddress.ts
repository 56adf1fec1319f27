// One email address, and only one. Postmark reads a comma- or semicolon-separated `To` as a
// list of up to 50 recipients, so a stored "ada@example.com, someone@else.example" would
// send Ada's invoice to a stranger: anything that is not exactly one plain address is
// refused before a send (no email at all beats one to the wrong person).
//
// Deliberately strict and simple: a local part and a domain with a dot, no whitespace, no
// separators, no display names or quoting. Postmark does the full RFC check on its side.
const SINGLE_ADDRESS = /^[^\s@,;<>()"'[\]\\:]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

export const MAX_EMAIL_LENGTH = 254;

export function isSingleEmailAddress(value: string): boolean {
  return value.length <= MAX_EMAIL_LENGTH && SINGLE_ADDRESS.test(value);
}
