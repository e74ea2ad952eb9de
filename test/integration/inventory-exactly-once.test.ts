/**
 * Inventory changes that must land once although Dapr delivers them more than once: an admin
 * adjustment whose actor call is retried by the sidecar while PostgreSQL is slow (a row lock
 * held from a test connection past the 5 s actor timeout), and a reserve that arrives after the
 * saga's compensation already released it.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { pgConfig } from '../../kernel/config';
import { api, sidecarHeaders, signUpAdmin } from '../support/gateway';

const SIDECAR = 'http://127.0.0.1:3506';
const tag = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`.toUpperCase();
const sku = (name: string) => `INVX${tag}-${name}`;
/** Past the actor timeout of components/resiliency.yaml (5 s), under the invocation timeout (10 s). */
const SLOW_MS = 7_000;

let db: pg.Pool;
let admin = '';

beforeAll(async () => {
  db = new pg.Pool({ ...pgConfig(), max: 4, options: '-c search_path=inventory' });
  admin = (await signUpAdmin('inventory-once')).access;
});

afterAll(async () => {
  await db.end();
});

const adjust = (id: string, body: unknown, headers: Record<string, string> = {}) => api('POST', `/inventory/${id}/adjustments`, { token: admin, body, headers });

function internal(path: string, body: unknown) {
  return api('POST', `/v1.0/invoke/inventory/method${path}`, { base: SIDECAR, body, headers: { 'dapr-caller-app-id': 'operator' } });
}

async function actor(id: string, method: string, body: unknown) {
  const res = await fetch(`${SIDECAR}/v1.0/actors/InventoryItemActor/${encodeURIComponent(id)}/method/${method}`, {
    method: 'POST',
    headers: sidecarHeaders({ 'content-type': 'application/json' }),
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
}

/** Holds the SKU's stock rows locked from another connection for `ms`: PostgreSQL is "slow" for its writers. */
async function holdLocks(id: string, ms: number): Promise<void> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const { rowCount } = await client.query('SELECT 1 FROM stock_levels WHERE sku = $1 FOR UPDATE', [id]);
    if (!rowCount) throw new Error(`no stock rows of ${id} to lock`);
    await new Promise((resolve) => setTimeout(resolve, ms));
    await client.query('COMMIT');
  } finally {
    client.release();
  }
}

const onHand = async (id: string) => (await db.query<{ on_hand: number }>('SELECT coalesce(sum(on_hand), 0)::int AS on_hand FROM stock_levels WHERE sku = $1', [id])).rows[0]!.on_hand;
const ledgerLines = async (id: string, reason: string) => (await db.query('SELECT id FROM ledger WHERE sku = $1 AND reason = $2', [id, reason])).rowCount;

describe('adjustments are applied exactly once', () => {
  test('an adjustment whose actor call the sidecar retries during a slow PostgreSQL is applied once (no Idempotency-Key)', async () => {
    const id = sku('SLOW');
    expect((await adjust(id, { location: 'wh-a', delta: 10, reason: 'receiving' })).status).toBe(201);
    const locked = holdLocks(id, SLOW_MS);
    await new Promise((resolve) => setTimeout(resolve, 200)); // the lock is taken before the adjustment arrives
    const started = Date.now();
    const answer = await adjust(id, { location: 'wh-a', delta: 5, reason: 'slow count' });
    await locked;
    expect(Date.now() - started).toBeGreaterThan(5_000); // the actor call did time out at least once
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ sku: id, on_hand: 15 });
    expect(await onHand(id)).toBe(15);
    expect(await ledgerLines(id, 'adjustment: slow count')).toBe(1);
  });

  test('the same adjustment_id sent to the actor three times at once, during a slow PostgreSQL, lands once; every call gets the first result', async () => {
    const id = sku('ACTOR');
    expect((await adjust(id, { location: 'wh-a', delta: 1, reason: 'receiving' })).status).toBe(201);
    const adjustmentId = randomUUID();
    const call = { location: 'wh-a', delta: 4, reason: 'retried', actor: 'inventory-test', adjustment_id: adjustmentId };
    const locked = holdLocks(id, 2_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const answers = await Promise.all([actor(id, 'adjust', call), actor(id, 'adjust', call), actor(id, 'adjust', call)]);
    await locked;
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(answers.map((a) => a.body.ok)).toEqual([true, true, true]);
    expect(answers.map((a) => a.body.replayed).sort()).toEqual([false, true, true]);
    expect(new Set(answers.map((a) => a.body.ledger_id)).size).toBe(1);
    expect(answers.map((a) => a.body.availability.on_hand)).toEqual([5, 5, 5]);
    expect(await onHand(id)).toBe(5);
    expect(await ledgerLines(id, 'adjustment: retried')).toBe(1);
    // Later, long after: still the first result, nothing changed.
    expect((await actor(id, 'adjust', call)).body).toMatchObject({ ok: true, replayed: true, availability: { on_hand: 5 } });
    expect(await onHand(id)).toBe(5);
    // The same id for another adjustment is refused, not applied.
    expect((await actor(id, 'adjust', { ...call, delta: 9 })).body).toMatchObject({ ok: false, reason: 'adjustment_id_reused' });
    expect(await onHand(id)).toBe(5);
  });

  test('Idempotency-Key: concurrent repeats all answer the first result; another body with the key is 422; a refusal is kept too', async () => {
    const id = sku('KEY');
    const key = `adj-${id}`;
    const body = { location: 'wh-a', delta: 6, reason: 'receiving' };
    const answers = await Promise.all(Array.from({ length: 5 }, () => adjust(id, body, { 'idempotency-key': key })));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 201]);
    expect(new Set(answers.map((a) => a.body.ledger_id)).size).toBe(1);
    expect(answers.filter((a) => a.headers.get('idempotent-replayed') === 'true')).toHaveLength(4);
    expect(await onHand(id)).toBe(6);
    expect(await ledgerLines(id, 'adjustment: receiving')).toBe(1);

    const other = await adjust(id, { ...body, delta: 7 }, { 'idempotency-key': key });
    expect(other.status).toBe(422);
    expect(await onHand(id)).toBe(6);

    const tooMuch = { location: 'wh-a', delta: -7, reason: 'damaged' };
    expect((await adjust(id, tooMuch, { 'idempotency-key': `${key}-2` })).status).toBe(409);
    expect((await adjust(id, { location: 'wh-a', delta: 3, reason: 'receiving more' })).status).toBe(201);
    // The refusal is the first result of that key: a repeat is refused the same way, not applied now.
    const again = await adjust(id, tooMuch, { 'idempotency-key': `${key}-2` });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ reason: 'below_reserved', on_hand: 6 });
    expect(await onHand(id)).toBe(9);
  });
});

