/**
 * Shipping as a named strategy (in the manner of Vendure's ShippingCalculator): a small
 * interface, a default implementation (`table-rate`), chosen by ORDER_SHIPPING_STRATEGY
 * (strategies.ts). Pure: the methods come from the store, the cart from the priced order.
 */

/** One rate row: up to `up_to` (inclusive; null = no upper bound) grams or minor units of the order value, this price. */
export interface RateRow {
  up_to: number | null;
  price_minor: number;
}

export interface ShippingMethod {
  code: string;
  name: string;
  /** ISO 3166-1 alpha-2 codes, or ['*'] for everywhere. */
  countries: string[];
  currency: string;
  /** What the brackets of `rates` measure: the parcel's weight or the order's value (subtotal before discounts). */
  rate_by: 'weight' | 'order_value';
  /** Ascending by up_to; the last may be open (null). */
  rates: RateRow[];
  /** Orders whose subtotal reaches this ship free (null: never). */
  free_over_minor: number | null;
  active: boolean;
}

/** What a quote looks at: where it goes, what it weighs, what it is worth (before discounts). */
export interface ShippingCart {
  country: string;
  currency: string;
  weight_grams: number;
  subtotal_minor: number;
}

export interface ShippingQuote {
  code: string;
  name: string;
  currency: string;
  price_minor: number;
}

/** The shipping method an order was placed with, as it was then (a method may change or go later). */
export interface ChosenShipping {
  code: string;
  name: string;
  price_minor: number;
}

export interface ShippingCalculator {
  /** The methods that can take this cart, each with its price; a method that cannot (country, currency, no bracket) is left out. */
  quote(methods: ShippingMethod[], cart: ShippingCart): ShippingQuote[];
}

export function serves(method: ShippingMethod, country: string, currency: string): boolean {
  return method.active && method.currency === currency && (method.countries.includes('*') || method.countries.includes(country));
}

/** The default: a table of brackets per method, by weight or by order value, free over a threshold. */
export class TableRateShipping implements ShippingCalculator {
  quote(methods: ShippingMethod[], cart: ShippingCart): ShippingQuote[] {
    const quotes: ShippingQuote[] = [];
    for (const m of methods) {
      if (!serves(m, cart.country, cart.currency)) continue;
      const measure = m.rate_by === 'weight' ? cart.weight_grams : cart.subtotal_minor;
      const row = m.rates.find((r) => r.up_to === null || measure <= r.up_to);
      if (!row) continue; // heavier (or dearer) than the table goes: this method cannot take it
      const free = m.free_over_minor !== null && cart.subtotal_minor >= m.free_over_minor;
      quotes.push({ code: m.code, name: m.name, currency: m.currency, price_minor: free ? 0 : row.price_minor });
    }
    return quotes.sort((a, b) => a.price_minor - b.price_minor || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  }
}

/**
 * Rules a schema cannot say about a method's table: brackets strictly ascending, only the last
 * one open, every country listed once (and '*' alone). Returns the problems as JSON pointers.
 */
export function tableProblems(method: Pick<ShippingMethod, 'rates' | 'countries'>, at = '/body'): Array<{ pointer: string; detail: string }> {
  const problems: Array<{ pointer: string; detail: string }> = [];
  method.rates.forEach((row, i) => {
    if (row.up_to === null && i !== method.rates.length - 1) problems.push({ pointer: `${at}/rates/${i}/up_to`, detail: 'only the last bracket may be open (null)' });
    const before = method.rates[i - 1];
    if (row.up_to !== null && before && before.up_to !== null && row.up_to <= before.up_to) problems.push({ pointer: `${at}/rates/${i}/up_to`, detail: 'must be greater than the bracket before it' });
  });
  if (method.countries.includes('*') && method.countries.length > 1) problems.push({ pointer: `${at}/countries`, detail: "'*' (everywhere) stands alone" });
  return problems;
}

export type ShippingChoice =
  | { ok: true; method: ChosenShipping | null; shipping_minor: number }
  | { ok: false; code: 'unknown_shipping_method' | 'shipping_method_unavailable' | 'shipping_method_required' | 'no_shipping_method'; detail: string; available: ShippingQuote[] };

/**
 * What an order ships with. Methods serve the destination (country and currency): the order
 * must name one that takes it (a bracket for its weight or value); a refusal lists those that
 * do. None serves it (none configured at all, or none for this destination and currency): the
 * flat fee, as before shipping methods existed — so configuring one country's methods changes
 * no other country's orders. A method named is always checked: unknown, or not taking the
 * order, is refused.
 */
export function chooseShipping(calculator: ShippingCalculator, methods: ShippingMethod[], cart: ShippingCart, requested: string | undefined, flatMinor: number): ShippingChoice {
  const where = `to ${cart.country} in ${cart.currency}`;
  const available = calculator.quote(methods, cart);
  if (requested === undefined) {
    if (available.length) return { ok: false, code: 'shipping_method_required', detail: `Choose a shipping_method: ${available.map((q) => q.code).join(', ')} ship ${where}.`, available };
    // Methods serve the destination but none has a bracket for this order: not the flat fee.
    if (methods.some((m) => serves(m, cart.country, cart.currency))) return { ok: false, code: 'no_shipping_method', detail: `No shipping method ${where} takes an order this heavy or this large.`, available };
    return { ok: true, method: null, shipping_minor: flatMinor };
  }
  if (!methods.some((m) => m.code === requested)) return { ok: false, code: 'unknown_shipping_method', detail: `No shipping method ${requested}.`, available };
  const quote = available.find((q) => q.code === requested);
  if (!quote) return { ok: false, code: 'shipping_method_unavailable', detail: `Shipping method ${requested} does not ship this order ${where}${available.length ? `; ${available.map((q) => q.code).join(', ')} do` : ''}.`, available };
  return { ok: true, method: { code: quote.code, name: quote.name, price_minor: quote.price_minor }, shipping_minor: quote.price_minor };
}
