/**
 * Index lifecycle against the real Elasticsearch node: idempotent start-up, and a rebuild from
 * a (fake, in-memory) catalog export while live events keep arriving.
 */
import type { CloudEvent, Subscription } from '../../../kernel/dapr/subscriptions';
import { PRODUCT_TOPICS, type ProductSnapshot } from '../../catalog/src/events/contract';
import type { ProductDocument } from '../src/domain/document';
import { productEventHandler } from '../src/events/product-events';
import { IndexAdmin } from '../src/store/indices';
import { ProductSearch } from '../src/store/reader';
import { ReindexAlreadyRunning, Reindexer, type CatalogExport } from '../src/store/reindex';
import { ProductIndexWriter, type WriteOutcome } from '../src/store/writer';
import { changedEvent, deletedEvent, product, silentLog, testIndex, withConcurrency, type TestIndex } from './support/elasticsearch';

let es: TestIndex;

beforeAll(async () => {
  es = await testIndex();
});

afterAll(async () => {
  await es?.cleanup();
});

/**
 * The catalog as the export sees it: committed state, ordered by id. A change is committed
 * here first and published afterwards, as the catalog's outbox does.
 */
class FakeCatalog {
  readonly products = new Map<string, ProductSnapshot>();
  readonly deleted = new Map<string, number>();
  pagesServed = 0;

  constructor(private readonly pageDelayMs = 0) {}

  commit(p: ProductSnapshot): ProductSnapshot {
    this.products.set(p.id, p);
    return p;
  }

  remove(p: ProductSnapshot): number {
    const version = p.version + 1;
    this.products.delete(p.id);
    this.deleted.set(p.id, version);
    return version;
  }

  readonly export: CatalogExport = async (after, limit) => {
    if (this.pageDelayMs) await new Promise((resolve) => setTimeout(resolve, this.pageDelayMs));
    this.pagesServed++;
    const sorted = [...this.products.values()].sort((a, b) => (a.id < b.id ? -1 : 1)).filter((p) => after === null || p.id > after);
    const items = sorted.slice(0, limit).map((p) => structuredClone(p));
    return { items, next_after: sorted.length > limit ? items[items.length - 1]!.id : null };
  };
}

async function allDocuments(index: string): Promise<Map<string, ProductDocument>> {
  await es.client.indices.refresh({ index });
  const response = await es.client.search<ProductDocument>({ index, size: 10_000, query: { match_all: {} } });
  return new Map(response.hits.hits.map((h) => [h._id!, h._source!]));
}

describe('start-up', () => {
  test('ensureIndex is idempotent, also when several replicas start at once', async () => {
    const replicas = Array.from({ length: 4 }, () => new IndexAdmin(es.client, es.names, silentLog));
    const created = await Promise.all(replicas.map((r) => r.ensureIndex()));
    const behind = await es.admin.indicesBehind(es.names.alias);
    expect(behind).toHaveLength(1);
    expect(await es.admin.ensureIndex()).toBe(behind[0]);
    // Whoever lost the race dropped its index.
    const physical = Object.keys(await es.client.indices.get({ index: `${es.names.physicalPrefix}*` }));
    expect(physical).toEqual(behind);
    expect(created).toContain(behind[0]);
  });
});

