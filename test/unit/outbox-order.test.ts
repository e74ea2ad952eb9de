import pino from 'pino';
import { OutboxRelay } from '../../kernel/dapr/outbox-relay';
import { entityKeyOf, type OutboxEvent, type OutboxStore } from '../../kernel/store/outbox';
import type { PgConfig } from '../../kernel/config';

/**
 * The outbox relay keeps each entity's events in order: one product's (SKU's, payment's)
 * events reach the broker one after another in `seq` order, while different entities go out in
 * parallel; a failed event holds back (and never lets anyone mark) the later events of its
 * entity. A fake outbox (in memory, the same drain contract as OutboxStore) and a fake sidecar
 * whose publishes are delayed or fail on demand.
 */
class MemoryOutbox {
  readonly rows: Array<OutboxEvent & { published: boolean }> = [];

  add(entity: string, topic = 'test.changed'): OutboxEvent {
    const seq = this.rows.length + 1;
    const row = { seq, id: `e${seq}`, topic, payload: { product: { id: entity, version: seq } }, entity_key: entity, published: false };
    this.rows.push(row);
    return row;
  }

  async drain(limit: number, publish: (events: OutboxEvent[]) => Promise<string[]>): Promise<number> {
    const claimed = this.rows.filter((r) => !r.published).slice(0, limit);
    const sent = claimed.length ? await publish(claimed.map(({ published: _p, ...e }) => e)) : [];
    for (const row of this.rows) if (sent.includes(row.id)) row.published = true;
    return sent.length;
  }

  published(): string[] {
    return this.rows.filter((r) => r.published).map((r) => r.id);
  }
}

const logger = pino({ level: 'silent' });
const tick = () => new Promise((r) => setTimeout(r, 1));

function relayFor(outbox: MemoryOutbox, publish: (topic: string, data: unknown) => Promise<void>): OutboxRelay {
  const sidecar = { publish: (_pubsub: string, topic: string, data: unknown) => publish(topic, data) };
  return new OutboxRelay(outbox as unknown as OutboxStore, 'test', 'pubsub', sidecar as never, {} as PgConfig, logger, 60_000);
}

/** Runs one drain (and its back-off, if a publish failed) to the end. */
async function drainOnce(relay: OutboxRelay): Promise<void> {
  relay.kick();
  await relay.stop();
}

const versionOf = (data: unknown) => (data as { product: { id: string; version: number } }).product;

test('one entity’s events reach the broker in order even when an earlier publish is slower', async () => {
  const outbox = new MemoryOutbox();
  // Product a: three versions; product b: two; c: one. The first publish of each entity is the slowest.
  for (const entity of ['a', 'a', 'b', 'a', 'c', 'b']) outbox.add(entity);
  const arrived: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const seen = new Set<string>();
  const relay = relayFor(outbox, async (_topic, data) => {
    const { id, version } = versionOf(data);
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const first = !seen.has(id);
    seen.add(id);
    await new Promise((r) => setTimeout(r, first ? 40 : 1));
    inFlight -= 1;
    arrived.push(`${id}${version}`);
  });
  await drainOnce(relay);
  const order = (entity: string) => arrived.filter((e) => e.startsWith(entity));
  expect(order('a')).toEqual(['a1', 'a2', 'a4']);
  expect(order('b')).toEqual(['b3', 'b6']);
  expect(order('c')).toEqual(['c5']);
  expect(maxInFlight).toBeGreaterThan(1); // entities still go out in parallel
  expect(outbox.published()).toEqual(['e1', 'e2', 'e3', 'e4', 'e5', 'e6']);
});

test('a failed event holds back its entity’s later events (never marked) but not other entities’', async () => {
  const outbox = new MemoryOutbox();
  for (const entity of ['a', 'b', 'a', 'b', 'a']) outbox.add(entity);
  const arrived: string[] = [];
  let failA = true;
  const relay = relayFor(outbox, async (_topic, data) => {
    const { id, version } = versionOf(data);
    await tick();
    if (id === 'a' && version === 1 && failA) throw new Error('broker refused');
    arrived.push(`${id}${version}`);
  });
  await drainOnce(relay);
  // a1 failed: a3 and a5 were neither sent nor marked; b went out in full.
  expect(arrived).toEqual(['b2', 'b4']);
  expect(outbox.published()).toEqual(['e2', 'e4']);

  failA = false;
  await drainOnce(relayFor(outbox, async (_topic, data) => {
    const { id, version } = versionOf(data);
    arrived.push(`${id}${version}`);
  }));
  expect(arrived).toEqual(['b2', 'b4', 'a1', 'a3', 'a5']);
  expect(outbox.published()).toEqual(['e1', 'e2', 'e3', 'e4', 'e5']);
});

test('a failure in the middle of an entity’s events marks only the ones before it', async () => {
  const outbox = new MemoryOutbox();
  for (const entity of ['a', 'a', 'a']) outbox.add(entity);
  const relay = relayFor(outbox, async (_topic, data) => {
    await tick();
    if (versionOf(data).version === 2) throw new Error('broker refused');
  });
  await drainOnce(relay);
  expect(outbox.published()).toEqual(['e1']);
});

test('the entity key comes from the payload of each service’s events', () => {
  expect(entityKeyOf({ occurred_at: 'x', product: { id: 'p1', version: 3 } })).toBe('p1'); // catalog
  expect(entityKeyOf({ sku: 'SKU-1', on_hand: 3 })).toBe('SKU-1'); // inventory
  expect(entityKeyOf({ payment_id: 'pay-1', order_id: 'o1' })).toBe('pay-1'); // payment
  expect(entityKeyOf({ occurred_at: 'x' })).toBeUndefined();
});
