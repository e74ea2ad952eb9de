/**
 * Shipping and tax as named strategies: the table-rate calculator, the choice an order makes
 * (flat fee while nothing is configured, else a method that takes it), the country-rates tax
 * strategy, the registry (an unknown name stops the service), the admin bodies' bad input, and
 * the checkout's redeem step taxing after the discount.
 */
import { chooseShipping, tableProblems, TableRateShipping, type ShippingMethod } from '../../apps/order/src/domain/shipping';
import { CountryTaxRates, rateTableProblems, taxBasisFor, taxClassOf, type TaxRate } from '../../apps/order/src/domain/tax';
import { strategiesFrom } from '../../apps/order/src/domain/strategies';
import { orderConfig } from '../../apps/order/src/config';
import { createMethodBody, methodParams, methodsQuery, replaceMethodBody, taxRatesBody } from '../../apps/order/src/http/shipping-schemas';
import { createOrderBody } from '../../apps/order/src/http/schemas';
import { createProductBody } from '../../apps/catalog/src/http/schemas';
import { priceOrder } from '../../apps/order/src/domain/pricing';
import { planReturn } from '../../apps/order/src/domain/reversal';
import { issuesOf } from '../../kernel/validation';
import { checkoutActivities } from '../../workflows/checkout/activities';
import { ACTIVITIES as A } from '../../workflows/checkout/contract';
import type { OrderPort } from '../../workflows/checkout/ports';
import type { TaxBreakdown } from '../../workflows/checkout/tax';
import { paymentLookup } from '../../apps/order/src/events/payment-events';
import { createLogger } from '../../kernel/logger';
import { fakeSidecar } from '../support/fake-sidecar';

const method = (extra: Partial<ShippingMethod> = {}): ShippingMethod => ({
  code: 'DE-STD', name: 'DHL Paket', countries: ['DE', 'AT'], currency: 'EUR', rate_by: 'weight',
  rates: [{ up_to: 1000, price_minor: 495 }, { up_to: 5000, price_minor: 695 }, { up_to: 31_500, price_minor: 1295 }], free_over_minor: null, active: true, ...extra,
});
const cart = (extra: Partial<{ country: string; currency: string; weight_grams: number; subtotal_minor: number }> = {}) => ({ country: 'DE', currency: 'EUR', weight_grams: 800, subtotal_minor: 5000, ...extra });
const table = new TableRateShipping();

describe('TableRateShipping', () => {
  test('prices by the first bracket that holds the weight (bounds inclusive)', () => {
    expect(table.quote([method()], cart({ weight_grams: 0 }))[0]!.price_minor).toBe(495);
    expect(table.quote([method()], cart({ weight_grams: 1000 }))[0]!.price_minor).toBe(495);
    expect(table.quote([method()], cart({ weight_grams: 1001 }))[0]!.price_minor).toBe(695);
    expect(table.quote([method()], cart({ weight_grams: 31_500 }))[0]!.price_minor).toBe(1295);
  });

  test('heavier than the table goes: the method is left out; an open last bracket takes anything', () => {
    expect(table.quote([method()], cart({ weight_grams: 31_501 }))).toEqual([]);
    const open = method({ rates: [{ up_to: 1000, price_minor: 495 }, { up_to: null, price_minor: 2500 }] });
    expect(table.quote([open], cart({ weight_grams: 10 ** 9 }))[0]!.price_minor).toBe(2500);
  });

  test('by order value, and free over a threshold', () => {
    const byValue = method({ code: 'VAL', rate_by: 'order_value', rates: [{ up_to: 2999, price_minor: 590 }, { up_to: null, price_minor: 290 }], free_over_minor: 10_000 });
    expect(table.quote([byValue], cart({ subtotal_minor: 2999 }))[0]!.price_minor).toBe(590);
    expect(table.quote([byValue], cart({ subtotal_minor: 3000 }))[0]!.price_minor).toBe(290);
    expect(table.quote([byValue], cart({ subtotal_minor: 10_000 }))[0]!.price_minor).toBe(0);
  });

  test('only active methods for the country (or everywhere) in the currency; cheapest first', () => {
    const methods = [
      method({ code: 'EXPRESS', name: 'Express', rates: [{ up_to: null, price_minor: 1500 }] }),
      method({ code: 'WORLD', countries: ['*'], rates: [{ up_to: null, price_minor: 900 }] }),
      method({ code: 'OFF', active: false }),
      method({ code: 'USD', currency: 'USD' }),
      method({ code: 'FR', countries: ['FR'] }),
      method(),
    ];
    expect(table.quote(methods, cart()).map((q) => [q.code, q.price_minor])).toEqual([['DE-STD', 495], ['WORLD', 900], ['EXPRESS', 1500]]);
    expect(table.quote(methods, cart({ country: 'FR' })).map((q) => q.code)).toEqual(['FR', 'WORLD']);
  });

  test("a table's rules the schema cannot say", () => {
    expect(tableProblems(method())).toEqual([]);
    expect(tableProblems(method({ rates: [{ up_to: 5, price_minor: 1 }, { up_to: 5, price_minor: 2 }] }))).toEqual([{ pointer: '/body/rates/1/up_to', detail: expect.stringMatching(/greater/) }]);
    expect(tableProblems(method({ rates: [{ up_to: null, price_minor: 1 }, { up_to: 5, price_minor: 2 }] }))).toEqual([{ pointer: '/body/rates/0/up_to', detail: expect.stringMatching(/last/) }]);
    expect(tableProblems(method({ countries: ['*', 'DE'] }))).toEqual([{ pointer: '/body/countries', detail: expect.stringMatching(/alone/) }]);
  });
});

