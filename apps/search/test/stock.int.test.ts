/**
 * Stock reports and product events on one document, against the real Elasticsearch node (no
 * Dapr): the compare-and-set writes of store/writer.ts under concurrency and in any order.
 */
import type { ProductDocument } from '../src/domain/document';
import type { SkuStock } from '../src/domain/stock';
import { PRODUCT_TOPICS } from '../../catalog/src/events/contract';
import { productEventHandler } from '../src/events/product-events';
import { stockEventHandler } from '../src/events/stock-events';
import { ProductSearch } from '../src/store/reader';
import { ProductIndexWriter } from '../src/store/writer';
import { changedEvent, cloudEvent, product, shuffled, silentLog, testIndex, withConcurrency, type TestIndex } from './support/elasticsearch';

let es: TestIndex;
let writer: ProductIndexWriter;

beforeAll(async () => {
  es = await testIndex();
  await es.admin.ensureIndex();
  writer = new ProductIndexWriter(es.client, es.names);
});

afterAll(async () => {
  await es?.cleanup();
});

async function stored(id: string): Promise<ProductDocument> {
  return (await es.client.get<ProductDocument>({ index: es.names.alias, id }))._source!;
}

const stockEvent = (sku: string) =>
  cloudEvent('inventory.stock.changed', { event_id: '8a6b1d2e-3f4a-4b5c-8d6e-7f8091a2b3c4', sku, on_hand: 0, reserved: 0, available: 0, locations: [], occurred_at: new Date().toISOString() });

test('100 product versions and 200 stock reports of two SKUs, shuffled, 32 in flight: the newest of each wins', async () => {
  const base = product({ variants: [{ sku: `${process.pid}-VAR`, options: { size: 'm' }, price_minor: 1000 }] });
  const skus = [base.sku, base.variants[0]!.sku];
  const onUpdated = productEventHandler(writer, PRODUCT_TOPICS.updated);
  expect(await onUpdated(changedEvent(base), silentLog)).toBe('SUCCESS');

  const tasks: Array<() => Promise<unknown>> = [];
  for (let v = 2; v <= 100; v++) tasks.push(() => onUpdated(changedEvent({ ...base, name: `Version ${v}`, version: v }), silentLog));
  for (const [s, sku] of skus.entries()) {
    for (let seq = 1; seq <= 100; seq++) {
      // Each report as the inventory would answer it for that seq (a stale read for most).
      const report: SkuStock = { available: seq * (s + 1), seq };
      tasks.push(() => stockEventHandler(writer, async () => report)(stockEvent(sku), silentLog));
    }
  }
  const decisions = await withConcurrency(shuffled(tasks), 32);
  expect(decisions.every((d) => d === 'SUCCESS')).toBe(true);

  const doc = await stored(base.id);
  expect(doc).toMatchObject({ name: 'Version 100', version: 100, available: 300, in_stock: true, stock_bucket: 'many' });
  expect(doc.stock).toEqual({ [skus[0]!]: { available: 100, seq: 100 }, [skus[1]!]: { available: 200, seq: 100 } });
});

test('a product indexed after its stock changed asks the inventory; a stock event before the product finds nothing', async () => {
  const p = product();
  const inventory = async (): Promise<SkuStock> => ({ available: 4, seq: 12 });
  expect(await stockEventHandler(writer, inventory)(stockEvent(p.sku), silentLog)).toBe('SUCCESS');
  const onCreated = productEventHandler(writer, PRODUCT_TOPICS.created, Date.now, { writer, inventory });
  expect(await onCreated(changedEvent(p, PRODUCT_TOPICS.created), silentLog)).toBe('SUCCESS');
  expect(await stored(p.id)).toMatchObject({ in_stock: true, stock_bucket: 'low', stock: { [p.sku]: { available: 4, seq: 12 } } });

  await es.admin.refresh();
  const search = new ProductSearch(es.client, es.names, 'USD');
  const page = await search.search({ attributes: [], inStockOnly: true, sort: 'relevance', text: p.sku }, { pageSize: 5 });
  // The index is shared with the other test of this file (its product's SKU matches the text too): look at ours.
  const ours = page.items.find((i) => i.id === p.id);
  expect(ours).toMatchObject({ in_stock: true, stock_bucket: 'low' });
  expect(page.items.every((i) => i.in_stock === true)).toBe(true);
  expect(page.facets.stock).toEqual(expect.arrayContaining([expect.objectContaining({ value: 'low' })]));
});
