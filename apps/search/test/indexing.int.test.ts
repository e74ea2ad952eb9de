/**
 * Catalog events → the search index, against the real Elasticsearch node (no Dapr): the
 * subscription handlers are called directly with CloudEvents, as the kernel's router would.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@elastic/elasticsearch';
import type { Delivery, Subscription } from '../../../kernel/dapr/subscriptions';
import { registry } from '../../../kernel/http/metrics';
import { PRODUCT_TOPICS } from '../../catalog/src/events/contract';
import type { ProductDocument } from '../src/domain/document';
import { productEventHandler } from '../src/events/product-events';
import { ProductSearch } from '../src/store/reader';
import { ProductIndexWriter } from '../src/store/writer';
import { changedEvent, cloudEvent, deletedEvent, product, shuffled, silentLog, testIndex, withConcurrency, type TestIndex } from './support/elasticsearch';

let es: TestIndex;
let search: ProductSearch;
let onUpdated: Subscription['handler'];
let onCreated: Subscription['handler'];
let onDeleted: Subscription['handler'];

beforeAll(async () => {
  es = await testIndex();
  await es.admin.ensureIndex();
  const writer = new ProductIndexWriter(es.client, es.names);
  onCreated = productEventHandler(writer, PRODUCT_TOPICS.created);
  onUpdated = productEventHandler(writer, PRODUCT_TOPICS.updated);
  onDeleted = productEventHandler(writer, PRODUCT_TOPICS.deleted);
  search = new ProductSearch(es.client, es.names, 'USD');
});

afterAll(async () => {
  await es?.cleanup();
});

const anything = { attributes: [], inStockOnly: false, sort: 'relevance' as const };

async function find(text: string) {
  await es.admin.refresh();
  return (await search.search({ ...anything, text }, { pageSize: 20 })).items;
}

async function stored(id: string): Promise<ProductDocument | undefined> {
  const response = await es.client.get<ProductDocument>({ index: es.names.alias, id }, { ignore: [404] });
  return response.found ? response._source : undefined;
}

describe('indexing catalog events', () => {
  test('a created product is found by a query with a typo', async () => {
    const laptop = product({ name: 'Featherweight Laptop 14', description: 'Aluminium notebook' });
    expect(await onCreated(changedEvent(laptop, PRODUCT_TOPICS.created), silentLog)).toBe('SUCCESS');
    const hits = await find('featherweight lapotp');
    expect(hits.map((h) => h.id)).toContain(laptop.id);
    expect(hits.find((h) => h.id === laptop.id)).toMatchObject({ sku: laptop.sku, price: '10.00', price_minor: 1000, currency: 'USD', in_stock: null });
  });

  test('an update replaces the product: the new version is what search shows', async () => {
    const lamp = product({ name: 'Brass Desk Lamp' });
    await onCreated(changedEvent(lamp, PRODUCT_TOPICS.created), silentLog);
    const renamed = { ...lamp, name: 'Copper Desk Lamp', base_price_minor: 2599, version: 2, updated_at: new Date().toISOString() };
    expect(await onUpdated(changedEvent(renamed), silentLog)).toBe('SUCCESS');
    const hits = await find('copper lamp');
    expect(hits.find((h) => h.id === lamp.id)).toMatchObject({ name: 'Copper Desk Lamp', price: '25.99' });
    expect((await find('brass')).map((h) => h.id)).not.toContain(lamp.id);
    expect((await stored(lamp.id))?.version).toBe(2);
  });

  test('a delete hides the product, and a late, older update does not bring it back', async () => {
    // gc_deletes 0: Elasticsearch forgets deleted versions at once; tombstones do not depend on it.
    await es.client.indices.putSettings({ index: es.names.alias, settings: { 'index.gc_deletes': '0s' } });
    const kettle = product({ name: 'Quartzite Kettle', version: 3 });
    await onCreated(changedEvent(kettle, PRODUCT_TOPICS.created), silentLog);
    expect(await onDeleted(deletedEvent(kettle, 4), silentLog)).toBe('SUCCESS');
    expect((await find('quartzite')).map((h) => h.id)).not.toContain(kettle.id);

    const late = { ...kettle, name: 'Quartzite Kettle (late)', version: 3 };
    expect(await onUpdated(changedEvent(late), silentLog)).toBe('SUCCESS'); // stale: acknowledged, not applied
    expect((await find('quartzite')).map((h) => h.id)).not.toContain(kettle.id);
    expect(await stored(kettle.id)).toMatchObject({ deleted: true, visible: false, version: 4 });
  });

  test('500 rapid updates of one product delivered shuffled and concurrently end at the last version', async () => {
    const base = product({ name: 'Racing Bicycle' });
    const updates = Array.from({ length: 500 }, (_, i) => ({ ...base, name: `Racing Bicycle v${i + 1}`, version: i + 1 }));
    const started = process.hrtime.bigint();
    const results = await withConcurrency(shuffled(updates).map((u) => () => onUpdated(changedEvent(u), silentLog)), 32);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    expect(results.every((r) => r === 'SUCCESS')).toBe(true);
    expect(await stored(base.id)).toMatchObject({ version: 500, name: 'Racing Bicycle v500' });
    expect((await find('racing bicycle')).filter((h) => h.id === base.id).map((h) => h.name)).toEqual(['Racing Bicycle v500']);
    // The measured rate, for the report (one bulk of two operations per event, 32 in flight).
    process.stdout.write(`\n500 shuffled updates indexed in ${seconds.toFixed(2)} s (${Math.round(500 / seconds)} events/s)\n`);
  });

  test('a duplicate delivery is acknowledged and changes nothing', async () => {
    const mug = product({ name: 'Stoneware Mug', version: 7 });
    const event = changedEvent(mug, PRODUCT_TOPICS.created);
    const staleBefore = await counter('stale', PRODUCT_TOPICS.created);
    expect(await onCreated(event, silentLog)).toBe('SUCCESS');
    expect(await onCreated(event, silentLog)).toBe('SUCCESS');
    expect(await counter('stale', PRODUCT_TOPICS.created)).toBe(staleBefore + 1);
    expect((await find('stoneware')).filter((h) => h.id === mug.id)).toHaveLength(1);
    expect((await stored(mug.id))?.version).toBe(7);
  });

  test('payloads that break the contract are dead-lettered with the reason', async () => {
    const valid = product();
    const cases: Array<[Subscription['handler'], unknown]> = [
      [onUpdated, { event_id: 'not-a-uuid', occurred_at: valid.updated_at, product: valid }],
      [onUpdated, { event_id: crypto.randomUUID(), occurred_at: valid.updated_at, product: { ...valid, base_price_minor: -5 } }],
      [onUpdated, { event_id: crypto.randomUUID(), occurred_at: valid.updated_at, product: { ...valid, version: undefined } }],
      [onUpdated, 'just a string'],
      [onDeleted, { event_id: crypto.randomUUID(), occurred_at: valid.updated_at, product: { id: valid.id } }],
    ];
    for (const [handler, data] of cases) {
      const decision = await handler(cloudEvent(PRODUCT_TOPICS.updated, data), silentLog);
      expect(decision).toEqual({ deadLetter: expect.stringMatching(/does not match the catalog\.product\.(updated|deleted) contract/) });
    }
    expect(await stored(valid.id)).toBeUndefined();
  });

  test('lag and outcomes are exported as metrics', async () => {
    const text = await registry.metrics();
    expect(text).toMatch(/search_indexing_lag_seconds_count\{topic="catalog.product.updated"[^}]*\} [1-9]/);
    expect(text).toMatch(/search_product_events_total\{topic="catalog.product.updated",outcome="indexed"/);
    expect(text).toMatch(/search_product_events_total\{topic="catalog.product.updated",outcome="dead_letter"/);
  });
});

describe('Elasticsearch failures are retried, never acknowledged', () => {
  async function deliveryWith(client: Client): Promise<Delivery> {
    const handler = productEventHandler(new ProductIndexWriter(client, es.names), PRODUCT_TOPICS.updated);
    try {
      return await handler(changedEvent(product()), silentLog);
    } finally {
      await client.close();
    }
  }

  test('unreachable (a closed port) → RETRY', async () => {
    const port = await closedPort();
    expect(await deliveryWith(new Client({ node: `http://127.0.0.1:${port}`, maxRetries: 0, requestTimeout: 2000 }))).toBe('RETRY');
  });

  test('5xx answers → RETRY', async () => {
    await withServer((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
      res.end(JSON.stringify({ error: { type: 'unavailable', reason: 'node shutting down' }, status: 503 }));
    }, async (url) => {
      expect(await deliveryWith(new Client({ node: url, maxRetries: 0, requestTimeout: 2000 }))).toBe('RETRY');
    });
  });

  test('an alias briefly behind two indices (racing start-ups) → RETRY, not a dead letter', async () => {
    const other = await testIndex();
    try {
      await other.admin.ensureIndex();
      await other.admin.createPhysicalIndex([other.names.alias]);
      const handler = productEventHandler(new ProductIndexWriter(other.client, other.names), PRODUCT_TOPICS.updated);
      expect(await handler(changedEvent(product()), silentLog)).toBe('RETRY');
      await other.admin.ensureIndex(); // repairs it
      expect(await handler(changedEvent(product()), silentLog)).toBe('SUCCESS');
    } finally {
      await other.cleanup();
    }
  });

  test('a timeout → RETRY', async () => {
    await withServer(() => undefined /* never answers */, async (url) => {
      expect(await deliveryWith(new Client({ node: url, maxRetries: 0, requestTimeout: 300 }))).toBe('RETRY');
    });
  });
});

async function counter(outcome: string, topic: string): Promise<number> {
  const metric = await registry.getSingleMetric('search_product_events_total')?.get();
  return metric?.values.find((v) => v.labels.outcome === outcome && v.labels.topic === topic)?.value ?? 0;
}

async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function withServer(handler: http.RequestListener, run: (url: string) => Promise<void>): Promise<void> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}
