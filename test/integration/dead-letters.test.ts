/**
 * Parked events, end to end on the real stack: a message a consumer cannot process lands on the
 * subscription's dead-letter topic and the consumer parks it in its own schema, where an
 * administrator sees it through the gateway and replays it (kernel/store/dead-letters.ts).
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { pgConfig } from '../../kernel/config';
import { api, signUp, signUpAdmin } from '../support/gateway';
import { eventually } from '../support/processes';
import { publishToBroker } from '../support/rabbitmq';
import { consumedTopics } from '../support/dead-letters';

/** Every topic an app consumes (components/pubsub.yaml's subscription scopes): the app parks what it cannot process. */
const CONSUMED = consumedTopics();

let admin = '';
let db: pg.Pool;

beforeAll(async () => {
  admin = (await signUpAdmin('parking-admin')).access;
  db = new pg.Pool({ ...pgConfig(), max: 2 });
});

afterAll(async () => {
  await db?.end();
});

async function parked(app: string, query = ''): Promise<any[]> {
  const res = await api('GET', `/admin/dead-letters/${app}${query}`, { token: admin });
  expect(res.status).toBe(200);
  return res.body.items;
}

test('a poison message on every consumed topic is parked, visible to an administrator, and stays parked when replayed', async () => {
  const sent = await Promise.all(CONSUMED.map(async (c) => ({ ...c, id: await publishToBroker(c.topic, { poison: true, marker: randomUUID() }) })));
  for (const { app, topic, id } of sent) {
    const entry = await eventually(async () => (await parked(app, `?topic=${topic}`)).find((p) => p.event_id === id), 30_000, `${topic}'s poison message is parked by ${app}`);
    expect(entry).toMatchObject({ source_topic: topic, status: 'parked', attempts: 1, payload: { poison: true } });
    expect(entry.reason.length).toBeGreaterThan(0);
    // Still poison: a replay runs it through the handler again, which refuses it again.
    const replay = await api('POST', `/admin/dead-letters/${app}/replay`, { token: admin, body: { ids: [entry.id] } });
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ replayed: [], still_parked: [{ id: entry.id }] });
    expect((await parked(app, `?topic=${topic}`)).find((p) => p.id === entry.id)).toMatchObject({ status: 'parked', attempts: 2 });
  }
});

test('a parked event that can be processed now is replayed once and marked replayed', async () => {
  // A real product event, as the catalog published it, parked by hand (as Dapr parks a message
  // that outlived its delivery retries while Elasticsearch was down); its replay runs the
  // search handler again, which is idempotent (the index keeps the highest version).
  const sku = `PARK-${randomUUID().slice(0, 8)}`;
  const created = await api('POST', '/products', { token: admin, body: { sku, name: 'Parked Lantern', base_price: '9.50' } });
  expect(created.status).toBe(201);
  expect((await api('PATCH', `/products/${created.body.id}`, { token: admin, body: { name: 'Replayed Lantern' }, headers: { 'if-match': '"v1"' } })).status).toBe(200);
  const { rows } = await db.query("SELECT payload FROM catalog.outbox WHERE topic = 'catalog.product.updated' AND payload->'product'->>'id' = $1", [created.body.id]);
  expect(rows).toHaveLength(1);
  const event = rows[0].payload;
  const { rows: [row] } = await db.query(
    "INSERT INTO search.dead_letters (dead_letter_topic, source_topic, event_id, payload, reason) VALUES ('catalog.product.deadletter', 'catalog.product.updated', $1, $2, 'test: parked by hand') RETURNING id",
    [event.event_id, event],
  );
  const replay = await api('POST', '/admin/dead-letters/search/replay', { token: admin, body: { ids: [row.id] } });
  expect(replay.status).toBe(200);
  expect(replay.body).toEqual({ replayed: [row.id], still_parked: [] });
  await eventually(async () => {
    const res = await api('GET', `/search?q=${encodeURIComponent(sku)}`, { headers: { 'cache-control': 'no-cache' } });
    return res.body.items?.some((h: { sku: string; name: string }) => h.sku === sku && h.name === 'Replayed Lantern');
  }, 15_000, 'the index holds the event\'s product');
  expect((await parked('search', '?status=replayed')).find((p) => p.id === row.id)).toMatchObject({ status: 'replayed' });
  // Replaying again finds nothing parked to replay.
  expect((await api('POST', '/admin/dead-letters/search/replay', { token: admin, body: { ids: [row.id] } })).body).toEqual({ replayed: [], still_parked: [] });
});

test('parked events are for administrators only, and the metric counts them', async () => {
  const customer = await signUp('parking-customer');
  expect((await api('GET', '/admin/dead-letters/search')).status).toBe(401);
  expect((await api('GET', '/admin/dead-letters/order', { token: customer.access })).status).toBe(403);
  expect((await api('POST', '/admin/dead-letters/order/replay', { token: customer.access, body: {} })).status).toBe(403);
  expect((await api('GET', '/admin/dead-letters/user', { token: customer.access })).status).toBe(403);
  // The app's own /metrics, as Prometheus scrapes it (probes and metrics need no app token).
  const metrics = await (await fetch('http://127.0.0.1:8002/metrics')).text();
  expect(metrics).toMatch(/events_parked\{[^}]*topic="catalog\.product\.(created|updated|deleted)"[^}]*\} [1-9]/);
});