describe('rebuild without downtime', () => {
  let reindexer: Reindexer;
  let onUpdated: Subscription['handler'];
  let onDeleted: Subscription['handler'];
  let search: ProductSearch;
  const retryReasons: string[] = [];

  beforeAll(async () => {
    await es.admin.ensureIndex();
    reindexer = new Reindexer(es.client, es.admin, silentLog, { pageSize: 50, tombstoneRetentionDays: 30 });
    const store = new ProductIndexWriter(es.client, es.names);
    // Records why a write had to be retried (the test prints it).
    const writer = {
      async write(doc: ProductDocument): Promise<WriteOutcome> {
        const outcome = await store.write(doc);
        if (outcome.kind === 'transient') retryReasons.push(outcome.reason);
        return outcome;
      },
    };
    onUpdated = productEventHandler(writer, PRODUCT_TOPICS.updated);
    onDeleted = productEventHandler(writer, PRODUCT_TOPICS.deleted);
    search = new ProductSearch(es.client, es.names, 'USD');
  });

  test('live writes continue during the rebuild; nothing is lost; the alias moves; the old index goes', async () => {
    const catalog = new FakeCatalog(15);
    // 400 products already indexed, plus one deleted before the rebuild.
    for (let i = 0; i < 400; i++) catalog.commit(product({ name: `Widget ${i}`, status: i % 10 === 0 ? 'draft' : 'active' }));
    const goneBefore = catalog.commit(product({ name: 'Withdrawn Widget' }));
    await withConcurrency([...catalog.products.values()].map((p) => () => onUpdated(changedEvent(p), silentLog)), 16);
    expect(await onDeleted(deletedEvent(goneBefore, catalog.remove(goneBefore)), silentLog)).toBe('SUCCESS');
    const oldIndex = await es.admin.currentIndex();

    // Live traffic while the rebuild runs: updates, creations and deletions, committed then
    // published; a RETRY is delivered again, as Dapr does.
    let rebuilding = true;
    let liveEvents = 0;
    const deliver = async (handler: Subscription['handler'], event: CloudEvent) => {
      for (let attempt = 1; ; attempt++) {
        const decision = await handler(event, silentLog);
        if (decision === 'SUCCESS') return;
        expect(decision).toBe('RETRY');
        expect(attempt).toBeLessThan(10);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const live = (async () => {
      while (rebuilding) {
        const ids = [...catalog.products.keys()];
        const target = catalog.products.get(ids[Math.floor(Math.random() * ids.length)]!)!;
        const roll = Math.random();
        if (roll < 0.1) {
          await deliver(onDeleted, deletedEvent(target, catalog.remove(target)));
        } else if (roll < 0.25) {
          await deliver(onUpdated, changedEvent(catalog.commit(product({ name: 'Fresh Widget' }))));
        } else {
          await deliver(onUpdated, changedEvent(catalog.commit({ ...target, name: `${target.name}+`, version: target.version + 1, updated_at: new Date().toISOString() })));
        }
        liveEvents++;
      }
    })();

    const report = await reindexer.run(catalog.export);
    // A few more live writes after the swap, through the new alias target.
    await new Promise((resolve) => setTimeout(resolve, 100));
    rebuilding = false;
    await live;

    expect(liveEvents).toBeGreaterThan(20);
    expect(catalog.pagesServed).toBeGreaterThanOrEqual(8);
    expect(report).toMatchObject({ from: oldIndex, skipped: 0, rejected: 0 });
    expect(report.tombstones).toBeGreaterThanOrEqual(1);
    expect(await es.admin.indicesBehind(es.names.alias)).toEqual([report.to]);
    expect(await es.admin.indicesBehind(es.names.nextAlias)).toEqual([]);
    expect(await es.client.indices.exists({ index: oldIndex })).toBe(false);

    // Every product at its latest version; every deletion a tombstone.
    const docs = await allDocuments(es.names.alias);
    for (const p of catalog.products.values()) {
      expect({ id: p.id, version: docs.get(p.id)?.version, visible: docs.get(p.id)?.visible }).toEqual({ id: p.id, version: p.version, visible: p.status === 'active' });
    }
    for (const [id, version] of catalog.deleted) expect(docs.get(id)).toMatchObject({ deleted: true, visible: false, version });
    expect(docs.size).toBe(catalog.products.size + catalog.deleted.size);

    // The tombstone carried over still stops a late update of a product deleted before the rebuild.
    expect(await onUpdated(changedEvent({ ...goneBefore, name: 'Withdrawn Widget returns' }), silentLog)).toBe('SUCCESS');
    await es.admin.refresh();
    expect((await search.search({ text: 'withdrawn', attributes: [], inStockOnly: false, sort: 'relevance' }, { pageSize: 10 })).total).toBe(0);
    process.stdout.write(`\nrebuild: ${report.products} products + ${report.tombstones} tombstones in ${report.ms} ms, ${liveEvents} live events meanwhile, retried: ${JSON.stringify(retryReasons)}\n`);
  });

  test('a failed rebuild drops the new index and leaves reads where they were', async () => {
    const before = await es.admin.currentIndex();
    let calls = 0;
    const failing: CatalogExport = async () => {
      if (++calls > 1) throw new Error('catalog unavailable');
      return { items: [product()], next_after: 'zzz' };
    };
    await expect(reindexer.run(failing)).rejects.toThrow('catalog unavailable');
    expect(await es.admin.currentIndex()).toBe(before);
    expect(await es.admin.indicesBehind(es.names.nextAlias)).toEqual([]);
    const physical = Object.keys(await es.client.indices.get({ index: `${es.names.physicalPrefix}*` }));
    expect(physical).toEqual([before]);
  });

  test('a second rebuild is refused while one runs; force clears a crashed one', async () => {
    const first = await reindexer.begin();
    await expect(reindexer.begin()).rejects.toBeInstanceOf(ReindexAlreadyRunning);
    // The first "crashed" (never completed): force removes its index and marker and starts over.
    const second = await reindexer.begin({ force: true });
    expect(await es.client.indices.exists({ index: first.to })).toBe(false);
    const report = await reindexer.complete(second, new FakeCatalog().export);
    expect(await es.admin.currentIndex()).toBe(report.to);
  });
});