describe('chooseShipping', () => {
  test('no method configured at all, or none for the destination: the flat fee, as before (naming one is refused)', () => {
    expect(chooseShipping(table, [], cart(), undefined, 499)).toEqual({ ok: true, method: null, shipping_minor: 499 });
    expect(chooseShipping(table, [method()], cart({ country: 'US' }), undefined, 499)).toEqual({ ok: true, method: null, shipping_minor: 499 });
    expect(chooseShipping(table, [method()], cart({ currency: 'USD' }), undefined, 499)).toEqual({ ok: true, method: null, shipping_minor: 499 });
    expect(chooseShipping(table, [], cart(), 'DE-STD', 499)).toMatchObject({ ok: false, code: 'unknown_shipping_method', available: [] });
  });

  test('the method named, priced for the cart', () => {
    expect(chooseShipping(table, [method()], cart({ weight_grams: 2000 }), 'DE-STD', 499)).toEqual({ ok: true, method: { code: 'DE-STD', name: 'DHL Paket', price_minor: 695 }, shipping_minor: 695 });
  });

  test('none named while some ship the order: 422 listing them', () => {
    const r = chooseShipping(table, [method()], cart(), undefined, 0);
    expect(r).toMatchObject({ ok: false, code: 'shipping_method_required', available: [{ code: 'DE-STD', price_minor: 495 }] });
  });

  test('unknown, not serving the country, or too heavy', () => {
    expect(chooseShipping(table, [method()], cart(), 'NOPE', 0)).toMatchObject({ ok: false, code: 'unknown_shipping_method', available: [{ code: 'DE-STD' }] });
    expect(chooseShipping(table, [method()], cart({ country: 'US' }), 'DE-STD', 0)).toMatchObject({ ok: false, code: 'shipping_method_unavailable', detail: expect.stringMatching(/US/) });
    expect(chooseShipping(table, [method()], cart({ weight_grams: 50_000 }), 'DE-STD', 0)).toMatchObject({ ok: false, code: 'shipping_method_unavailable' });
    // Methods serve DE but none takes 50 kg: refused, not the flat fee.
    expect(chooseShipping(table, [method()], cart({ weight_grams: 50_000 }), undefined, 499)).toMatchObject({ ok: false, code: 'no_shipping_method', available: [] });
  });
});

