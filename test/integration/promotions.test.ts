/**
 * Promotions through the gateway (admin CRUD, public preview) and, for the order saga's internal
 * routes, through the order app's sidecar (so the caller app id is `order`). Usage limits are
 * checked in PostgreSQL itself.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { pgConfig } from '../../kernel/config';
import { api, signUp, signUpAdmin } from '../support/gateway';

const ORDER_SIDECAR = 'http://127.0.0.1:3504';
const tag = Math.random().toString(36).slice(2, 8).toUpperCase();
/** Product ids and codes unique to this run: automatic promotions made here touch only these. */
const product = (name: string) => `prod-${tag}-${name}`;
const code = (name: string) => `${name}${tag}`;

let admin = '';
let customer = { id: '', access: '' };
let pool: pg.Pool;
const created: Array<{ id: string; version: number }> = [];

beforeAll(async () => {
  admin = (await signUpAdmin('promotions-admin')).access;
  customer = await signUp('promotions-customer');
  pool = new pg.Pool({ ...pgConfig(), max: 2 });
});

afterAll(async () => {
  // Clean up: switch off what this run created, so no later preview meets it.
  for (const p of created) await api('PATCH', `/promotions/${p.id}`, { token: admin, body: { active: false }, headers: { 'if-match': '*' } });
  await pool.end();
});

async function createPromo(body: Record<string, unknown>) {
  const res = await api('POST', '/promotions', { token: admin, body: { condition: { currency: 'USD' }, ...body } });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
  created.push({ id: res.body.id, version: res.body.version });
  return res.body as { id: string; code: string | null; version: number };
}

const line = (name: string, quantity: number, unit_price_minor: number) => ({ product_id: product(name), quantity, unit_price_minor });
const preview = (items: unknown[], coupon_codes?: string[], token?: string) => api('POST', '/promotions/preview', { token, body: { items, currency: 'USD', ...(coupon_codes ? { coupon_codes } : {}) } });
const internal = (op: 'redeem' | 'release', body: unknown) => api('POST', `/v1.0/invoke/promotions/method/internal/promotions/${op}`, { base: ORDER_SIDECAR, body });
const redeem = (order_id: string, user_id: string, coupon_codes: string[], items = [line('any', 1, 10_000)]) =>
  internal('redeem', { order_id, user_id, items, currency: 'USD', coupon_codes });

async function activeRedemptions(promotionId: string): Promise<number> {
  const { rows } = await pool.query("SELECT count(*)::int AS n FROM promotions.redemptions WHERE promotion_id = $1 AND status = 'redeemed'", [promotionId]);
  return rows[0].n;
}

