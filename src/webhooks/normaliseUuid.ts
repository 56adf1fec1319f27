// Order ids in every form Django's UUIDField accepts (uuid.UUID(): "{...}" braces, the
// "urn:uuid:" prefix, 32 hex digits without hyphens, any case), as the one form we store
// and compare: lower-case, hyphenated.
const HEX32 = /^[0-9a-f]{32}$/;

export function normaliseUuid(input: string): string | null {
  let value = input.trim().toLowerCase();
  if (value.startsWith("urn:uuid:")) value = value.slice("urn:uuid:".length);
  if (value.startsWith("{") && value.endsWith("}")) value = value.slice(1, -1);
  // Hyphens only where the canonical form has them, or none at all.
  const hex = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(value) ? value.replaceAll("-", "") : value;
  if (!HEX32.test(hex)) return null;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