describe('CountryTaxRates', () => {
  const rates: TaxRate[] = [{ country: 'DE', tax_class: 'standard', rate_bp: 1900 }, { country: 'DE', tax_class: 'reduced', rate_bp: 700 }, { country: 'US', tax_class: 'standard', rate_bp: 825 }];
  const strategy = new CountryTaxRates(new Set(['EUR', 'GBP']));

  test('rates by country and class; not configured = 0', () => {
    expect(strategy.rateFor(rates, 'DE', 'standard')).toBe(1900);
    expect(strategy.rateFor(rates, 'DE', 'reduced')).toBe(700);
    expect(strategy.rateFor(rates, 'DE', 'zero')).toBe(0);
    expect(strategy.rateFor(rates, 'FR', 'standard')).toBe(0);
    expect([strategy.pricesIncludeTax('EUR'), strategy.pricesIncludeTax('GBP'), strategy.pricesIncludeTax('USD')]).toEqual([true, true, false]);
  });

  test('an order fixes each line\'s rate and shipping\'s (the standard rate of the destination)', () => {
    expect(taxBasisFor(strategy, rates, { country: 'DE', currency: 'EUR', lines: [{ line_total_minor: 1190, tax_class: 'standard' }, { line_total_minor: 107, tax_class: 'reduced' }] })).toEqual({
      prices_include_tax: true, shipping_rate_bp: 1900,
      lines: [{ line_total_minor: 1190, tax_class: 'standard', rate_bp: 1900 }, { line_total_minor: 107, tax_class: 'reduced', rate_bp: 700 }],
    });
  });

  test('an unknown class is taxed as standard; a rate table lists each pair once', () => {
    expect([taxClassOf('reduced'), taxClassOf(undefined), taxClassOf('luxury')]).toEqual(['reduced', 'standard', 'standard']);
    expect(rateTableProblems(rates)).toEqual([]);
    expect(rateTableProblems([...rates, { country: 'DE', tax_class: 'standard', rate_bp: 1600 }])).toEqual([{ pointer: '/body/rates/3', detail: 'repeats DE standard' }]);
  });
});

describe('the registry of strategies', () => {
  const base = { shippingStrategy: 'table-rate', taxStrategy: 'country-rates', taxInclusiveCurrencies: ['EUR'] };
  test('names map to implementations', () => {
    const s = strategiesFrom(base);
    expect(s.shipping).toBeInstanceOf(TableRateShipping);
    expect(s.tax.pricesIncludeTax('EUR')).toBe(true);
  });
  test('an unknown name is a start-up error naming the known ones', () => {
    expect(() => strategiesFrom({ ...base, shippingStrategy: 'flat' })).toThrow(/ORDER_SHIPPING_STRATEGY="flat".*table-rate/);
    expect(() => strategiesFrom({ ...base, taxStrategy: 'toString' })).toThrow(/ORDER_TAX_STRATEGY/);
  });
  test('configuration: defaults, and a malformed currency list stops the service', () => {
    const saved = { ...process.env };
    try {
      delete process.env.ORDER_TAX_INCLUSIVE_CURRENCIES;
      expect(orderConfig()).toMatchObject({ shippingStrategy: 'table-rate', taxStrategy: 'country-rates', taxInclusiveCurrencies: ['EUR', 'GBP'] });
      process.env.ORDER_TAX_INCLUSIVE_CURRENCIES = 'EUR, chf';
      expect(() => orderConfig()).toThrow(/ORDER_TAX_INCLUSIVE_CURRENCIES/);
      process.env.ORDER_TAX_INCLUSIVE_CURRENCIES = '';
      expect(orderConfig().taxInclusiveCurrencies).toEqual([]);
    } finally {
      process.env = saved;
    }
  });
});

