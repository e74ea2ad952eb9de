/**
 * Shipping methods and tax end to end through the gateway: an admin sets up a weight-priced
 * method for Germany and 19 % / 7 % rates (EUR prices include tax); a customer orders with the
 * method and pays by webhook; the order shows the method, each line's tax and the totals exact
 * to the cent, and the payment service holds the amount. A free-shipping coupon zeroes the
 * method's price (and shipping's tax), a percentage one is spread over the lines before they
 * are taxed. Bad input to every new route, and to placing, is a clear 4xx problem+json.
 * The rate table is shared by the stack: the one found is restored afterwards.
 */
import pg from 'pg';
import { pgConfig } from '../../kernel/config';
import { api, signUp, signUpAdmin, type JsonResponse } from '../support/gateway';
import { eventually } from '../support/processes';
import { sendWebhook, stripeEvent } from '../support/stripe';

const tag = Math.random().toString(36).slice(2, 8).toUpperCase();
const METHOD = `DE-${tag}`;
const berlin = { recipient: 'Ada Lovelace', line1: 'Unter den Linden 1', city: 'Berlin', postal_code: '10117', country: 'DE' };
const paris = { ...berlin, city: 'Paris', postal_code: '75001', country: 'FR' };

let db: pg.Pool;
let admin = '';
let carol: { id: string; access: string };
let savedRates: unknown[] = [];
const products: Record<string, { id: string; sku: string }> = {};
const promotionIds: string[] = [];

const method = {
  code: METHOD, name: `DHL Paket ${tag}`, countries: ['DE'], currency: 'EUR', rate_by: 'weight',
  rates: [{ up_to: 1000, price_minor: 495 }, { up_to: 5000, price_minor: 695 }, { up_to: null, price_minor: 1495 }],
};

async function createProduct(key: string, price: string, weight: number, taxClass: string): Promise<void> {
  const sku = `ST${tag}-${key}`;
  const res = await api('POST', '/products', { token: admin, body: { sku, name: `Tax ${key}`, base_price: price, currency: 'EUR', weight_grams: weight, tax_class: taxClass } });
  if (res.status !== 201) throw new Error(`create product failed: ${res.status} ${JSON.stringify(res.body)}`);
  expect(res.body).toMatchObject({ weight_grams: weight, tax_class: taxClass });
  products[key] = { id: res.body.id, sku };
  const adjusted = await api('POST', `/inventory/${sku}/adjustments`, { token: admin, body: { location: 'wh-1', delta: 50, reason: 'receiving' } });
  if (adjusted.status !== 201) throw new Error(`stock failed: ${adjusted.status} ${JSON.stringify(adjusted.body)}`);
}

async function createCoupon(code: string, action: unknown): Promise<void> {
  const res = await api('POST', '/promotions', { token: admin, body: { code, name: `Tax ${code}`, condition: { currency: 'EUR' }, action } });
  if (res.status !== 201) throw new Error(`create promotion failed: ${res.status} ${JSON.stringify(res.body)}`);
  promotionIds.push(res.body.id);
}

const item = (key: string, quantity: number) => ({ product_id: products[key]!.id, quantity });

function place(body: Record<string, unknown>, key = `st-${tag}-${Math.random()}`): Promise<JsonResponse> {
  return api('POST', '/orders', { token: carol.access, body: { shipping_address: berlin, ...body }, headers: { 'idempotency-key': key } });
}

function orderReaches(id: string, status: string): Promise<any> {
  return eventually(async () => {
    const res = await api('GET', `/orders/${id}`, { token: carol.access });
    if (res.body?.status !== status) throw new Error(`order ${id} is ${res.body?.status}, waiting for ${status}`);
    return res.body;
  }, 60_000);
}

/** A clear refusal: the status, problem+json, and the detail a client can act on. */
function expectProblem(res: JsonResponse, status: number, extra: Record<string, unknown> = {}): void {
  expect({ status: res.status, type: res.headers.get('content-type') }).toEqual({ status, type: expect.stringContaining('application/problem+json') });
  expect(res.body).toMatchObject({ status, detail: expect.any(String), ...extra });
}

beforeAll(async () => {
  db = new pg.Pool({ ...pgConfig(), max: 2 });
  admin = (await signUpAdmin('shipping-admin')).access;
  carol = await signUp('shipping-carol');
  savedRates = (await api('GET', '/tax-rates', { token: admin })).body.rates;
  const others = (savedRates as Array<{ country: string }>).filter((r) => r.country !== 'DE');
  const put = await api('PUT', '/tax-rates', { token: admin, body: { rates: [...others, { country: 'DE', tax_class: 'standard', rate_bp: 1900 }, { country: 'DE', tax_class: 'reduced', rate_bp: 700 }] } });
  expect(put.status).toBe(200);
  const created = await api('POST', '/shipping-methods', { token: admin, body: method });
  expect(created.status).toBe(201);
  expect(created.headers.get('location')).toBe(`/shipping-methods/${METHOD}`);
  await createProduct('BOOK', '23.80', 400, 'standard');
  await createProduct('TEA', '10.70', 300, 'reduced');
});

