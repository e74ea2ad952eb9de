/**
 * Inventory on the running stack: one InventoryItemActor per SKU, PostgreSQL as the truth.
 * Zero oversell under contention (straight to the actor through the inventory sidecar),
 * expiry by reminder, idempotent saga steps through the internal routes (service invocation),
 * admin adjustments and the ledger through the gateway.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { pgConfig } from '../../kernel/config';
import { api, sidecarHeaders, signUp, signUpAdmin } from '../support/gateway';
import { eventually } from '../support/processes';

const SIDECAR = 'http://127.0.0.1:3506';
const tag = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`.toUpperCase();
const sku = (name: string) => `INV${tag}-${name}`;

let db: pg.Pool;
let admin = '';
let customer = '';

beforeAll(async () => {
  const config = pgConfig();
  db = new pg.Pool({ ...config, max: 4, options: '-c search_path=inventory' });
  admin = (await signUpAdmin('inventory-admin')).access;
  customer = (await signUp('inventory-customer')).access;
});

afterAll(async () => {
  await db.end();
});

interface Timed<T = any> {
  status: number;
  body: T;
  ms: number;
}

/** Calls a method of the SKU's actor through the inventory sidecar's actor API. */
async function actor<T = any>(id: string, method: string, body: unknown = {}): Promise<Timed<T>> {
  const started = performance.now();
  const res = await fetch(`${SIDECAR}/v1.0/actors/InventoryItemActor/${encodeURIComponent(id)}/method/${method}`, {
    method: 'POST',
    headers: sidecarHeaders({ 'content-type': 'application/json' }),
    body: JSON.stringify(body),
  });
  const text = await res.text();
  const ms = performance.now() - started;
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // keep the text
  }
  return { status: res.status, body: parsed as T, ms };
}

/** An internal route through service invocation, as the order saga calls it from its sidecar. */
function internal(path: string, body: unknown) {
  return api('POST', `/v1.0/invoke/inventory/method${path}`, { base: SIDECAR, body, headers: { 'dapr-caller-app-id': 'operator' } });
}

async function stock(id: string, method: 'adjust', location: string, delta: number): Promise<void> {
  const res = await actor(id, method, { location, delta, reason: 'test stock', actor: 'inventory-test', adjustment_id: randomUUID() });
  if (res.status !== 200 || !res.body.ok) throw new Error(`adjust failed: ${res.status} ${JSON.stringify(res.body)}`);
}

async function rows(id: string) {
  return (await db.query<{ location: string; on_hand: number; reserved: number }>('SELECT location, on_hand, reserved FROM stock_levels WHERE sku = $1 ORDER BY location', [id])).rows;
}