describe('bad input to the new bodies is named by pointer', () => {
  const good = { code: 'DE-STD', name: 'DHL', countries: ['DE'], currency: 'EUR', rate_by: 'weight', rates: [{ up_to: 1000, price_minor: 495 }] };
  const pointers = (schema: Parameters<typeof issuesOf>[0], value: unknown) => issuesOf(schema, value, 'body').map((i) => i.pointer);

  test('a method', () => {
    expect(pointers(createMethodBody, good)).toEqual([]);
    expect(pointers(createMethodBody, { ...good, code: 'has space' })).toEqual(['/body/code']);
    expect(pointers(createMethodBody, { ...good, countries: ['de'] })).toEqual(['/body/countries/0']);
    expect(pointers(createMethodBody, { ...good, countries: [] })).toEqual(['/body/countries']);
    expect(pointers(createMethodBody, { ...good, currency: 'euro' })).toEqual(['/body/currency']);
    expect(pointers(createMethodBody, { ...good, rate_by: 'volume' })).toEqual(['/body/rate_by']);
    expect(pointers(createMethodBody, { ...good, rates: [] })).toEqual(['/body/rates']);
    expect(pointers(createMethodBody, { ...good, rates: [{ up_to: 1, price_minor: -1 }] })).toEqual(['/body/rates/0/price_minor']);
    expect(pointers(createMethodBody, { ...good, rates: [{ up_to: 1.5, price_minor: 1 }] })).toContain('/body/rates/0/up_to');
    expect(pointers(createMethodBody, { ...good, free_over_minor: '10' })).toContain('/body/free_over_minor');
    expect(pointers(createMethodBody, { ...good, extra: 1 })).toEqual(['/body/extra']);
    expect(pointers(createMethodBody, { name: 'x' })).toEqual(expect.arrayContaining(['/body/code', '/body/rates']));
    expect(pointers(replaceMethodBody, { ...good, code: 'X' })).toEqual(['/body/code']); // the code is the path's
    expect(issuesOf(methodParams, { code: 'a/b' }, 'params').map((i) => i.pointer)).toEqual(['/params/code']);
  });

  test('the rate table and the list query', () => {
    expect(pointers(taxRatesBody, { rates: [{ country: 'DE', tax_class: 'standard', rate_bp: 1900 }] })).toEqual([]);
    expect(pointers(taxRatesBody, { rates: [{ country: 'DE', tax_class: 'luxury', rate_bp: 1900 }] })).toEqual(['/body/rates/0/tax_class']);
    expect(pointers(taxRatesBody, { rates: [{ country: 'DE', tax_class: 'standard', rate_bp: 10_001 }] })).toEqual(['/body/rates/0/rate_bp']);
    expect(pointers(taxRatesBody, {})).toEqual(['/body/rates']);
    expect(issuesOf(methodsQuery, { country: 'Germany', weight_grams: '-1' }, 'query').map((i) => i.pointer).sort()).toEqual(['/query/country', '/query/weight_grams']);
  });

  test('an order names a method by code; a product takes a weight and a tax class', () => {
    const order = { items: [{ product_id: '0190c0de-0000-7000-8000-000000000001', quantity: 1 }], shipping_address: { recipient: 'A', line1: 'B', city: 'C', postal_code: '1', country: 'DE' } };
    expect(pointers(createOrderBody, { ...order, shipping_method: 'DE-STD' })).toEqual([]);
    expect(pointers(createOrderBody, { ...order, shipping_method: '' })).toEqual(['/body/shipping_method']);
    const product = { sku: 'SKU-1', name: 'Mug', base_price: '11.90' };
    expect(pointers(createProductBody, { ...product, weight_grams: 350, tax_class: 'reduced' })).toEqual([]);
    expect(pointers(createProductBody, { ...product, weight_grams: -1 })).toEqual(['/body/weight_grams']);
    expect(pointers(createProductBody, { ...product, tax_class: 'luxury' })).toEqual(['/body/tax_class']);
  });
});

describe('pricing carries weight and tax class from the catalog (defaults for catalogs without them)', () => {
  test('weight × quantity, class or standard', () => {
    const base = { id: 'p1', sku: 'S1', name: 'Mug', base_price_minor: 1190, currency: 'EUR', status: 'active' };
    const priced = priceOrder([{ product_id: 'p1', quantity: 3 }, { product_id: 'p2', quantity: 1 }], [{ ...base, weight_grams: 350, tax_class: 'reduced' }, { ...base, id: 'p2', sku: 'S2' }]);
    expect(priced.ok && priced.lines.map((l) => [l.weight_grams, l.tax_class])).toEqual([[1050, 'reduced'], [0, 'standard']]);
  });
});

