/**
 * The whole path of a shopper on the real stack, through the gateway only (issue 13's
 * acceptance): a guest puts two variants of a T-shirt in a cart, signs up, the cart merges into
 * the account; the cart is checked out with a shipping method and a coupon; the first card is
 * declined (the order waits for another), the second pays; the order is paid with the tax and
 * shipping exact to the cent; the confirmation e-mail reaches the SMTP server; the cart is
 * empty; search shows the stock that is left. Plus the refusals of the new paths (a held cart,
 * checking out an empty or unknown cart, a SKU that is not the product's), each a clear 4xx.
 * The tax table is shared by the stack: the one found is restored afterwards.
 */
import { randomUUID } from 'node:crypto';
import { api, signUp, signUpAdmin, type JsonResponse } from '../support/gateway';
import { eventually } from '../support/processes';
import { declineCard, paymentWebhook } from '../support/stripe';
import { mailArrives } from '../support/mail';

const tag = randomUUID().slice(0, 6).toUpperCase();
const TEE = `SJ${tag}-TEE`;
const [M, L] = [`${TEE}-M`, `${TEE}-L`];
const METHOD = `SJ-${tag}`;
const COUPON = `WELCOME${tag}`;
const toronto = { recipient: 'Grace Hopper', line1: '100 Queen St W', city: 'Toronto', postal_code: 'M5H 2N2', country: 'CA' };

let admin = '';
let productId = '';
let savedRates: Array<{ country: string }> = [];

function expectProblem(res: JsonResponse, status: number, extra: Record<string, unknown> = {}): void {
  expect({ status: res.status, type: res.headers.get('content-type') }).toEqual({ status, type: expect.stringContaining('application/problem+json') });
  expect(res.body).toMatchObject({ status, detail: expect.any(String), ...extra });
}

async function search(): Promise<{ in_stock: boolean | null; stock_bucket: string | null } | undefined> {
  const res = await api('GET', `/search?q=${encodeURIComponent(TEE)}&page_size=5`);
  return res.status === 200 ? res.body.items.find((h: { sku: string }) => h.sku === TEE) : undefined;
}

