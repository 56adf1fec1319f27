// Money is an integer wherever we store or compare it: a count of the currency's minor unit.
// This module is the one place that knows how many digits that unit has, so every amount shown
// to a human (attention words, alert emails, `npm run ops`, invoices, credit notes) and every
// amount an operator types (`ops refund --amount 12.50`) goes through it.
//
// What our stored integer means: the unit Stripe's API uses, because Stripe is where our amounts
// come from (webhooks) and go (refunds), and the generic webhook documents the same convention.
// Stripe follows ISO 4217 with a few deliberate exceptions (https://stripe.com/docs/currencies,
// "Zero-decimal", "Three-decimal" and "Special cases"):
//   - ISK is zero-decimal in ISO 4217, but Stripe's API keeps it two-decimal for backwards
//     compatibility: `100` is 1 króna (and Stripe refuses amounts not divisible by 100).
//   - MGA has two decimals in ISO 4217 but is zero-decimal in Stripe's API.
//   - HUF and TWD stay two-decimal in Stripe's API (only *payouts* must be whole units), so 1000
//     is 10.00 HUF, although everyday prices have no fractions.
//   - UGX is zero-decimal in both.
// We do NOT take the digits from Intl.NumberFormat: its data is CLDR's display preference, not
// the API unit, and it says 0 for HUF, IDR, COP, PKR, LAK, ... (measured on Node 20 and workerd),
// which would show the 1000 Stripe sends for 10.00 HUF as "1,000 HUF"; and workerd's ICU data
// disagrees with Node's (2 for HUF). Intl is used only for grouping and symbols.