describe('admin writes', () => {
  test('create, read with ETag, update with If-Match (428 / 412 / 200); codes unique whatever their case', async () => {
    const p = await createPromo({ code: code('Save10'), name: 'Save 10', action: { type: 'percentage', basis_points: 1000 } });
    const read = await api('GET', `/promotions/${p.id}`, { token: admin });
    expect(read.status).toBe(200);
    expect(read.headers.get('etag')).toBe('"v1"');
    expect(read.body).toMatchObject({ code: code('Save10'), used: 0, exclusive: false, priority: 0, active: true });
    const path = `/promotions/${p.id}`;
    expect((await api('PATCH', path, { token: admin, body: { priority: 5 } })).status).toBe(428);
    const ok = await api('PATCH', path, { token: admin, body: { priority: 5 }, headers: { 'if-match': '"v1"' } });
    expect(ok.status).toBe(200);
    expect(ok.body.version).toBe(2);
    expect(ok.headers.get('etag')).toBe('"v2"');
    const stale = await api('PATCH', path, { token: admin, body: { priority: 6 }, headers: { 'if-match': '"v1"' } });
    expect(stale.status).toBe(412);
    expect(stale.headers.get('etag')).toBe('"v2"');
    const dup = await api('POST', '/promotions', { token: admin, body: { code: code('SAVE10').toLowerCase(), name: 'dup', condition: { currency: 'USD' }, action: { type: 'free_shipping' } } });
    expect(dup.status).toBe(409);

    const adminList = await api('GET', '/promotions?view=admin', { token: admin });
    expect(adminList.body.items.find((x: { id: string }) => x.id === p.id)).toMatchObject({ code: code('Save10') });
    const publicList = await api('GET', '/promotions');
    const listed = publicList.body.items.find((x: { id: string }) => x.id === p.id);
    expect(listed).toBeDefined();
    expect(listed.code).toBeUndefined();
  });

  test('customers get 403 and anonymous callers 401 on every admin route', async () => {
    const body = { name: 'nope', condition: { currency: 'USD' }, action: { type: 'free_shipping' } };
    expect((await api('POST', '/promotions', { body })).status).toBe(401);
    expect((await api('POST', '/promotions', { token: customer.access, body })).status).toBe(403);
    const p = await createPromo({ name: 'hidden', code: code('HIDDEN'), action: { type: 'free_shipping' } });
    expect((await api('GET', `/promotions/${p.id}`, { token: customer.access })).status).toBe(403);
    expect((await api('PATCH', `/promotions/${p.id}`, { token: customer.access, body: { active: false }, headers: { 'if-match': '"v1"' } })).status).toBe(403);
    expect((await api('GET', '/promotions?view=admin', { token: customer.access })).status).toBe(403);
    expect((await api('GET', '/promotions?view=admin')).status).toBe(403);
  });

  test('bad definitions and bad carts are 4xx problem+json', async () => {
    const base = { name: 'bad', condition: { currency: 'USD' } };
    const bad: Array<Record<string, unknown>> = [
      { ...base, action: { type: 'percentage', basis_points: 0 } },
      { ...base, action: { type: 'percentage', basis_points: 10001 } },
      { ...base, action: { type: 'percentage', basis_points: 12.5 } },
      { ...base, action: { type: 'fixed_amount', amount_minor: 100, currency: 'EUR' } },
      { ...base, action: { type: 'bogus' } },
      { ...base, action: { type: 'free_shipping' }, starts_at: '2030-01-02T00:00:00Z', ends_at: '2030-01-01T00:00:00Z' },
      { ...base, action: { type: 'free_shipping' }, code: 'has spaces' },
      { ...base, action: { type: 'free_shipping' }, usage_limit: 0 },
      { ...base, action: { type: 'free_shipping' }, colour: 'red' },
      { name: 'bad', condition: { currency: 'usd' }, action: { type: 'free_shipping' } },
      { name: 'bad', condition: { currency: 'USD', min_subtotal_minor: -1 }, action: { type: 'free_shipping' } },
    ];
    for (const body of bad) {
      const res = await api('POST', '/promotions', { token: admin, body });
      expect([JSON.stringify(body), res.status]).toEqual([JSON.stringify(body), 400]);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    const carts: unknown[] = [
      { items: [], currency: 'USD' },
      { items: [line('a', 0, 100)], currency: 'USD' },
      { items: [line('a', 1, -1)], currency: 'USD' },
      { items: [line('a', 1, 10.5)], currency: 'USD' },
      { items: [line('a', 1, 100)] },
    ];
    for (const body of carts) {
      const res = await api('POST', '/promotions/preview', { body });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect((await api('GET', '/promotions/not-a-uuid', { token: admin })).status).toBe(400);
    expect((await api('GET', `/promotions/${randomUUID()}`, { token: admin })).status).toBe(404);
  });
});

describe('preview math', () => {
  test('percentage rounds half-up per line; fixed needs its minimum; free shipping is a flag', async () => {
    await createPromo({ code: code('PCT'), name: '12.5 %', action: { type: 'percentage', basis_points: 1250 } });
    await createPromo({ code: code('FIX'), name: '5 off 30', condition: { currency: 'USD', min_subtotal_minor: 3000 }, action: { type: 'fixed_amount', amount_minor: 500, currency: 'USD' } });
    await createPromo({ code: code('SHIP'), name: 'free shipping', action: { type: 'free_shipping' } });

    const pct = await preview([line('a', 3, 999), line('b', 1, 5)], [code('pct')]);
    expect(pct.status).toBe(200);
    // 2997 × 12.5 % = 374.625 → 375; 5 × 12.5 % = 0.625 → 1
    expect(pct.body).toMatchObject({ subtotal_minor: 3002, discount_minor: 376, total_minor: 2626, free_shipping: false });

    const under = await preview([line('a', 1, 2999)], [code('FIX')]);
    expect(under.body.discount_minor).toBe(0);
    expect(under.body.rejected).toEqual([expect.objectContaining({ code: code('FIX'), reason: 'condition_not_met' })]);
    const over = await preview([line('a', 1, 3000)], [code('FIX')]);
    expect(over.body).toMatchObject({ discount_minor: 500, total_minor: 2500 });

    const ship = await preview([line('a', 1, 3000)], [code('SHIP')]);
    expect(ship.body).toMatchObject({ discount_minor: 0, total_minor: 3000, free_shipping: true });
    expect(ship.body.discounts).toEqual([expect.objectContaining({ code: code('SHIP'), type: 'free_shipping' })]);

    const unknown = await preview([line('a', 1, 3000)], [code('NOSUCH')]);
    expect(unknown.body.rejected).toEqual([expect.objectContaining({ code: code('NOSUCH'), reason: 'unknown_code' })]);
  });

  test('buy two, get one free (automatic, no code) and buy one get one at 50 %', async () => {
    await createPromo({ name: 'b2g1', condition: { currency: 'USD', product_ids: [product('sock')] }, action: { type: 'buy_x_get_y', buy_product_id: product('sock'), buy_quantity: 2, get_product_id: product('sock'), get_quantity: 1 } });
    const socks = await preview([line('sock', 7, 250)]);
    expect(socks.body).toMatchObject({ subtotal_minor: 1750, discount_minor: 500, total_minor: 1250 }); // 7 = 2 groups of 3
    await createPromo({ name: 'shoe → lace 50 %', condition: { currency: 'USD', product_ids: [product('shoe')] }, action: { type: 'buy_x_get_y', buy_product_id: product('shoe'), buy_quantity: 1, get_product_id: product('lace'), get_quantity: 1, basis_points: 5000 } });
    const shoes = await preview([line('shoe', 2, 8000), line('lace', 3, 333)]);
    expect(shoes.body.discount_minor).toBe(2 * 167); // two laces at 50 %, 166.5 → 167 each
    expect((await preview([line('lace', 3, 333)])).body.discount_minor).toBe(0);
  });

  test('the validity window: not yet started and already ended promotions do not apply', async () => {
    const soon = new Date(Date.now() + 3_600_000).toISOString();
    const past = new Date(Date.now() - 3_600_000).toISOString();
    await createPromo({ code: code('SOON'), name: 'soon', starts_at: soon, action: { type: 'percentage', basis_points: 1000 } });
    await createPromo({ code: code('GONE'), name: 'gone', starts_at: '2020-01-01T00:00:00Z', ends_at: past, action: { type: 'percentage', basis_points: 1000 } });
    await createPromo({ code: code('NOW'), name: 'now', starts_at: past, ends_at: soon, action: { type: 'percentage', basis_points: 1000 } });
    const res = await preview([line('a', 1, 1000)], [code('SOON'), code('GONE'), code('NOW')]);
    expect(res.body.discount_minor).toBe(100);
    expect(res.body.rejected.map((r: { code: string; reason: string }) => [r.code, r.reason]).sort()).toEqual([[code('GONE'), 'ended'], [code('SOON'), 'not_started']]);
  });

  test('stacking: by priority on the remaining amount; an exclusive promotion alone when it is the better deal', async () => {
    const items = [line('tv', 1, 10_000)];
    const condition = { currency: 'USD', product_ids: [product('tv')] };
    const first = await createPromo({ name: '10 off', condition, priority: 10, action: { type: 'fixed_amount', amount_minor: 1000, currency: 'USD' } });
    const second = await createPromo({ name: '10 %', condition, priority: 1, action: { type: 'percentage', basis_points: 1000 } });
    const stacked = await preview(items);
    expect(stacked.body.discounts.map((d: { promotion_id: string; discount_minor: number }) => [d.promotion_id, d.discount_minor])).toEqual([[first.id, 1000], [second.id, 900]]);
    expect(stacked.body.total_minor).toBe(8100);

    const big = await createPromo({ code: code('BIG'), name: '25 % alone', exclusive: true, action: { type: 'percentage', basis_points: 2500 } });
    const exclusive = await preview(items, [code('BIG')]);
    expect(exclusive.body.discounts.map((d: { promotion_id: string }) => d.promotion_id)).toEqual([big.id]);
    expect(exclusive.body).toMatchObject({ discount_minor: 2500, total_minor: 7500 });
    expect(exclusive.body.not_applied.map((x: { reason: string }) => x.reason)).toEqual(['not_combinable', 'not_combinable']);

    await createPromo({ code: code('SMALL'), name: '5 % alone', exclusive: true, action: { type: 'percentage', basis_points: 500 } });
    const stackWins = await preview(items, [code('SMALL')]);
    expect(stackWins.body.discount_minor).toBe(1900);
    expect(stackWins.body.not_applied).toEqual([expect.objectContaining({ code: code('SMALL'), reason: 'not_combinable' })]);
  });
});

describe('redemption by the order saga', () => {
  test('internal routes are not reachable through the gateway', async () => {
    const body = { order_id: randomUUID(), user_id: randomUUID(), items: [line('a', 1, 1)], currency: 'USD' };
    expect((await api('POST', '/internal/promotions/redeem', { body })).status).toBe(404);
    expect((await api('POST', '/internal/promotions/redeem', { body, token: admin })).status).toBe(404);
  });

  test('a coupon with a global limit of 5 redeemed by 50 concurrent orders is used exactly 5 times', async () => {
    const p = await createPromo({ code: code('LIMIT5'), name: 'first five', usage_limit: 5, action: { type: 'percentage', basis_points: 1000 } });
    const users = Array.from({ length: 10 }, () => randomUUID());
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => redeem(`order-${tag}-limit-${i}`, users[i % users.length]!, [code('limit5')])));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    // Every other order is refused with a 409 naming the code. (A circuit breaker on service
    // invocation would count these refusals as failures and open: components/resiliency.yaml.)
    const refusals = results.filter((r) => r.status === 409);
    expect(refusals).toHaveLength(45);
    const refused = refusals[0]!;
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.body).toMatchObject({ code: code('LIMIT5'), reason: 'usage_limit_reached' });
    expect(refused.body.detail).toContain(code('LIMIT5'));
    expect(await activeRedemptions(p.id)).toBe(5);
    const ok = results.find((r) => r.status === 200)!;
    expect(ok.body).toMatchObject({ discount_minor: 1000, total_minor: 9000 });
    expect((await api('GET', `/promotions/${p.id}`, { token: admin })).body.used).toBe(5);
  });

  test('per-customer limit; a repeated redeem of one order returns the same redemptions', async () => {
    const p = await createPromo({ code: code('ONCE'), name: 'once each', per_customer_limit: 1, action: { type: 'fixed_amount', amount_minor: 700, currency: 'USD' } });
    const alice = randomUUID();
    const orderId = `order-${tag}-once-1`;
    const first = await redeem(orderId, alice, [code('ONCE')]);
    expect(first.status).toBe(200);
    expect(first.body.redemptions).toEqual([{ promotion_id: p.id, code: code('ONCE'), discount_minor: 700, status: 'redeemed' }]);
    const again = await redeem(orderId, alice, [code('ONCE')]);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await activeRedemptions(p.id)).toBe(1);

    const second = await redeem(`order-${tag}-once-2`, alice, [code('ONCE')]);
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ code: code('ONCE'), reason: 'customer_limit_reached' });
    expect((await redeem(`order-${tag}-once-3`, randomUUID(), [code('ONCE')])).status).toBe(200);
    expect(await activeRedemptions(p.id)).toBe(2);

    // The preview knows the signed-in customer's usage too.
    expect((await redeem(`order-${tag}-once-4`, customer.id, [code('ONCE')])).status).toBe(200);
    const seen = await preview([line('a', 1, 1000)], [code('ONCE')], customer.access);
    expect(seen.body.rejected).toEqual([expect.objectContaining({ code: code('ONCE'), reason: 'customer_limit_reached' })]);
  });

  test('release gives the use back (a released order frees a slot), is idempotent, and a released order cannot redeem again', async () => {
    const p = await createPromo({ code: code('ONE'), name: 'only one', usage_limit: 1, action: { type: 'free_shipping' } });
    const a = `order-${tag}-rel-a`;
    const b = `order-${tag}-rel-b`;
    expect((await redeem(a, randomUUID(), [code('ONE')])).body).toMatchObject({ free_shipping: true });
    expect((await redeem(b, randomUUID(), [code('ONE')])).status).toBe(409);
    const released = await internal('release', { order_id: a });
    expect(released.status).toBe(200);
    expect(released.body).toEqual({ order_id: a, released: 1, status: 'released' });
    expect((await internal('release', { order_id: a })).body).toEqual({ order_id: a, released: 0, status: 'released' });
    expect(await activeRedemptions(p.id)).toBe(0);
    expect((await redeem(b, randomUUID(), [code('ONE')])).status).toBe(200);
    expect(await activeRedemptions(p.id)).toBe(1);
    expect((await redeem(a, randomUUID(), [code('ONE')])).status).toBe(409);
    const { rows } = await pool.query('SELECT status FROM promotions.redemptions WHERE promotion_id = $1 ORDER BY created_at', [p.id]);
    expect(rows.map((r) => r.status)).toEqual(['released', 'redeemed']);

    // A release that arrives before its redeem leaves a tombstone: the late redeem is refused.
    const early = `order-${tag}-rel-early`;
    expect((await internal('release', { order_id: early })).body.released).toBe(0);
    expect((await redeem(early, randomUUID(), [])).status).toBe(409);
  });

  test('an unknown or inapplicable coupon at redeem is a 422 naming it', async () => {
    const unknown = await redeem(`order-${tag}-unknown`, randomUUID(), [code('NOPE')]);
    expect(unknown.status).toBe(422);
    expect(unknown.body.code).toBe(code('NOPE'));
    await createPromo({ code: code('MIN'), name: 'min 500', condition: { currency: 'USD', min_subtotal_minor: 50_000 }, action: { type: 'percentage', basis_points: 1000 } });
    const under = await redeem(`order-${tag}-min`, randomUUID(), [code('MIN')]);
    expect(under.status).toBe(422);
    expect(under.body).toMatchObject({ code: code('MIN'), reason: 'condition_not_met' });
  });
});