describe('a reserve that arrives after its release', () => {
  test('leaves no hold: the release leaves a tombstone and the late reserve is refused with 409 released, every time', async () => {
    const id = sku('LATE');
    expect((await adjust(id, { location: 'wh-a', delta: 5, reason: 'receiving' })).status).toBe(201);
    const orderId = `${id}-o1`;
    const path = `/internal/inventory/${id}/reservations`;

    // The saga gave up on the reserve (timed out behind a hot SKU) and compensated first.
    const released = await internal(`${path}/${orderId}/release`, undefined);
    expect(released.status).toBe(404);
    expect((await internal(`${path}/${orderId}/release`, undefined)).status).toBe(404);

    for (let i = 0; i < 2; i++) {
      const late = await internal(path, { order_id: orderId, quantity: 2, ttl_seconds: 600 });
      expect(late.status).toBe(409);
      expect(late.headers.get('content-type')).toContain('application/problem+json');
      expect(late.body).toMatchObject({ reason: 'released', order_id: orderId });
    }
    expect((await api('GET', `/inventory/${id}`)).body).toMatchObject({ on_hand: 5, reserved: 0, available: 5 });
    expect((await db.query('SELECT 1 FROM reservations WHERE sku = $1', [id])).rowCount).toBe(0);
    expect((await db.query("SELECT 1 FROM ledger WHERE sku = $1 AND reason = 'reserve'", [id])).rowCount).toBe(0);

    // Refused even when the SKU is sold out (the tombstone answers before the stock check) ...
    expect((await internal(path, { order_id: orderId, quantity: 50, ttl_seconds: 600 })).body).toMatchObject({ reason: 'released' });
    // ... and only for that order: another order of the SKU still reserves.
    expect((await internal(path, { order_id: `${id}-o2`, quantity: 2, ttl_seconds: 600 })).status).toBe(201);
    expect((await internal(`${path}/${id}-o2/release`, undefined)).status).toBe(200);
  });

  test('the late reserve is refused straight at the actor too, and a release after a real reserve still works', async () => {
    const id = sku('LATE-ACTOR');
    expect((await adjust(id, { location: 'wh-a', delta: 3, reason: 'receiving' })).status).toBe(201);
    expect((await actor(id, 'release', { order_id: `${id}-o` })).body).toMatchObject({ ok: false, reason: 'not_found' });
    expect((await actor(id, 'reserve', { order_id: `${id}-o`, quantity: 1, ttl_seconds: 60 })).body).toMatchObject({ ok: false, reason: 'released' });
    expect((await db.query('SELECT 1 FROM release_tombstones WHERE sku = $1 AND order_id = $2', [id, `${id}-o`])).rowCount).toBe(1);
    // A commit of an unknown reservation leaves no tombstone (only a release says "give up").
    expect((await actor(id, 'commit', { order_id: `${id}-c` })).body).toMatchObject({ ok: false, reason: 'not_found' });
    expect((await actor(id, 'reserve', { order_id: `${id}-c`, quantity: 1, ttl_seconds: 60 })).body).toMatchObject({ ok: true, replayed: false });
    expect((await actor(id, 'release', { order_id: `${id}-c` })).body).toMatchObject({ ok: true, reservation: { status: 'released' } });
    expect((await api('GET', `/inventory/${id}`)).body).toMatchObject({ on_hand: 3, reserved: 0 });
  });
});
