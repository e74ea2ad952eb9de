/**
 * The registry of named strategies: configuration names one, this maps the name to the
 * implementation. An unknown name stops the service at start-up (a typo must not fall back to
 * a default that charges the wrong amounts).
 */
import { TableRateShipping, type ShippingCalculator } from './shipping';
import { CountryTaxRates, type TaxStrategy } from './tax';

export interface StrategyConfig {
  shippingStrategy: string;
  taxStrategy: string;
  /** ISO 4217 codes whose catalog prices include tax. */
  taxInclusiveCurrencies: string[];
}

const SHIPPING: Record<string, (config: StrategyConfig) => ShippingCalculator> = {
  'table-rate': () => new TableRateShipping(),
};

const TAX: Record<string, (config: StrategyConfig) => TaxStrategy> = {
  'country-rates': (config) => new CountryTaxRates(new Set(config.taxInclusiveCurrencies)),
};

export interface Strategies {
  shipping: ShippingCalculator;
  tax: TaxStrategy;
}

function pick<T>(registry: Record<string, (config: StrategyConfig) => T>, name: string, variable: string, config: StrategyConfig): T {
  const make = Object.hasOwn(registry, name) ? registry[name] : undefined;
  if (!make) throw new Error(`${variable}="${name}" names no strategy; known: ${Object.keys(registry).join(', ')}`);
  return make(config);
}

export function strategiesFrom(config: StrategyConfig): Strategies {
  return {
    shipping: pick(SHIPPING, config.shippingStrategy, 'ORDER_SHIPPING_STRATEGY', config),
    tax: pick(TAX, config.taxStrategy, 'ORDER_TAX_STRATEGY', config),
  };
}
