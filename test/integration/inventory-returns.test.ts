/**
 * Returns of committed stock (`POST /internal/inventory/:sku/returns`), the contract the order
 * service calls when a paid order is cancelled: called here from the order app's own sidecar,
 * as the order service does, so Dapr's access control and the route's caller check are real.
 */
import pg from 'pg';
import { pgConfig } from '../../kernel/config';
import { api, signUpAdmin } from '../support/gateway';
import { eventually } from '../support/processes';

const INVENTORY_SIDECAR = 'http://127.0.0.1:3506';
const ORDER_SIDECAR = 'http://127.0.0.1:3504';
const tag = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`.toUpperCase();
const sku = (name: string) => `INVR${tag}-${name}`;

let db: pg.Pool;
let admin = '';

beforeAll(async () => {
  db = new pg.Pool({ ...pgConfig(), max: 4, options: '-c search_path=inventory' });
  admin = (await signUpAdmin('inventory-returns')).access;
});

afterAll(async () => {
  await db.end();
});

/** As the order service calls it: through its own sidecar, which names it `order` to the inventory. */
const fromOrder = (path: string, body: unknown) => api('POST', `/v1.0/invoke/inventory/method${path}`, { base: ORDER_SIDECAR, body });
const internal = (path: string, body: unknown, caller = 'operator') =>
  api('POST', `/v1.0/invoke/inventory/method${path}`, { base: INVENTORY_SIDECAR, body, headers: { 'dapr-caller-app-id': caller } });
const returns = (id: string) => `/internal/inventory/${id}/returns`;

async function stock(id: string, location: string, delta: number) {
  const res = await api('POST', `/inventory/${id}/adjustments`, { token: admin, body: { location, delta, reason: 'receiving' } });
  if (res.status !== 201) throw new Error(`adjust failed: ${res.status} ${JSON.stringify(res.body)}`);
}

/** Reserves and commits `quantity` of the SKU for the order, as the saga does. */
async function sold(id: string, orderId: string, quantity: number) {
  const reserved = await fromOrder(`/internal/inventory/${id}/reservations`, { order_id: orderId, quantity, ttl_seconds: 600 });
  expect(reserved.status).toBe(201);
  expect((await fromOrder(`/internal/inventory/${id}/reservations/${orderId}/commit`, undefined)).status).toBe(200);
  return reserved.body.allocations as Array<{ location: string; quantity: number }>;
}

const levels = async (id: string) =>
  (await db.query<{ location: string; on_hand: number; reserved: number }>('SELECT location, on_hand, reserved FROM stock_levels WHERE sku = $1 ORDER BY location', [id])).rows;
const ledgerTotals = async (id: string) =>
  (
    await db.query<{ location: string; on_hand: number; reserved: number }>(
      'SELECT location, sum(delta_on_hand)::int AS on_hand, sum(delta_reserved)::int AS reserved FROM ledger WHERE sku = $1 GROUP BY location ORDER BY location',
      [id],
    )
  ).rows;

describe('returns of committed stock', () => {
  test('a return puts the quantity back where the commit took it from, once; a repeat answers the first result', async () => {
    const id = sku('BACK');
    await stock(id, 'wh-a', 4);
    await stock(id, 'wh-b', 6);
    const orderId = `${id}-o1`;
    expect(await sold(id, orderId, 8)).toEqual([{ location: 'wh-b', quantity: 6 }, { location: 'wh-a', quantity: 2 }]);
    expect(await levels(id)).toEqual([{ location: 'wh-a', on_hand: 2, reserved: 0 }, { location: 'wh-b', on_hand: 0, reserved: 0 }]);

    const first = await fromOrder(returns(id), { order_id: orderId, quantity: 7 });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      order_id: orderId, sku: id, quantity: 7, replayed: false,
      allocations: [{ location: 'wh-b', quantity: 6 }, { location: 'wh-a', quantity: 1 }],
      availability: { on_hand: 9, reserved: 0, available: 9 },
    });
    expect(await levels(id)).toEqual([{ location: 'wh-a', on_hand: 3, reserved: 0 }, { location: 'wh-b', on_hand: 6, reserved: 0 }]);

    // The order service's retry (or Dapr's): the first answer, nothing changes, whatever it asks.
    for (const body of [{ order_id: orderId, quantity: 7 }, { order_id: orderId, quantity: 1 }]) {
      const again = await fromOrder(returns(id), body);
      expect(again.status).toBe(200);
      expect(again.body).toEqual({ ...first.body, replayed: true });
    }
    const concurrent = await Promise.all(Array.from({ length: 5 }, () => fromOrder(returns(id), { order_id: orderId, quantity: 7 })));
    expect(concurrent.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(await levels(id)).toEqual([{ location: 'wh-a', on_hand: 3, reserved: 0 }, { location: 'wh-b', on_hand: 6, reserved: 0 }]);

    const { rows: lines } = await db.query("SELECT location, delta_on_hand, delta_reserved, order_id FROM ledger WHERE sku = $1 AND reason = 'return' ORDER BY id", [id]);
    expect(lines).toEqual([
      { location: 'wh-b', delta_on_hand: 6, delta_reserved: 0, order_id: orderId },
      { location: 'wh-a', delta_on_hand: 1, delta_reserved: 0, order_id: orderId },
    ]);
    expect(await ledgerTotals(id)).toEqual(await levels(id));

    await eventually(async () => {
      const { rows } = await db.query<{ pending: number; total: number }>(
        "SELECT count(*) FILTER (WHERE published_at IS NULL)::int AS pending, count(*)::int AS total FROM outbox WHERE payload->>'sku' = $1 AND payload->>'cause' = 'return'",
        [id],
      );
      return rows[0]!.total === 1 && rows[0]!.pending === 0;
    }, 15_000, 'one return event published');
    const { rows: events } = await db.query("SELECT topic, payload FROM outbox WHERE payload->>'sku' = $1 AND payload->>'cause' = 'return'", [id]);
    expect(events[0]).toMatchObject({ topic: 'inventory.stock.changed', payload: { sku: id, on_hand: 9, reserved: 0, available: 9 } });
  });

  test('a return to a named location goes there, a new location included', async () => {
    const id = sku('WHERE');
    await stock(id, 'wh-a', 3);
    await sold(id, `${id}-o`, 3);
    const res = await fromOrder(returns(id), { order_id: `${id}-o`, quantity: 2, location: 'returns-desk' });
    expect(res.status).toBe(201);
    expect(res.body.allocations).toEqual([{ location: 'returns-desk', quantity: 2 }]);
    expect(await levels(id)).toEqual([{ location: 'returns-desk', on_hand: 2, reserved: 0 }, { location: 'wh-a', on_hand: 0, reserved: 0 }]);
    expect(await ledgerTotals(id)).toEqual(await levels(id));
  });

  test('refusals: unknown SKU 404; no committed reservation 409; more than committed 409; nothing changes', async () => {
    const id = sku('NO');
    await stock(id, 'wh-a', 5);
    const unknown = await fromOrder(returns(sku('NEVER')), { order_id: 'o-x', quantity: 1 });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toContain('application/problem+json');

    const never = await fromOrder(returns(id), { order_id: `${id}-never`, quantity: 1 });
    expect(never.status).toBe(409);
    expect(never.body).toMatchObject({ reason: 'not_committed' });

    // Reserved but not committed (then released): nothing was sold, nothing comes back.
    expect((await fromOrder(`/internal/inventory/${id}/reservations`, { order_id: `${id}-held`, quantity: 2, ttl_seconds: 600 })).status).toBe(201);
    expect((await fromOrder(returns(id), { order_id: `${id}-held`, quantity: 1 })).body).toMatchObject({ reason: 'not_committed' });
    expect((await fromOrder(`/internal/inventory/${id}/reservations/${id}-held/release`, undefined)).status).toBe(200);
    expect((await fromOrder(returns(id), { order_id: `${id}-held`, quantity: 1 })).body).toMatchObject({ reason: 'not_committed' });

    await sold(id, `${id}-sold`, 2);
    const tooMany = await fromOrder(returns(id), { order_id: `${id}-sold`, quantity: 3 });
    expect(tooMany.status).toBe(409);
    expect(tooMany.body).toMatchObject({ reason: 'exceeds_committed', committed: 2, returned: 0, quantity: 3 });
    expect(await levels(id)).toEqual([{ location: 'wh-a', on_hand: 3, reserved: 0 }]);
    // A refusal is not kept: the right quantity afterwards is returned.
    expect((await fromOrder(returns(id), { order_id: `${id}-sold`, quantity: 2 })).status).toBe(201);
    expect(await levels(id)).toEqual([{ location: 'wh-a', on_hand: 5, reserved: 0 }]);
    expect(await ledgerTotals(id)).toEqual(await levels(id));
  });

  test('bad bodies are 400; only the order service may call it; not through the gateway', async () => {
    const id = sku('GUARD');
    await stock(id, 'wh-a', 1);
    for (const body of [{ order_id: 'o', quantity: 0 }, { order_id: 'o' }, { quantity: 1 }, { order_id: 'o', quantity: 1, location: '' }, { order_id: 'o', quantity: 1, extra: 1 }]) {
      expect((await fromOrder(returns(id), body)).status).toBe(400);
    }
    expect((await internal(returns(id), { order_id: 'o', quantity: 1 }, 'operator')).status).toBe(404);
    expect((await internal(returns(id), { order_id: 'o', quantity: 1 }, 'payment')).status).toBe(404);
    expect((await api('POST', returns(id), { token: admin, body: { order_id: 'o', quantity: 1 } })).status).toBe(404);
  });
});
