/**
 * Tax as a named strategy (in the manner of Vendure's TaxZoneStrategy / TaxLineCalculationStrategy):
 * the strategy decides which rate applies to a line (by destination country and the product's
 * tax class) and whether the catalog's prices include tax in a currency; the arithmetic, the
 * same for every strategy, is shared with the checkout saga (workflows/checkout/tax.ts).
 * Chosen by ORDER_TAX_STRATEGY (strategies.ts). Pure.
 */
import type { TaxBasis } from '../../../../workflows/checkout/tax';

export { computeTax, taxOf, type TaxBasis, type TaxBreakdown } from '../../../../workflows/checkout/tax';

export const TAX_CLASSES = ['standard', 'reduced', 'zero'] as const;
export type TaxClass = (typeof TAX_CLASSES)[number];

/** One configured rate: basis points (1900 = 19 %) for a country and a tax class. */
export interface TaxRate {
  country: string;
  tax_class: TaxClass;
  rate_bp: number;
}

export interface TaxStrategy {
  /** The rate of a tax class in a destination country, basis points. */
  rateFor(rates: TaxRate[], country: string, taxClass: TaxClass): number;
  /** Whether catalog prices in this currency already include tax. */
  pricesIncludeTax(currency: string): boolean;
}

/**
 * The default: a table of rates by country and tax class; a pair not configured is 0 (and the
 * 'zero' class is 0 unless configured otherwise). Prices include tax in the currencies listed
 * (ORDER_TAX_INCLUSIVE_CURRENCIES, default EUR and GBP, as shops there show gross prices).
 */
export class CountryTaxRates implements TaxStrategy {
  constructor(private readonly inclusiveCurrencies: ReadonlySet<string>) {}

  rateFor(rates: TaxRate[], country: string, taxClass: TaxClass): number {
    return rates.find((r) => r.country === country && r.tax_class === taxClass)?.rate_bp ?? 0;
  }

  pricesIncludeTax(currency: string): boolean {
    return this.inclusiveCurrencies.has(currency);
  }
}

/** An unknown class (a catalog newer than this service) is taxed as standard rather than not at all. */
export function taxClassOf(value: unknown): TaxClass {
  return (TAX_CLASSES as readonly unknown[]).includes(value) ? (value as TaxClass) : 'standard';
}

/** What an order fixes at placement: each line's rate, shipping's (the destination's standard rate), inclusive or not. */
export function taxBasisFor(
  strategy: TaxStrategy,
  rates: TaxRate[],
  order: { country: string; currency: string; lines: Array<{ line_total_minor: number; tax_class: TaxClass }> },
): TaxBasis & { lines: Array<{ line_total_minor: number; rate_bp: number; tax_class: TaxClass }> } {
  return {
    prices_include_tax: strategy.pricesIncludeTax(order.currency),
    shipping_rate_bp: strategy.rateFor(rates, order.country, 'standard'),
    lines: order.lines.map((l) => ({ line_total_minor: l.line_total_minor, tax_class: l.tax_class, rate_bp: strategy.rateFor(rates, order.country, l.tax_class) })),
  };
}

/** Rules a schema cannot say about a rate table: each (country, class) once. */
export function rateTableProblems(rates: TaxRate[]): Array<{ pointer: string; detail: string }> {
  const seen = new Set<string>();
  const problems: Array<{ pointer: string; detail: string }> = [];
  rates.forEach((r, i) => {
    const key = `${r.country} ${r.tax_class}`;
    if (seen.has(key)) problems.push({ pointer: `/body/rates/${i}`, detail: `repeats ${r.country} ${r.tax_class}` });
    seen.add(key);
  });
  return problems;
}