beforeAll(async () => {
  admin = (await signUpAdmin('journey-admin')).access;
  const created = await api('POST', '/products', {
    token: admin,
    body: {
      sku: TEE, name: `Journey tee ${tag}`, base_price: '20.00', currency: 'USD', weight_grams: 200,
      variants: [{ sku: M, name: 'Tee, M', options: { size: 'M' }, price: '15.00' }, { sku: L, name: 'Tee, L', options: { size: 'L' }, price: '17.00' }],
      images: [{ url: 'https://images.example.com/tee.jpg', alt: 'A plain T-shirt' }],
    },
  });
  if (created.status !== 201) throw new Error(`create product: ${created.status} ${JSON.stringify(created.body)}`);
  productId = created.body.id;
  // Stock in two locations: M 3 + 2, L 6 (11 in all: the "some" bucket).
  for (const [sku, location, delta] of [[M, 'wh-east', 3], [M, 'wh-west', 2], [L, 'wh-east', 6]] as const) {
    const res = await api('POST', `/inventory/${sku}/adjustments`, { token: admin, body: { location, delta, reason: 'receiving' } });
    if (res.status !== 201) throw new Error(`stock ${sku}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  savedRates = (await api('GET', '/tax-rates', { token: admin })).body.rates;
  const rates = [...savedRates.filter((r) => r.country !== 'CA'), { country: 'CA', tax_class: 'standard', rate_bp: 1000 }];
  expect((await api('PUT', '/tax-rates', { token: admin, body: { rates } })).status).toBe(200);
  const method = { code: METHOD, name: `Canada Post ${tag}`, countries: ['CA'], currency: 'USD', rate_by: 'weight', rates: [{ up_to: 1000, price_minor: 700 }, { up_to: null, price_minor: 1500 }] };
  expect((await api('POST', '/shipping-methods', { token: admin, body: method })).status).toBe(201);
  const coupon = await api('POST', '/promotions', { token: admin, body: { code: COUPON, name: `Welcome ${tag}`, condition: { currency: 'USD' }, action: { type: 'percentage', basis_points: 1000 } } });
  expect(coupon.status).toBe(201);
  await eventually(async () => (await search())?.in_stock === true, 30_000, 'the tee searchable, in stock');
});

afterAll(async () => {
  await api('PUT', '/tax-rates', { token: admin, body: { rates: savedRates } });
  await api('DELETE', `/shipping-methods/${METHOD}`, { token: admin });
});

test('guest cart of two variants → sign up → merge → checkout with shipping and coupon → declined, then paid → mail, empty cart, stock in search', async () => {
  // A guest fills a cart with two sizes: two lines, each priced from its variant.
  const guest = await api('POST', '/cart', {});
  expect(guest.status).toBe(201);
  const cartHeader = { 'x-cart-id': guest.body.cart_id };
  let version = guest.body.version as number;
  for (const [sku, quantity] of [[M, 1], [L, 2]] as const) {
    const added = await api('POST', '/cart/items', { headers: cartHeader, body: { product_id: productId, sku, quantity, expected_version: version } });
    expect(added.status).toBe(200);
    version = added.body.version;
  }
  const priced = (await api('GET', '/cart', { headers: cartHeader })).body;
  expect(priced.items).toEqual([
    expect.objectContaining({ sku: M, quantity: 1, options: { size: 'M' }, variant_name: 'Tee, M', unit_price_minor: 1500, available: true }),
    expect.objectContaining({ sku: L, quantity: 2, options: { size: 'L' }, unit_price_minor: 1700, line_total_minor: 3400 }),
  ]);
  expect(priced.subtotal_minor).toBe(4900);

  // Signs up; the guest cart moves into the account's cart.
  const grace = await signUp('journey-grace');
  const merged = await api('POST', '/cart/merge', { token: grace.access, body: { guest_cart_id: guest.body.cart_id } });
  expect(merged.status).toBe(200);
  expect(merged.body.cart.items.map((l: { sku: string; quantity: number }) => [l.sku, l.quantity])).toEqual([[M, 1], [L, 2]]);

  // Checks the cart out: the method ships 600 g to Canada for 7.00; the coupon takes 10 %.
  const placed = await api('POST', '/orders', {
    token: grace.access,
    headers: { 'idempotency-key': `journey-${tag}` },
    body: { from_cart: true, shipping_address: toronto, shipping_method: METHOD, coupon_codes: [COUPON] },
  });
  expect(placed.status).toBe(202);
  const id = placed.body.id as string;
  expect(placed.body.items.map((l: { sku: string; quantity: number }) => [l.sku, l.quantity])).toEqual([[M, 1], [L, 2]]);
  const read = async () => (await api('GET', `/orders/${id}`, { token: grace.access })).body;
  const awaiting = await eventually(async () => ((await read()).status === 'awaiting_payment' ? read() : undefined), 60_000, 'the order awaiting payment');

  // While the checkout runs the cart is held: it shows the order, and refuses changes.
  const held = (await api('GET', '/cart', { token: grace.access })).body;
  expect(held.checkout).toMatchObject({ order_id: id });
  expectProblem(await api('POST', '/cart/items', { token: grace.access, body: { product_id: productId, sku: M, quantity: 1, expected_version: held.version } }), 409, { code: 'checkout_in_progress', order_id: id });
  // A second checkout of the same cart is refused while this one holds it.
  expectProblem(await api('POST', '/orders', { token: grace.access, body: { from_cart: true, shipping_address: toronto, shipping_method: METHOD } }), 409, { code: 'cart_in_checkout' });

  // The first card is declined: the order waits for another card, the attempt on it.
  const declined = await declineCard(read, awaiting);
  expect(declined.status).toBe('awaiting_payment');
  expect(declined.payment.attempts).toEqual([expect.objectContaining({ outcome: 'declined', attempt: 1 })]);
  await paymentWebhook(declined, 'succeeded');
  const paid = await eventually(async () => {
    const o = await read();
    return o.status === 'paid' ? o : undefined;
  }, 60_000, 'the order paid');

  // 49.00 − 10 % = 44.10 of goods, 7.00 shipping, 10 % tax on both: 4.41 + 0.70; 56.21 charged.
  expect(paid).toMatchObject({
    currency: 'USD', subtotal_minor: 4900, discount_minor: 490, shipping_minor: 700, tax_minor: 511, shipping_tax_minor: 70, total_minor: 5621,
    prices_include_tax: false, shipping_method: expect.objectContaining({ code: METHOD, price_minor: 700 }), cart_id: `user-${grace.id}`,
  });
  expect(paid.items.map((l: { sku: string; tax_minor: number }) => [l.sku, l.tax_minor])).toEqual([[M, 135], [L, 306]]);
  expect(paid.payment.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['declined', 'succeeded']);
  const payments = (await api('GET', `/payments?order_id=${id}`, { token: grace.access })).body.items;
  expect(payments.map((p: { status: string; amount_minor: number }) => [p.status, p.amount_minor])).toEqual([['succeeded', 5621]]);

  // The confirmation reaches the SMTP server; the cart is empty and free again.
  const mail = await mailArrives(grace.email, /confirmed/);
  expect(mail.body).toContain('56.21');
  const emptied = await eventually(async () => {
    const cart = (await api('GET', '/cart', { token: grace.access })).body;
    return cart.items.length === 0 && !cart.checkout ? cart : undefined;
  }, 30_000, 'the cart emptied');
  expect(emptied.items).toEqual([]);

  // Search shows what is left: 11 − 3 = 8 units, the "low" bucket.
  await eventually(async () => ((await search())?.stock_bucket === 'low' ? true : undefined), 30_000, 'search showing 8 left');
});

test('an order that does not go through gives the cart back, lines untouched', async () => {
  const shopper = await signUp('journey-undo');
  const added = await api('POST', '/cart/items', { token: shopper.access, body: { product_id: productId, sku: M, quantity: 1, expected_version: 0 } });
  expect(added.status).toBe(200);
  // The coupon does not exist: the saga refuses at redeem, compensates, and releases the cart.
  const placed = await api('POST', '/orders', { token: shopper.access, body: { from_cart: true, shipping_address: toronto, shipping_method: METHOD, coupon_codes: [`NOPE${tag}`] } });
  expect(placed.status).toBe(202);
  await eventually(async () => ((await api('GET', `/orders/${placed.body.id}`, { token: shopper.access })).body.status === 'failed' ? true : undefined), 60_000, 'the order failed');
  const cart = await eventually(async () => {
    const c = (await api('GET', '/cart', { token: shopper.access })).body;
    return c.checkout ? undefined : c;
  }, 30_000, 'the cart released');
  expect(cart.items.map((l: { sku: string; quantity: number }) => [l.sku, l.quantity])).toEqual([[M, 1]]);
});

describe('bad input to the new paths is a clear 4xx', () => {
  test('placing: not exactly one source, an empty or unknown cart', async () => {
    const shopper = await signUp('journey-bad');
    const order = (body: Record<string, unknown>) => api('POST', '/orders', { token: shopper.access, body: { shipping_address: toronto, shipping_method: METHOD, ...body } });
    expectProblem(await order({}), 400);
    expectProblem(await order({ from_cart: true, items: [{ product_id: productId, quantity: 1 }] }), 400);
    expectProblem(await order({ from_cart: false }), 400);
    expectProblem(await order({ cart_id: 'not-a-uuid' }), 400);
    expectProblem(await order({ from_cart: true }), 422, { code: 'cart_empty' });
    expectProblem(await order({ cart_id: randomUUID() }), 422, { code: 'cart_not_found' });
  });

  test('the cart: a SKU that is not the product’s, an ambiguous line, a malformed SKU', async () => {
    const shopper = await signUp('journey-sku');
    expectProblem(await api('POST', '/cart/items', { token: shopper.access, body: { product_id: productId, sku: 'SOMEONE-ELSES', quantity: 1, expected_version: 0 } }), 422, { code: 'unknown_sku' });
    expectProblem(await api('POST', '/cart/items', { token: shopper.access, body: { product_id: productId, sku: 'bad sku!', quantity: 1, expected_version: 0 } }), 400);
    let v = 0;
    for (const sku of [M, L]) v = (await api('POST', '/cart/items', { token: shopper.access, body: { product_id: productId, sku, quantity: 1, expected_version: v } })).body.version;
    expectProblem(await api('PATCH', `/cart/items/${productId}`, { token: shopper.access, body: { quantity: 2, expected_version: v } }), 422, { code: 'ambiguous_line' });
    const changed = await api('PATCH', `/cart/items/${productId}`, { token: shopper.access, body: { sku: L, quantity: 2, expected_version: v } });
    expect(changed.status).toBe(200);
    const removed = await api('DELETE', `/cart/items/${productId}?expected_version=${changed.body.version}&sku=${M}`, { token: shopper.access });
    expect(removed.body.items).toEqual([expect.objectContaining({ sku: L, quantity: 2 })]);
  });

  test('the cart’s checkout routes are not reachable from the edge', async () => {
    const shopper = await signUp('journey-edge');
    const res = await api('POST', `/internal/carts/user-${shopper.id}/checkout`, { token: shopper.access, body: { order_id: randomUUID(), hold_seconds: 60 } });
    expect(res.status).toBe(404);
  });
});
