/**
 * Money is integer minor units plus an ISO 4217 currency. Decimal input (the seed's
 * `"base_price": 1299.99`) is converted by string arithmetic, never by multiplying a float.
 */
export interface Money {
  amount_minor: number;
  currency: string;
}

/** Minor-unit exponent per currency; ISO 4217 defaults to 2. */
const EXPONENTS: Record<string, number> = { JPY: 0, KRW: 0, VND: 0, CLP: 0, ISK: 0, BHD: 3, KWD: 3, OMR: 3, JOD: 3, TND: 3 };

export function exponentOf(currency: string): number {
  return EXPONENTS[currency.toUpperCase()] ?? 2;
}

/**
 * Converts a decimal amount (number or string as received in JSON) to minor units exactly.
 * Returns undefined when it has more fraction digits than the currency allows, is negative,
 * or is not a plain decimal.
 */
export function toMinorUnits(amount: number | string, currency: string): number | undefined {
  const text = typeof amount === 'number' ? numberToPlainString(amount) : amount.trim();
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) return undefined;
  const exponent = exponentOf(currency);
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if (fraction.length > exponent) return undefined;
  const minor = BigInt(match[1]!) * 10n ** BigInt(exponent) + BigInt(fraction.padEnd(exponent, '0') || '0');
  return minor <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(minor) : undefined;
}

/** Formats minor units as a decimal string, e.g. 129999 USD → "1299.99". */
export function fromMinorUnits(minor: number, currency: string): string {
  const exponent = exponentOf(currency);
  const sign = minor < 0 ? '-' : '';
  const digits = String(Math.abs(minor)).padStart(exponent + 1, '0');
  return exponent === 0 ? `${sign}${digits}` : `${sign}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

/** JSON numbers arrive as doubles; their shortest round-trip text (what JSON had) is exact. */
function numberToPlainString(value: number): string {
  if (!Number.isFinite(value)) return 'NaN';
  const text = String(value);
  return /e/i.test(text) ? value.toFixed(20).replace(/\.?0+$/, '') : text;
}