afterAll(async () => {
  await api('DELETE', `/shipping-methods/${METHOD}`, { token: admin });
  await api('PUT', '/tax-rates', { token: admin, body: { rates: savedRates } });
  for (const id of promotionIds) await api('PATCH', `/promotions/${id}`, { token: admin, body: { active: false }, headers: { 'if-match': '*' } });
  await db.end();
});

describe('shipping methods and tax rates', () => {
  test('customers see the methods for a destination, priced for their parcel; admins see the tables', async () => {
    const priced = await api('GET', '/shipping-methods?country=DE&currency=EUR&weight_grams=1100');
    expect(priced.status).toBe(200);
    expect(priced.body.items).toEqual(expect.arrayContaining([expect.objectContaining({ code: METHOD, price_minor: 695, price: '6.95', currency: 'EUR' })]));
    const elsewhere = await api('GET', '/shipping-methods?country=FR&currency=EUR');
    expect(elsewhere.body.items.map((m: any) => m.code)).not.toContain(METHOD);
    const listed = await api('GET', '/shipping-methods?country=DE');
    expect(listed.body.items).toEqual(expect.arrayContaining([{ code: METHOD, name: method.name, countries: ['DE'], currency: 'EUR' }]));
    const full = await api('GET', '/shipping-methods?view=admin', { token: admin });
    expect(full.body.items.find((m: any) => m.code === METHOD)).toMatchObject({ rate_by: 'weight', rates: [{ up_to: 1000, price_minor: 495, price: '4.95' }, {}, { up_to: null }], active: true, version: 1 });
    const rates = await api('GET', '/tax-rates', { token: admin });
    expect(rates.body.rates).toEqual(expect.arrayContaining([{ country: 'DE', tax_class: 'standard', rate_bp: 1900 }, { country: 'DE', tax_class: 'reduced', rate_bp: 700 }]));
  });

  test('an order with the method: method, line taxes and totals exact; paid by webhook for that amount', async () => {
    // BOOK ×2 = 47.60 (800 g), TEA ×1 = 10.70 (300 g): 1,100 g → 6.95. Prices include tax:
    // BOOK 4760·19/119 = 760, TEA 1070·7/107 = 70, shipping 695·19/119 = 110.97 → 111.
    const placed = await place({ items: [item('BOOK', 2), item('TEA', 1)], shipping_method: METHOD });
    expect(placed.status).toBe(202);
    expect(placed.body).toMatchObject({
      currency: 'EUR', subtotal_minor: 5830, shipping_minor: 695, total_minor: 6525, tax_minor: 941, shipping_tax_minor: 111, tax: '9.41', prices_include_tax: true,
      shipping_method: { code: METHOD, name: method.name, price_minor: 695, price: '6.95' },
    });
    expect(placed.body.items.map((l: any) => [l.tax_class, l.tax_rate_bp, l.tax_minor, l.weight_grams])).toEqual([['standard', 1900, 760, 800], ['reduced', 700, 70, 300]]);

    const awaiting = await orderReaches(placed.body.id, 'awaiting_payment');
    expect(awaiting).toMatchObject({ total_minor: 6525, total: '65.25', discount_minor: 0, tax_minor: 941, shipping_minor: 695 });
    const res = await sendWebhook(stripeEvent('payment_intent.succeeded', { id: awaiting.payment.intent_id, payment_id: awaiting.payment.payment_id, status: 'succeeded' }, Math.floor(Date.now() / 1000)));
    expect(res.status).toBe(200);
    const paid = await orderReaches(placed.body.id, 'paid');
    expect(paid).toMatchObject({ total_minor: 6525, tax_minor: 941, shipping_method: { code: METHOD } });
    const { rows } = await db.query('SELECT status, amount_minor::int AS amount_minor, currency FROM payments.payments WHERE order_id = $1', [placed.body.id]);
    expect(rows).toEqual([{ status: 'succeeded', amount_minor: 6525, currency: expect.stringMatching(/^eur$/i) }]);
  });

  test('a free-shipping coupon zeroes the method (and its tax); a percentage is spread over the lines before tax', async () => {
    const free = `FREESHIP${tag}`;
    const tenth = `TENTH${tag}`;
    await createCoupon(free, { type: 'free_shipping' });
    await createCoupon(tenth, { type: 'percentage', basis_points: 1000 });
    // 23.80 + 10.70 = 34.50, 700 g → 4.95 waived. 10 %: 2.38 + 1.07 = 3.45, the same shares by
    // proportion; taxed: (2380 − 238)·19/119 = 342, (1070 − 107)·7/107 = 63.
    const placed = await place({ items: [item('BOOK', 1), item('TEA', 1)], shipping_method: METHOD, coupon_codes: [free, tenth] });
    expect(placed.status).toBe(202);
    expect(placed.body).toMatchObject({ shipping_minor: 495, tax_minor: 380 + 70 + 79 }); // the estimate, before promotions
    const awaiting = await orderReaches(placed.body.id, 'awaiting_payment');
    expect(awaiting).toMatchObject({
      subtotal_minor: 3450, discount_minor: 345, shipping_minor: 0, shipping_tax_minor: 0, tax_minor: 405, total_minor: 3105,
      shipping_method: { code: METHOD, price_minor: 495 },
    });
    expect(awaiting.items.map((l: any) => l.tax_minor)).toEqual([342, 63]);
    const { rows } = await db.query('SELECT amount_minor::int AS amount_minor FROM payments.payments WHERE order_id = $1', [placed.body.id]);
    expect(rows).toEqual([{ amount_minor: 3105 }]);
    await api('POST', `/orders/${placed.body.id}/cancel`, { token: carol.access, body: {} });
  });
});