/** Each location's ledger deltas summed: they must equal the stock row. */
async function ledgerTotals(id: string) {
  return (
    await db.query<{ location: string; on_hand: number; reserved: number }>(
      'SELECT location, sum(delta_on_hand)::int AS on_hand, sum(delta_reserved)::int AS reserved FROM ledger WHERE sku = $1 GROUP BY location ORDER BY location',
      [id],
    )
  ).rows;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

/** Polls the stock rows during a burst and remembers the smallest available and reserved seen. */
function watchStock(skus: string[]) {
  let minAvailable = Infinity;
  let minReserved = Infinity;
  let samples = 0;
  let stop = false;
  const done = (async () => {
    while (!stop) {
      const { rows: r } = await db.query<{ a: number; r: number }>('SELECT min(on_hand - reserved) AS a, min(reserved) AS r FROM stock_levels WHERE sku = ANY($1)', [skus]);
      minAvailable = Math.min(minAvailable, r[0]!.a);
      minReserved = Math.min(minReserved, r[0]!.r);
      samples += 1;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  return async () => {
    stop = true;
    await done;
    return { minAvailable, minReserved, samples };
  };
}

/** N concurrent single-unit reservations of one SKU, distinct orders; their answers and latencies. */
function burst(id: string, n: number) {
  return Array.from({ length: n }, (_, i) => actor(id, 'reserve', { order_id: `${id}-order-${i}`, quantity: 1, ttl_seconds: 600 }));
}

async function checkNoOversell(id: string, results: Timed[], k: number): Promise<void> {
  const answers = results.map((r) => ({ status: r.status, ok: r.body?.ok, reason: r.body?.reason }));
  expect(answers.filter((a) => a.status !== 200)).toEqual([]);
  expect(answers.filter((a) => a.ok === true)).toHaveLength(k);
  expect(answers.filter((a) => a.ok === false && a.reason !== 'insufficient_stock')).toEqual([]);
  const after = await rows(id);
  expect(after.every((r) => r.reserved === r.on_hand)).toBe(true); // all of it reserved, none over
  expect(after.reduce((sum, r) => sum + r.reserved, 0)).toBe(k);
  expect(await ledgerTotals(id)).toEqual(after);
  const { rows: reserved } = await db.query<{ orders: number; units: number }>(
    "SELECT count(DISTINCT order_id)::int AS orders, coalesce(sum(quantity), 0)::int AS units FROM reservations WHERE sku = $1 AND status = 'active'",
    [id],
  );
  expect(reserved[0]).toEqual({ orders: k, units: k });
}

async function releaseAll(id: string, results: Timed[]): Promise<void> {
  const held = results.filter((r) => r.body?.ok).map((r) => r.body.reservation.order_id as string);
  await Promise.all(held.map((orderId) => actor(id, 'release', { order_id: orderId })));
}

describe('zero oversell under contention', () => {
  const K = 100;
  const N = 1000;

  test(`${N} concurrent reservations of a SKU with ${K} units over 2 locations: exactly ${K} succeed`, async () => {
    const hot = sku('HOT');
    await stock(hot, 'adjust', 'wh-east', 60);
    await stock(hot, 'adjust', 'wh-west', 40);
    const stopWatching = watchStock([hot]);
    const started = performance.now();
    const results = await Promise.all(burst(hot, N));
    const seconds = (performance.now() - started) / 1000;
    const watched = await stopWatching();
    const latencies = results.map((r) => r.ms).sort((a, b) => a - b);
    console.log(
      `inventory hot SKU: ${N} reservations (K=${K}) in ${seconds.toFixed(2)} s = ${(N / seconds).toFixed(0)} reservations/s; ` +
        `latency p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, max ${latencies[latencies.length - 1]!.toFixed(1)} ms; ` +
        `stock sampled ${watched.samples} times, min available ${watched.minAvailable}`,
    );
    expect(watched.minAvailable).toBeGreaterThanOrEqual(0);
    expect(watched.minReserved).toBeGreaterThanOrEqual(0);
    await checkNoOversell(hot, results, K);
    await releaseAll(hot, results);
    expect((await rows(hot)).map((r) => r.reserved)).toEqual([0, 0]);
    expect(await ledgerTotals(hot)).toEqual(await rows(hot));
  });

  test(`3 SKUs × 2 warehouses at once, ${N} reservations each: exactly ${K} per SKU`, async () => {
    const skus = [sku('MULTI-A'), sku('MULTI-B'), sku('MULTI-C')];
    for (const id of skus) {
      await stock(id, 'adjust', 'wh-1', 30);
      await stock(id, 'adjust', 'wh-2', 70);
    }
    const stopWatching = watchStock(skus);
    const started = performance.now();
    const all = await Promise.all(skus.map((id) => Promise.all(burst(id, N))));
    const seconds = (performance.now() - started) / 1000;
    const watched = await stopWatching();
    const latencies = all.flat().map((r) => r.ms).sort((a, b) => a - b);
    console.log(
      `inventory 3 SKUs: ${3 * N} reservations in ${seconds.toFixed(2)} s = ${((3 * N) / seconds).toFixed(0)} reservations/s; ` +
        `latency p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms`,
    );
    expect(watched.minAvailable).toBeGreaterThanOrEqual(0);
    for (const [i, id] of skus.entries()) await checkNoOversell(id, all[i]!, K);
    await Promise.all(skus.map((id, i) => releaseAll(id, all[i]!)));
  });
});

describe('reservations (the order saga through the internal routes)', () => {
  test('an uncommitted reservation returns to available after its TTL; a late commit then fails and changes nothing', async () => {
    const id = sku('TTL');
    await stock(id, 'adjust', 'wh-a', 5);
    const reserved = await internal(`/internal/inventory/${id}/reservations`, { order_id: `${id}-o1`, quantity: 3, ttl_seconds: 2 });
    expect(reserved.status).toBe(201);
    expect(reserved.body).toMatchObject({ status: 'active', quantity: 3, allocations: [{ location: 'wh-a', quantity: 3 }] });
    expect((await api('GET', `/inventory/${id}`)).body).toMatchObject({ on_hand: 5, reserved: 3, available: 2 });

    await eventually(async () => (await api('GET', `/inventory/${id}`)).body.available === 5, 20_000, 'stock back after the TTL');
    const { rows: status } = await db.query('SELECT status FROM reservations WHERE order_id = $1', [`${id}-o1`]);
    expect(status).toEqual([{ status: 'expired' }]);

    const before = { stock: await rows(id), ledger: await ledgerTotals(id) };
    const late = await internal(`/internal/inventory/${id}/reservations/${id}-o1/commit`, undefined);
    expect(late.status).toBe(410);
    expect(late.headers.get('content-type')).toContain('application/problem+json');
    expect(late.body).toMatchObject({ reason: 'expired' });
    expect({ stock: await rows(id), ledger: await ledgerTotals(id) }).toEqual(before);
    expect(before.ledger).toEqual(before.stock);
  });

  test('reserve is idempotent by order id; commit and release are idempotent and exclusive', async () => {
    const id = sku('IDEM');
    await stock(id, 'adjust', 'wh-a', 4);
    await stock(id, 'adjust', 'wh-b', 6);
    const path = `/internal/inventory/${id}/reservations`;

    const first = await internal(path, { order_id: `${id}-c`, quantity: 8, ttl_seconds: 60 });
    expect(first.status).toBe(201);
    expect(first.body.allocations).toEqual([{ location: 'wh-b', quantity: 6 }, { location: 'wh-a', quantity: 2 }]);
    const again = await internal(path, { order_id: `${id}-c`, quantity: 1, ttl_seconds: 60 });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ replayed: true, quantity: 8, expires_at: first.body.expires_at });

    const short = await internal(path, { order_id: `${id}-x`, quantity: 3, ttl_seconds: 60 });
    expect(short.status).toBe(409);
    expect(short.headers.get('content-type')).toContain('application/problem+json');
    expect(short.body).toMatchObject({ reason: 'insufficient_stock', available: 2 });

    const commit = await internal(`${path}/${id}-c/commit`, undefined);
    expect(commit.status).toBe(200);
    expect(commit.body).toMatchObject({ status: 'committed', replayed: false });
    expect((await internal(`${path}/${id}-c/commit`, undefined)).body).toMatchObject({ status: 'committed', replayed: true });
    expect((await internal(`${path}/${id}-c/release`, undefined)).body).toMatchObject({ reason: 'committed' });
    expect((await api('GET', `/inventory/${id}`)).body).toMatchObject({ on_hand: 2, reserved: 0, available: 2 });

    expect((await internal(path, { order_id: `${id}-r`, quantity: 2, ttl_seconds: 60 })).status).toBe(201);
    expect((await internal(`${path}/${id}-r/release`, undefined)).body).toMatchObject({ status: 'released', replayed: false });
    expect((await internal(`${path}/${id}-r/release`, undefined)).body).toMatchObject({ status: 'released', replayed: true });
    const commitReleased = await internal(`${path}/${id}-r/commit`, undefined);
    expect(commitReleased.status).toBe(409);
    expect(commitReleased.body).toMatchObject({ reason: 'released' });
    expect((await internal(path, { order_id: `${id}-r`, quantity: 2, ttl_seconds: 60 })).body).toMatchObject({ reason: 'released' });
    expect((await internal(`${path}/${id}-nobody/commit`, undefined)).status).toBe(404);

    expect((await api('GET', `/inventory/${id}`)).body).toMatchObject({ on_hand: 2, reserved: 0, available: 2 });
    expect(await ledgerTotals(id)).toEqual(await rows(id));
  });

  test('bad input is a 400 problem, from the route and from the actor itself', async () => {
    const id = sku('BAD');
    for (const body of [{ order_id: 'o', quantity: 0, ttl_seconds: 5 }, { order_id: 'o', quantity: 1 }, { order_id: ' ', quantity: 1, ttl_seconds: 5 }]) {
      const res = await internal(`/internal/inventory/${id}/reservations`, body);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect((await internal('/internal/inventory/bad%20sku/reservations', { order_id: 'o', quantity: 1, ttl_seconds: 5 })).status).toBe(400);
    expect((await actor(id, 'reserve', { order_id: 'o', quantity: -1, ttl_seconds: 5 })).body).toMatchObject({ ok: false, reason: 'invalid' });
  });

  test('internal routes are not reachable through the gateway', async () => {
    const id = sku('EDGE');
    expect((await api('POST', `/internal/inventory/${id}/reservations`, { body: { order_id: 'o', quantity: 1, ttl_seconds: 5 } })).status).toBe(404);
    // Through the gateway's own sidecar, Dapr's access control refuses the gateway's identity.
    expect((await api('POST', `/v1.0/invoke/inventory/method/internal/inventory/${id}/reservations`, { base: 'http://127.0.0.1:3500', body: { order_id: 'o', quantity: 1, ttl_seconds: 5 } })).status).toBe(403);
  });
});

describe('admin adjustments and the ledger', () => {
  test('an adjustment sent twice with one Idempotency-Key is applied once', async () => {
    const id = sku('IDEMKEY');
    const path = `/inventory/${id}/adjustments`;
    const send = () => api('POST', path, { token: admin, body: { location: 'wh-x', delta: 7, reason: 'receiving' }, headers: { 'idempotency-key': `adj-${id}` } });
    expect((await send()).status).toBe(201);
    const replay = await send();
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect((await api('GET', `/inventory/${id}`)).body).toMatchObject({ on_hand: 7 });
  });

  test('an admin adjusts stock, reads the ledger page by page; events are published', async () => {
    const id = sku('ADMIN');
    const path = `/inventory/${id}/adjustments`;
    const first = await api('POST', path, { token: admin, body: { location: 'wh-x', delta: 7, reason: 'receiving' } });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ sku: id, on_hand: 7, available: 7, locations: [{ location: 'wh-x', on_hand: 7 }] });
    expect((await api('POST', path, { token: admin, body: { location: 'wh-y', delta: 3, reason: 'count' } })).status).toBe(201);

    expect((await internal(`/internal/inventory/${id}/reservations`, { order_id: `${id}-o`, quantity: 6, ttl_seconds: 60 })).status).toBe(201);
    const below = await api('POST', path, { token: admin, body: { location: 'wh-x', delta: -5, reason: 'damaged' } });
    expect(below.status).toBe(409);
    expect(below.body).toMatchObject({ reason: 'below_reserved', location: 'wh-x', on_hand: 7, reserved: 6 });
    expect((await api('POST', path, { token: admin, body: { location: 'wh-x', delta: -1, reason: 'damaged' } })).status).toBe(201);
    expect((await api('GET', `/inventory/${id}`)).body).toMatchObject({ on_hand: 9, reserved: 6, available: 3 });

    const page1 = await api('GET', `/inventory/${id}/ledger?limit=2`, { token: admin });
    expect(page1.status).toBe(200);
    expect(page1.body.items.map((l: any) => [l.location, l.delta_on_hand, l.delta_reserved, l.reason])).toEqual([
      ['wh-x', 7, 0, 'adjustment: receiving'],
      ['wh-y', 3, 0, 'adjustment: count'],
    ]);
    expect(page1.body.items[0].actor).toEqual(expect.any(String));
    const page2 = await api('GET', `/inventory/${id}/ledger?limit=2&cursor=${page1.body.next_cursor}`, { token: admin });
    expect(page2.body.items.map((l: any) => [l.location, l.delta_on_hand, l.delta_reserved, l.reason, l.order_id])).toEqual([
      ['wh-x', 0, 6, 'reserve', `${id}-o`],
      ['wh-x', -1, 0, 'adjustment: damaged', null],
    ]);
    const page3 = await api('GET', `/inventory/${id}/ledger?limit=2&cursor=${page2.body.next_cursor}`, { token: admin });
    expect(page3.body).toEqual({ items: [], next_cursor: null });
    expect(await ledgerTotals(id)).toEqual(await rows(id));

    await eventually(async () => {
      const { rows: r } = await db.query<{ pending: number; total: number }>(
        "SELECT count(*) FILTER (WHERE published_at IS NULL)::int AS pending, count(*)::int AS total FROM outbox WHERE payload->>'sku' = $1",
        [id],
      );
      return r[0]!.total === 4 && r[0]!.pending === 0;
    }, 15_000, 'stock events published');
    const { rows: events } = await db.query("SELECT topic, payload FROM outbox WHERE payload->>'sku' = $1 ORDER BY seq DESC LIMIT 1", [id]);
    expect(events[0]).toMatchObject({ topic: 'inventory.stock.changed', payload: { sku: id, on_hand: 9, reserved: 6, available: 3, cause: 'adjustment' } });
    await internal(`/internal/inventory/${id}/reservations/${id}-o/release`, undefined);
  });

  test('customers get 403 and anonymous callers 401 on admin routes; bad adjustments are 400', async () => {
    const id = sku('GUARD');
    const body = { location: 'wh-x', delta: 1, reason: 'x' };
    expect((await api('POST', `/inventory/${id}/adjustments`, { token: customer, body })).status).toBe(403);
    expect((await api('GET', `/inventory/${id}/ledger`, { token: customer })).status).toBe(403);
    expect((await api('POST', `/inventory/${id}/adjustments`, { body })).status).toBe(401);
    for (const bad of [{ ...body, delta: 0 }, { ...body, delta: 1.5 }, { ...body, location: '' }, { location: 'wh-x', delta: 1 }, { ...body, extra: true }]) {
      const res = await api('POST', `/inventory/${id}/adjustments`, { token: admin, body: bad });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect((await api('GET', `/inventory/${id}/ledger?limit=0`, { token: admin })).status).toBe(400);
    expect((await api('GET', '/inventory/bad%20sku')).status).toBe(400);
    expect((await api('GET', `/inventory/${id}`)).body).toEqual({ sku: id, on_hand: 0, reserved: 0, available: 0, locations: [], seq: 0 });
  });
});
