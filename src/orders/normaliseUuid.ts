// Order ids arrive in whatever form the sender stored them: the Django shop this service
// replaces accepted any string Python's `uuid.UUID(hex)` parses (Django's UUIDField passes it
// there), and Stripe hands back client_reference_id / metadata exactly as the shop wrote them.
// The orders table keys on the canonical lower-case 8-4-4-4-12 form, so every source
// normalises here before it looks an order up.
//
// Accepted (any case, surrounding whitespace trimmed as Django's form field does):
//   6f1c1f0e-3b9a-4c1d-9a53-0d5e0f6b8a21           canonical
//   6F1C1F0E3B9A4C1D9A530D5E0F6B8A21               32 hex digits, no dashes
//   {6f1c1f0e-3b9a-4c1d-9a53-0d5e0f6b8a21}         braces (also around the 32-digit form)
//   urn:uuid:6f1c1f0e-3b9a-4c1d-9a53-0d5e0f6b8a21  RFC 4122 URN (prefix in any case)
// Not accepted, although Python's parser lets them through by accident (it deletes every
// "-", "urn:" and "uuid:" and strips any number of braces before counting 32 characters):
// dashes in other places, unbalanced braces, a bare "uuid:" prefix. An id like that is a
// bug upstream, and guessing could match the wrong order.
// No version or variant check: Python does none, and the nil UUID is a valid key.

// Prefix, then the hyphenated or the 32-digit form, either one optionally in braces.
const UUID_FORM =
  /^(?:urn:uuid:)?(?:\{(?<braced>[0-9a-f-]{32,36})\}|(?<bare>[0-9a-f-]{32,36}))$/i;
const HYPHENATED = /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/i;
const PLAIN = /^([0-9a-f]{8})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{12})$/i;

/** The canonical lower-case hyphenated form of `input`, or null when it is not a UUID. */
export function normaliseUuid(input: string): string | null {
  if (typeof input !== "string") return null;
  const form = UUID_FORM.exec(input.trim())?.groups;
  const digits = form?.braced ?? form?.bare;
  if (!digits) return null;
  const groups = HYPHENATED.exec(digits) ?? PLAIN.exec(digits);
  return groups ? groups.slice(1, 6).join("-").toLowerCase() : null;
}