describe('the redeem step taxes after the discount', () => {
  const ORDER = '0190c0de-0000-7000-8000-0000000000bb';
  const redeem = (promotions: { subtotal_minor: number; discount_minor: number; free_shipping: boolean }, basis: Awaited<ReturnType<NonNullable<OrderPort['taxBasis']>>>) => {
    const { sidecar } = fakeSidecar(() => ({ status: 200, body: { ...promotions, total_minor: promotions.subtotal_minor - promotions.discount_minor, redemptions: [] } }));
    const recorded: TaxBreakdown[] = [];
    const orders: OrderPort = { move: async () => ({ ok: true }), byId: async () => undefined, note: async () => undefined, taxBasis: async () => basis, recordTax: async (_id, t) => void recorded.push(t) };
    const activities = checkoutActivities({ sidecar, orders, payments: paymentLookup(sidecar), logger: createLogger('tax-test', 'silent') });
    const run = (shipping_minor: number) => activities[A.redeemPromotions]({} as never, { order_id: ORDER, user_id: ORDER, currency: 'EUR', items: [], coupon_codes: [], shipping_minor });
    return { run, recorded };
  };

  test('inclusive (EUR): the total is unchanged, the tax recorded per line after its share of the discount', async () => {
    const { run, recorded } = redeem({ subtotal_minor: 3570, discount_minor: 357, free_shipping: false }, { prices_include_tax: true, shipping_rate_bp: 1900, lines: [{ line_total_minor: 2380, rate_bp: 1900 }, { line_total_minor: 1190, rate_bp: 700 }] });
    await expect(run(595)).resolves.toMatchObject({ ok: true, shipping_minor: 595, total_minor: 3570 - 357 + 595 });
    expect(recorded[0]).toMatchObject({ tax_minor: 342 + 70 + 95, shipping_tax_minor: 95, lines: [{ tax_minor: 342 }, { tax_minor: 70 }] });
  });

  test('exclusive (USD): the tax is charged on top; free shipping leaves shipping untaxed', async () => {
    const { run, recorded } = redeem({ subtotal_minor: 1000, discount_minor: 0, free_shipping: true }, { prices_include_tax: false, shipping_rate_bp: 825, lines: [{ line_total_minor: 1000, rate_bp: 825 }] });
    await expect(run(500)).resolves.toMatchObject({ ok: true, shipping_minor: 0, total_minor: 1000 + 82 });
    expect(recorded[0]).toMatchObject({ tax_minor: 82, shipping_tax_minor: 0 });
  });

  test('an order placed before tax existed (no basis) is charged as before', async () => {
    const { run, recorded } = redeem({ subtotal_minor: 1000, discount_minor: 100, free_shipping: false }, undefined);
    await expect(run(500)).resolves.toMatchObject({ ok: true, total_minor: 1400 });
    expect(recorded).toEqual([]);
  });
});

describe('a return refunds the goods\' share, never shipping\'s tax', () => {
  test('prices exclude tax: (total − shipping − shipping tax) × value / subtotal', () => {
    // Goods 10.00 + their tax 1.00, shipping 5.00 + its tax 0.50 = 16.50; half the goods back → 5.50.
    const order = { id: 'o1', status: 'paid' as const, payment_id: 'p1', subtotal_minor: 1000, total_minor: 1650, shipping_minor: 500, shipping_tax_minor: 50, prices_include_tax: false };
    const lines = [{ sku: 'A', quantity: 2, unit_price_minor: 500 }];
    const plan = planReturn(order, lines, [], { items: [{ sku: 'A', quantity: 1, restock: true }] });
    expect(plan).toMatchObject({ ok: true, reversal: { amount_minor: 550 } });
    // Prices include tax: shipping's tax is inside shipping_minor already.
    const inclusive = planReturn({ ...order, total_minor: 1500, prices_include_tax: true }, lines, [], { items: [{ sku: 'A', quantity: 1, restock: true }] });
    expect(inclusive).toMatchObject({ ok: true, reversal: { amount_minor: 500 } });
  });
});
