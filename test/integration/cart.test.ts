/**
 * The cart through the running stack: CartActor (one virtual actor per cart, Redis actor
 * store), optimistic versions, catalog prices through service invocation, guest carts and
 * their merge into an account, cross-user isolation, expiry by reminder, and throughput.
 */
import { randomUUID } from 'node:crypto';
import { api, signUp, signUpAdmin, type JsonResponse } from '../support/gateway';
import { eventually } from '../support/processes';

/** The cart app through its own sidecar (service invocation, as the gateway forwards). */
const CART_SIDECAR = 'http://127.0.0.1:3503/v1.0/invoke/cart/method';
/**
 * Guest requests carry X-Cart-Id. They go through the gateway when it forwards that header,
 * else straight through the cart's sidecar (decided once in beforeAll).
 */
let guestBase = CART_SIDECAR;

const tag = Math.random().toString(36).slice(2, 8).toUpperCase();
let admin = '';
const product: Record<'a' | 'b' | 'c' | 'eur' | 'draft', string> = { a: '', b: '', c: '', eur: '', draft: '' };

async function createProduct(body: Record<string, unknown>): Promise<string> {
  const res = await api('POST', '/products', { token: admin, body: { ...body, sku: `CART${tag}-${String(body.sku)}` } });
  if (res.status !== 201) throw new Error(`create product failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

async function newGuestCart(): Promise<string> {
  const res = await api('POST', '/cart');
  expect(res.status).toBe(201);
  return res.body.cart_id;
}

function guest(method: string, path: string, cartId: string, body?: unknown): Promise<JsonResponse> {
  return api(method, path, { base: guestBase, headers: { 'x-cart-id': cartId }, body });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Adds with expected_version, re-reading the version from each 409 (and waiting out 429s). */
async function addWithRetry(send: (version: number) => Promise<JsonResponse>, version = 0): Promise<{ res: JsonResponse; attempts: number }> {
  for (let attempts = 1; attempts < 200; attempts += 1) {
    const res = await send(version);
    if (res.status === 409) {
      version = res.body.version;
      await sleep(Math.random() * 10);
    } else if (res.status === 429) {
      await sleep(1000 * Number(res.headers.get('retry-after') ?? 1));
    } else {
      return { res, attempts };
    }
  }
  throw new Error('no success after 200 attempts');
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

beforeAll(async () => {
  admin = (await signUpAdmin('cart-admin')).access;
  product.a = await createProduct({ sku: 'A', name: 'Alpha', base_price: '12.34' });
  product.b = await createProduct({ sku: 'B', name: 'Beta', base_price: 0.99 });
  product.c = await createProduct({ sku: 'C', name: 'Gamma', base_price: '1000.10' });
  product.eur = await createProduct({ sku: 'E', name: 'Euro thing', base_price: '5.00', currency: 'EUR' });
  product.draft = await createProduct({ sku: 'D', name: 'Draft', base_price: 1, status: 'draft' });
  const probe = await newGuestCart();
  if ((await api('GET', '/cart', { headers: { 'x-cart-id': probe } })).status === 200) guestBase = 'http://127.0.0.1:8000';
  console.log(`cart tests: guest requests via ${guestBase === CART_SIDECAR ? "the cart's sidecar (the gateway does not forward X-Cart-Id)" : 'the gateway'}`);
});

describe('a signed-in customer’s cart', () => {
  test('prices lines from the current catalog with integer arithmetic; add, set, remove and clear move the version', async () => {
    const { access } = await signUp('cart-basic');
    const empty = await api('GET', '/cart', { token: access });
    expect(empty.status).toBe(200);
    expect(empty.body).toMatchObject({ cart_id: null, items: [], version: 0, subtotal_minor: 0 });

    const first = await api('POST', '/cart/items', { token: access, body: { product_id: product.a, quantity: 3, expected_version: 0 } });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ version: 1, currency: 'USD', items: [{ product_id: product.a, sku: `CART${tag}-A`, quantity: 3 }] });
    expect((await api('POST', '/cart/items', { token: access, body: { product_id: product.b, quantity: 2, expected_version: 1 } })).status).toBe(200);
    const more = await api('POST', '/cart/items', { token: access, body: { product_id: product.a, quantity: 1, expected_version: 2 } });
    expect(more.body.items).toEqual([
      { product_id: product.a, sku: `CART${tag}-A`, quantity: 4 },
      { product_id: product.b, sku: `CART${tag}-B`, quantity: 2 },
    ]);

    const priced = await api('GET', '/cart', { token: access });
    expect(priced.body).toMatchObject({
      version: 3,
      currency: 'USD',
      item_count: 6,
      subtotal: '51.34', // 4 × 12.34 + 2 × 0.99
      subtotal_minor: 5134,
      items: [
        { product_id: product.a, name: 'Alpha', unit_price: '12.34', unit_price_minor: 1234, line_total: '49.36', line_total_minor: 4936, available: true },
        { product_id: product.b, name: 'Beta', unit_price: '0.99', unit_price_minor: 99, line_total: '1.98', line_total_minor: 198, available: true },
      ],
    });

    const set = await api('PATCH', `/cart/items/${product.b}`, { token: access, body: { quantity: 5, expected_version: 3 } });
    expect(set.body).toMatchObject({ version: 4, items: [{ quantity: 4 }, { quantity: 5 }] });
    const zero = await api('PATCH', `/cart/items/${product.b}`, { token: access, body: { quantity: 0, expected_version: 4 } });
    expect(zero.body.items).toHaveLength(1);
    const removed = await api('DELETE', `/cart/items/${product.a}?expected_version=5`, { token: access });
    expect(removed.body).toMatchObject({ version: 6, items: [], currency: null });
    expect((await api('DELETE', `/cart/items/${product.a}?expected_version=6`, { token: access })).status).toBe(404);
    await api('POST', '/cart/items', { token: access, body: { product_id: product.c, quantity: 1, expected_version: 6 } });
    const cleared = await api('DELETE', '/cart?expected_version=7', { token: access });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({ version: 8, items: [] });
  });
});

describe('concurrent edits', () => {
  test('two clients with the same expected_version: exactly one wins, the other gets 409 with the current cart', async () => {
    const { access } = await signUp('cart-race');
    const [x, y] = await Promise.all([
      api('POST', '/cart/items', { token: access, body: { product_id: product.a, quantity: 1, expected_version: 0 } }),
      api('POST', '/cart/items', { token: access, body: { product_id: product.b, quantity: 1, expected_version: 0 } }),
    ]);
    expect([x.status, y.status].sort()).toEqual([200, 409]);
    const [won, lost] = x.status === 200 ? [x, y] : [y, x];
    expect(lost.headers.get('content-type')).toContain('application/problem+json');
    expect(lost.body.version).toBe(1);
    expect(lost.body.cart).toEqual(won.body);
    const now = await api('GET', '/cart', { token: access });
    expect(now.body.items).toHaveLength(1);
    expect(now.body.version).toBe(1);
  });

  test('20 concurrent adds retrying on 409 all land: no update is lost', async () => {
    const { access } = await signUp('cart-twenty');
    const results = await Promise.all(
      Array.from({ length: 20 }, () => addWithRetry((v) => api('POST', '/cart/items', { token: access, body: { product_id: product.a, quantity: 1, expected_version: v } }))),
    );
    expect(results.every((r) => r.res.status === 200)).toBe(true);
    const attempts = results.reduce((n, r) => n + r.attempts, 0);
    const cart = await api('GET', '/cart', { token: access });
    expect(cart.body).toMatchObject({ version: 20, items: [{ product_id: product.a, quantity: 20 }] });
    console.log(`20 concurrent adds on one cart: ${attempts} attempts in all (${attempts - 20} answered 409 and retried)`);
  });
});

describe('guest carts and merging', () => {
  test('a guest cart merges into the account: same product summed and capped at 99, guest cart emptied, repeat is a no-op', async () => {
    const guestId = await newGuestCart();
    expect(guestId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await guest('POST', '/cart/items', guestId, { product_id: product.a, quantity: 2, expected_version: 0 })).status).toBe(200);
    expect((await guest('POST', '/cart/items', guestId, { product_id: product.b, quantity: 98, expected_version: 1 })).status).toBe(200);
    const guestCart = await guest('GET', '/cart', guestId);
    expect(guestCart.body).toMatchObject({ cart_id: guestId, version: 2, subtotal: '121.70' }); // 2 × 12.34 + 98 × 0.99

    const user = await signUp('cart-merge');
    await api('POST', '/cart/items', { token: user.access, body: { product_id: product.b, quantity: 5, expected_version: 0 } });
    await api('POST', '/cart/items', { token: user.access, body: { product_id: product.c, quantity: 1, expected_version: 1 } });

    const merged = await api('POST', '/cart/merge', { token: user.access, body: { guest_cart_id: guestId } });
    expect(merged.status).toBe(200);
    expect(merged.body).toMatchObject({ merged: true, capped: [product.b], dropped: [] });
    const quantities = Object.fromEntries(merged.body.cart.items.map((l: { product_id: string; quantity: number }) => [l.product_id, l.quantity]));
    expect(quantities).toEqual({ [product.b]: 99, [product.c]: 1, [product.a]: 2 });
    expect(merged.body.cart.version).toBe(3);

    const after = await guest('GET', '/cart', guestId);
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ items: [], merged: true });
    const guestWrite = await guest('POST', '/cart/items', guestId, { product_id: product.a, quantity: 1, expected_version: after.body.version });
    expect(guestWrite.status).toBe(410);

    const again = await api('POST', '/cart/merge', { token: user.access, body: { guest_cart_id: guestId } });
    expect(again.status).toBe(200);
    expect(again.body.merged).toBe(false);
    expect(again.body.cart).toEqual(merged.body.cart);

    const stranger = await signUp('cart-merge-stranger');
    expect((await api('POST', '/cart/merge', { token: stranger.access, body: { guest_cart_id: guestId } })).status).toBe(404);
    expect((await api('GET', '/cart', { token: stranger.access })).body.items).toEqual([]);
  });

  test('a guest cart in another currency is refused and stays usable', async () => {
    const guestId = await newGuestCart();
    await guest('POST', '/cart/items', guestId, { product_id: product.eur, quantity: 1, expected_version: 0 });
    const user = await signUp('cart-merge-eur');
    await api('POST', '/cart/items', { token: user.access, body: { product_id: product.a, quantity: 1, expected_version: 0 } });
    const refused = await api('POST', '/cart/merge', { token: user.access, body: { guest_cart_id: guestId } });
    expect(refused.status).toBe(422);
    const stillThere = await guest('GET', '/cart', guestId);
    expect(stillThere.body.items).toHaveLength(1);
    expect(stillThere.body.merged).toBeUndefined();
    expect((await guest('PATCH', `/cart/items/${product.eur}`, guestId, { quantity: 2, expected_version: stillThere.body.version })).status).toBe(200);
  });
});

describe('refusals', () => {
  test('unknown or inactive products and another currency are 422; caps are 422', async () => {
    const { access } = await signUp('cart-422');
    for (const id of [randomUUID(), product.draft]) {
      const res = await api('POST', '/cart/items', { token: access, body: { product_id: id, quantity: 1, expected_version: 0 } });
      expect(res.status).toBe(422);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect((await api('POST', '/cart/items', { token: access, body: { product_id: product.a, quantity: 99, expected_version: 0 } })).status).toBe(200);
    const cap = await api('POST', '/cart/items', { token: access, body: { product_id: product.a, quantity: 1, expected_version: 1 } });
    expect(cap.status).toBe(422);
    expect(cap.body.code).toBe('quantity_cap');
    const eur = await api('POST', '/cart/items', { token: access, body: { product_id: product.eur, quantity: 1, expected_version: 1 } });
    expect(eur.status).toBe(422);
    expect(eur.body.code).toBe('currency_mismatch');
    expect((await api('GET', '/cart', { token: access })).body.version).toBe(1);
  });

  test('bad input is a 4xx problem+json', async () => {
    const { access } = await signUp('cart-400');
    const bodies = [
      { product_id: product.a, quantity: 0, expected_version: 0 },
      { product_id: product.a, quantity: 100, expected_version: 0 },
      { product_id: product.a, quantity: 'two', expected_version: 0 },
      { product_id: product.a, quantity: 1 },
      { product_id: 'not-a-uuid', quantity: 1, expected_version: 0 },
      { product_id: product.a, quantity: 1, expected_version: -1 },
      { product_id: product.a, quantity: 1, expected_version: 0, price: 1 },
    ];
    for (const body of bodies) {
      const res = await api('POST', '/cart/items', { token: access, body });
      expect([JSON.stringify(body), res.status]).toEqual([JSON.stringify(body), 400]);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect((await api('DELETE', '/cart?expected_version=abc', { token: access })).status).toBe(400);
    expect((await api('DELETE', '/cart', { token: access })).status).toBe(400);
    expect((await api('PATCH', '/cart/items/nope', { token: access, body: { quantity: 1, expected_version: 0 } })).status).toBe(400);
    expect((await api('PATCH', `/cart/items/${product.a}`, { token: access, body: { quantity: 1, expected_version: 0 } })).status).toBe(404);
    expect((await api('POST', '/cart/merge', { token: access, body: { guest_cart_id: 'x' } })).status).toBe(400);
    expect((await api('POST', '/cart/merge', { body: { guest_cart_id: randomUUID() } })).status).toBe(401);
    // Guests: a missing, malformed or unknown cart id.
    expect((await api('GET', '/cart')).status).toBe(400);
    expect((await guest('GET', '/cart', 'not-a-uuid')).status).toBe(400);
    const unknown = await guest('GET', '/cart', randomUUID());
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toContain('application/problem+json');
  });

  test("another user's cart cannot be named: not by user id, actor id, X-Cart-Id or merge", async () => {
    const a = await signUp('cart-owner');
    const b = await signUp('cart-intruder');
    await api('POST', '/cart/items', { token: a.access, body: { product_id: product.c, quantity: 2, expected_version: 0 } });
    const own = await api('GET', '/cart', { token: b.access });
    expect(own.body).toMatchObject({ items: [], version: 0 });

    // Through the cart service (as the gateway forwards), with and without B's token.
    for (const id of [`user-${a.id}`, a.id]) {
      const withToken = await api('GET', '/cart', { base: guestBase, token: b.access, headers: { 'x-cart-id': id } });
      expect(withToken.status).toBe(400);
      const write = await api('POST', '/cart/items', { base: guestBase, token: b.access, headers: { 'x-cart-id': id }, body: { product_id: product.a, quantity: 1, expected_version: 1 } });
      expect(write.status).toBe(400);
      const anonymous = await guest('GET', '/cart', id);
      expect([400, 404]).toContain(anonymous.status);
      expect((await guest('DELETE', '/cart?expected_version=1', id)).status).toBeGreaterThanOrEqual(400);
    }
    // Through the gateway: whatever B sends, B only ever sees B's cart.
    const viaGateway = await api('GET', '/cart', { token: b.access, headers: { 'x-cart-id': `user-${a.id}` } });
    expect(viaGateway.status === 400 || (viaGateway.status === 200 && viaGateway.body.items.length === 0)).toBe(true);
    expect((await api('POST', '/cart/merge', { token: b.access, body: { guest_cart_id: a.id } })).status).toBe(404);
    expect((await api('POST', '/cart/merge', { token: b.access, body: { guest_cart_id: `user-${a.id}` } })).status).toBe(400);
    // The TTL route is internal: not through the gateway, not as a guest through the sidecar.
    expect((await api('POST', '/internal/cart/ttl', { token: b.access, body: { cart_id: `user-${a.id}`, ttl_seconds: 1 } })).status).toBe(404);
    expect((await api('POST', '/internal/cart/ttl', { base: CART_SIDECAR, body: { cart_id: `user-${a.id}`, ttl_seconds: 1 } })).status).toBe(404);

    const untouched = await api('GET', '/cart', { token: a.access });
    expect(untouched.body).toMatchObject({ version: 1, items: [{ product_id: product.c, quantity: 2 }] });
  });
});

describe('expiry', () => {
  const setTtl = (cartId: string, seconds: number) =>
    api('POST', '/internal/cart/ttl', { base: CART_SIDECAR, headers: { 'dapr-caller-app-id': 'operator' }, body: { cart_id: cartId, ttl_seconds: seconds } });

  test('a new cart expires after 7 days by default', async () => {
    const before = Date.now();
    const res = await api('POST', '/cart');
    const ttl = Date.parse(res.body.expires_at) - before;
    expect(ttl).toBeGreaterThan(7 * 86400_000 - 60_000);
    expect(ttl).toBeLessThan(7 * 86400_000 + 60_000);
  });

  test('an abandoned cart is removed by its expire reminder', async () => {
    const guestId = await newGuestCart();
    await guest('POST', '/cart/items', guestId, { product_id: product.a, quantity: 1, expected_version: 0 });
    const user = await signUp('cart-expiry');
    await api('POST', '/cart/items', { token: user.access, body: { product_id: product.b, quantity: 3, expected_version: 0 } });
    expect((await setTtl(`guest-${guestId}`, 2)).status).toBe(200);
    expect((await setTtl(`user-${user.id}`, 2)).status).toBe(200);
    await eventually(async () => (await guest('GET', '/cart', guestId)).status === 404, 30_000, 'guest cart removed');
    await eventually(async () => {
      const res = await api('GET', '/cart', { token: user.access });
      return res.status === 200 && res.body.version === 0 && res.body.items.length === 0;
    }, 30_000, 'user cart removed');
    // Gone, not merely hidden: a merge of the expired guest cart finds nothing.
    expect((await api('POST', '/cart/merge', { token: user.access, body: { guest_cart_id: guestId } })).status).toBe(404);
  });
});

describe('throughput', () => {
  test('measures add-item throughput and latency through the gateway (200 sequential, then 200 concurrent)', async () => {
    const timed = async (send: () => Promise<JsonResponse>): Promise<[JsonResponse, number]> => {
      const start = performance.now();
      const res = await send();
      return [res, performance.now() - start];
    };
    const report = (label: string, latencies: number[], elapsedMs: number) => {
      const sorted = [...latencies].sort((x, y) => x - y);
      const line = `${label}: ${latencies.length} adds in ${elapsedMs.toFixed(0)} ms = ${((latencies.length * 1000) / elapsedMs).toFixed(0)} req/s; ` +
        `p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, max ${sorted[sorted.length - 1]!.toFixed(1)} ms`;
      console.log(line);
    };
    const ids = [product.a, product.b, product.c];

    // Sequential: one customer, each add with the version the previous answer gave.
    const solo = await signUp('cart-perf');
    const latencies: number[] = [];
    let version = 0;
    const t0 = performance.now();
    for (let i = 0; i < 200; i += 1) {
      const [res, ms] = await timed(() => api('POST', '/cart/items', { token: solo.access, body: { product_id: ids[i % 3], quantity: 1, expected_version: version } }));
      expect(res.status).toBe(200);
      version = res.body.version;
      latencies.push(ms);
    }
    report('add-item sequential (1 client)', latencies, performance.now() - t0);

    // Concurrent: 10 customers at once, 20 adds each on their own carts.
    const users = await Promise.all(Array.from({ length: 10 }, (_, i) => signUp(`cart-perf-${i}`)));
    const concurrent: number[] = [];
    const t1 = performance.now();
    await Promise.all(users.map(async (u) => {
      let v = 0;
      for (let i = 0; i < 20; i += 1) {
        const [res, ms] = await timed(() => api('POST', '/cart/items', { token: u.access, body: { product_id: ids[i % 3], quantity: 1, expected_version: v } }));
        expect(res.status).toBe(200);
        v = res.body.version;
        concurrent.push(ms);
      }
    }));
    report('add-item concurrent (10 clients x 20)', concurrent, performance.now() - t1);
    expect(concurrent).toHaveLength(200);
  });
});
