/**
 * The tax of an order, pure: shared by the order app (the estimate shown at placement, before
 * promotions) and the checkout's redeem activity (the totals charged, after the discount). It
 * lives with the workflow because workflows/ may not import apps/; the order app re-exports it
 * (apps/order/src/domain/tax.ts) beside the strategy that chooses the rates.
 *
 * Integer minor units, BigInt products. The order's discount is spread over its lines in
 * proportion to their totals (largest remainder, so the shares add up to the discount exactly);
 * each line is taxed on what is left of it, rounded half-even per line:
 *   - prices include tax: tax = gross × r / (1 + r); the total does not change;
 *   - prices exclude tax: tax = net × r, added to the total.
 * Shipping is taxed the same way at the destination's standard rate.
 */
import { allocate, divideHalfEven } from '../../kernel/domain/allocation';

/** What the order fixed at placement: the rate of each line (basis points), of shipping, and whether prices include tax. */
export interface TaxBasis {
  prices_include_tax: boolean;
  shipping_rate_bp: number;
  lines: Array<{ line_total_minor: number; rate_bp: number }>;
}

export interface TaxBreakdown {
  prices_include_tax: boolean;
  /** Per line, in order: its share of the discount, what is taxed (after the discount), and its tax. */
  lines: Array<{ discount_minor: number; taxable_minor: number; tax_minor: number }>;
  shipping_tax_minor: number;
  /** Lines' and shipping's tax together. */
  tax_minor: number;
  /** What the customer pays: goods after the discount, shipping, and the tax when prices exclude it. */
  total_minor: number;
}

const BP = 10_000n;

/** The tax in an amount at a rate: inclusive = the part of a gross amount that is tax, exclusive = the tax on a net amount. */
export function taxOf(amount_minor: number, rate_bp: number, inclusive: boolean): number {
  if (rate_bp === 0 || amount_minor === 0) return 0;
  const a = BigInt(amount_minor);
  const r = BigInt(rate_bp);
  return Number(inclusive ? divideHalfEven(a * r, BP + r) : divideHalfEven(a * r, BP));
}

export function computeTax(basis: TaxBasis, discount_minor: number, shipping_minor: number): TaxBreakdown {
  const subtotal = basis.lines.reduce((s, l) => s + l.line_total_minor, 0);
  // A discount is never more than the goods (promotions guarantee it); clamp rather than trust.
  const discount = Math.min(Math.max(discount_minor, 0), subtotal);
  const shares = allocate(discount, basis.lines.map((l) => l.line_total_minor));
  const lines = basis.lines.map((l, i) => {
    const taxable = l.line_total_minor - shares[i]!;
    return { discount_minor: shares[i]!, taxable_minor: taxable, tax_minor: taxOf(taxable, l.rate_bp, basis.prices_include_tax) };
  });
  const shipping_tax_minor = taxOf(shipping_minor, basis.shipping_rate_bp, basis.prices_include_tax);
  const tax_minor = lines.reduce((s, l) => s + l.tax_minor, 0) + shipping_tax_minor;
  const total_minor = subtotal - discount + shipping_minor + (basis.prices_include_tax ? 0 : tax_minor);
  return { prices_include_tax: basis.prices_include_tax, lines, shipping_tax_minor, tax_minor, total_minor };
}