/** Zero-decimal in Stripe's API (its list, which is ISO 4217's 0-digit codes less ISK, plus MGA). */
const ZERO_DECIMAL = new Set(["BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"]);
/** Three-decimal in Stripe's API (BHD, JOD, KWD, OMR, TND) and in ISO 4217 (plus IQD, LYD). */
const THREE_DECIMAL = new Set(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"]);

function normalise(currency: string | null | undefined): string | null {
  if (typeof currency !== "string") return null;
  const code = currency.trim().toUpperCase();
  return /^[A-Z]{3}$/.test(code) ? code : null;
}

let knownCodes: Set<string> | undefined;
function isoCodes(): Set<string> {
  // Intl knows which codes exist (ISO 4217's current list, in V8's ICU; funds codes such as CLF
  // and test codes such as XTS are not in it), even where its digits are not ours.
  knownCodes ??= new Set(Intl.supportedValuesOf("currency"));
  return knownCodes;
}

/** The ISO 4217 code in upper case, or null when it is not a currency we know (e.g. "XYZ", "", "€"). */
export function currencyCode(currency: string | null | undefined): string | null {
  const code = normalise(currency);
  return code !== null && isoCodes().has(code) ? code : null;
}

/** How many decimal digits our stored integer has for this currency (Stripe's API unit). Throws for an unknown code. */
export function minorUnitDigits(currency: string): number {
  const code = currencyCode(currency);
  if (code === null) throw new RangeError(`"${String(currency).slice(0, 16)}" is not an ISO 4217 currency code such as "EUR"`);
  if (ZERO_DECIMAL.has(code)) return 0;
  if (THREE_DECIMAL.has(code)) return 3;
  return 2;
}

/** The minor-unit integer as an exact decimal string: 1250 EUR → "12.50", 5000 JPY → "5000", 12345 KWD → "12.345". */
function decimalString(minor: number, digits: number): string {
  const negative = minor < 0;
  const whole = Math.abs(minor).toString().padStart(digits + 1, "0");
  const text = digits === 0 ? whole : `${whole.slice(0, -digits)}.${whole.slice(-digits)}`;
  return negative ? `-${text}` : text;
}

/** ISK counts in hundredths in Stripe's API, but krónur have had no fractions since 2023 (ISO 4217: 0 digits). */
const WHOLE_UNITS_IN_PRACTICE = new Set(["ISK"]);

function fractionDigitsShown(code: string, minor: number, digits: number): number {
  // A whole amount reads as whole krónur; a fraction that exists (an old charge) is never hidden.
  // Deliberately not Intl's display digits: they differ between Node (the CLI) and workerd (the
  // alert email) for HUF and others, and the two must print the same words.
  return WHOLE_UNITS_IN_PRACTICE.has(code) && minor % 10 ** digits === 0 ? 0 : digits;
}

/**
 * For the operator (attention words, alert emails, `npm run ops`): the amount then the code, the
 * same in every locale, because symbols are ambiguous ("$" is 20 currencies):
 * 1250 EUR → "12.50 EUR", 5000 JPY → "5,000 JPY", 12345 KWD → "12.345 KWD".
 * An unknown code is not guessed at: 1234 "XYZ" → "1234 (minor units of XYZ)". Never throws.
 */
export function formatMoney(minor: number, currency: string | null | undefined): string {
  const code = currencyCode(currency);
  if (!Number.isSafeInteger(minor) || code === null) {
    const label = normalise(currency) ?? "an unknown currency";
    return `${Number.isFinite(minor) ? String(minor) : "?"} (minor units of ${label})`;
  }
  const digits = minorUnitDigits(code);
  const shown = fractionDigitsShown(code, minor, digits);
  // Intl.NumberFormat takes a string decimal exactly (no float rounding of large amounts).
  const number = new Intl.NumberFormat("en", { minimumFractionDigits: shown, maximumFractionDigits: shown }).format(
    decimalString(minor, digits) as unknown as number,
  );
  return `${number} ${code}`;
}

/**
 * For the customer (invoices, credit notes, their emails): the locale's own currency style,
 * e.g. "€12.50" (en-GB), "12,50 €" (de-DE), "¥5,000", "KWD 12.345". Throws for an unknown code:
 * a document must not be issued in a currency we cannot write.
 */
export function formatMoneyForLocale(minor: number, currency: string, locale: string): string {
  if (!Number.isSafeInteger(minor)) throw new RangeError(`an amount must be an integer in the currency's minor unit, got ${minor}`);
  const digits = minorUnitDigits(currency);
  const code = currencyCode(currency)!;
  const shown = fractionDigitsShown(code, minor, digits);
  return new Intl.NumberFormat(locale, {
    style: "currency",
    currency: code,
    minimumFractionDigits: shown,
    maximumFractionDigits: shown,
  }).format(decimalString(minor, digits) as unknown as number);
}

export type ParsedMoney = { ok: true; minor: number } | { ok: false; error: string };

/**
 * What an operator types, as our stored integer: "12.50" EUR → 1250, "12.5" → 1250, "12" → 1200,
 * "5000" JPY → 5000, "12.345" KWD → 12345. Refuses what would need rounding ("12.505" EUR,
 * "50.5" JPY), signs, exponents, grouping and anything not a plain positive decimal, so a typo
 * never becomes a different amount of money.
 */
export function parseMoney(input: string, currency: string): ParsedMoney {
  const code = currencyCode(currency);
  if (code === null) return { ok: false, error: `"${String(currency).slice(0, 16)}" is not an ISO 4217 currency code such as "EUR"` };
  const digits = minorUnitDigits(code);
  const text = input.trim();
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
  const example = digits === 0 ? "5000" : `12.${"5".padEnd(digits, "0")}`;
  if (!match) {
    return { ok: false, error: `"${text.slice(0, 32)}" is not an amount: write it in ${code} with a dot for decimals, e.g. ${example}` };
  }
  const [, whole, fraction = ""] = match;
  if (fraction.length > digits) {
    const unit = digits === 0 ? "has no decimals" : `has ${digits} decimal${digits === 1 ? "" : "s"}`;
    return { ok: false, error: `${code} ${unit}: "${text}" has ${fraction.length}, e.g. ${example}` };
  }
  const minor = Number(whole + fraction.padEnd(digits, "0"));
  if (!Number.isSafeInteger(minor)) return { ok: false, error: `"${text.slice(0, 32)}" is too large an amount` };
  if (minor === 0) return { ok: false, error: `the amount must be more than 0 ${code}` };
  return { ok: true, minor };
}