describe('bad input is a clear 4xx problem', () => {
  test('placing: an unknown method, none named where methods serve, one that does not serve the country', async () => {
    expectProblem(await place({ items: [item('BOOK', 1)], shipping_method: 'NO-SUCH-METHOD' }), 422, { code: 'unknown_shipping_method' });
    const missing = await place({ items: [item('BOOK', 1)] });
    expectProblem(missing, 422, { code: 'shipping_method_required' });
    expect(missing.body.available).toEqual(expect.arrayContaining([expect.objectContaining({ code: METHOD, price_minor: 495 })]));
    expectProblem(await place({ items: [item('BOOK', 1)], shipping_method: METHOD, shipping_address: paris }), 422, { code: 'shipping_method_unavailable' });
    expectProblem(await place({ items: [item('BOOK', 1)], shipping_method: 'has spaces' }), 400);
  });

  test('admin bodies: malformed tables, duplicates, unknown codes, wrong callers', async () => {
    const bad = (body: Record<string, unknown>) => api('POST', '/shipping-methods', { token: admin, body: { ...method, code: `X${tag}`, ...body } });
    expectProblem(await bad({ rates: [{ up_to: 5000, price_minor: 1 }, { up_to: 1000, price_minor: 2 }] }), 400, { errors: [expect.objectContaining({ pointer: '/body/rates/1/up_to' })] });
    expectProblem(await bad({ rates: [{ up_to: null, price_minor: 1 }, { up_to: 1000, price_minor: 2 }] }), 400);
    expectProblem(await bad({ countries: ['de'] }), 400, { errors: [expect.objectContaining({ pointer: '/body/countries/0' })] });
    expectProblem(await bad({ countries: ['*', 'DE'] }), 400);
    expectProblem(await bad({ rate_by: 'volume' }), 400);
    expectProblem(await bad({ rates: [{ up_to: 1, price_minor: -5 }] }), 400);
    expectProblem(await bad({ currency: 'eur', unknown: true }), 400);
    expectProblem(await api('POST', '/shipping-methods', { token: admin, body: method }), 409);
    expectProblem(await api('POST', '/shipping-methods', { token: carol.access, body: { ...method, code: `Y${tag}` } }), 403);
    expectProblem(await api('POST', '/shipping-methods', { body: { ...method, code: `Y${tag}` } }), 401);
    expectProblem(await api('PUT', `/shipping-methods/NOPE${tag}`, { token: admin, body: { ...method, code: undefined } }), 404);
    expectProblem(await api('PUT', `/shipping-methods/${METHOD}`, { token: admin, body: method }), 400); // the code is the path's
    expectProblem(await api('DELETE', `/shipping-methods/NOPE${tag}`, { token: admin }), 404);
    expectProblem(await api('PUT', '/tax-rates', { token: admin, body: { rates: [{ country: 'DE', tax_class: 'standard', rate_bp: 1900 }, { country: 'DE', tax_class: 'standard', rate_bp: 700 }] } }), 400);
    expectProblem(await api('PUT', '/tax-rates', { token: admin, body: { rates: [{ country: 'DE', tax_class: 'luxury', rate_bp: 20_000 }] } }), 400);
    expectProblem(await api('PUT', '/tax-rates', { token: carol.access, body: { rates: [] } }), 403);
    expectProblem(await api('GET', '/tax-rates', { token: carol.access }), 403);
    expectProblem(await api('GET', '/shipping-methods?country=Germany&weight_grams=-1'), 400);
    expectProblem(await api('GET', '/shipping-methods?view=admin', { token: carol.access }), 403);
  });

  test('a replaced method prices new orders; orders placed keep what they fixed', async () => {
    const replaced = await api('PUT', `/shipping-methods/${METHOD}`, { token: admin, body: { ...method, code: undefined, rates: [{ up_to: null, price_minor: 999 }] } });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ code: METHOD, version: 2, rates: [{ up_to: null, price_minor: 999 }] });
    const placed = await place({ items: [item('TEA', 1)], shipping_method: METHOD });
    expect(placed.body).toMatchObject({ shipping_minor: 999, shipping_method: { price_minor: 999 } });
    await api('POST', `/orders/${placed.body.id}/cancel`, { token: carol.access, body: {} });
    await api('PUT', `/shipping-methods/${METHOD}`, { token: admin, body: { ...method, code: undefined } });
  });
});
