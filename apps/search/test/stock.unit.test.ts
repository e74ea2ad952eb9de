import type { CloudEvent } from '../../../kernel/dapr/subscriptions';
import { STOCK_TOPICS } from '../../inventory/src/events/contract';
import { documentOf, tombstoneOf, type ProductDocument } from '../src/domain/document';
import { bucketOf, stockFieldsOf, withReport, type SkuStock } from '../src/domain/stock';
import { planProductWrite, planStockWrite, type Stored } from '../src/domain/write-plan';
import { stockEventHandler, type StockWriter } from '../src/events/stock-events';
import { cloudEvent, product, silentLog } from './support/elasticsearch';

const withVariants = () => product({ sku: 'LAMP-1', variants: [{ sku: 'LAMP-1-RED', options: { colour: 'red' }, price_minor: 1000 }] });

describe('stock buckets and sums', () => {
  test.each([
    [0, 'none'], [1, 'low'], [9, 'low'], [10, 'some'], [99, 'some'], [100, 'many'], [5000, 'many'],
  ] as const)('%i available is %s', (available, bucket) => {
    expect(bucketOf(available)).toBe(bucket);
  });

  test("a product's stock is the sum over its SKUs; reports of SKUs it no longer sells do not count", () => {
    const stock = { A: { available: 3, seq: 1 }, B: { available: 4, seq: 2 }, GONE: { available: 100, seq: 3 } };
    expect(stockFieldsOf(stock, ['A', 'B'])).toEqual({ stock: { A: stock.A, B: stock.B }, available: 7, in_stock: true, stock_bucket: 'low' });
    expect(stockFieldsOf({ A: { available: 0, seq: 9 } }, ['A'])).toMatchObject({ available: 0, in_stock: false, stock_bucket: 'none' });
    expect(stockFieldsOf(null, ['A'])).toEqual({ stock: null, available: null, in_stock: null, stock_bucket: null });
  });

  test('a report replaces only a lower seq of its SKU', () => {
    const held = { A: { available: 5, seq: 10 } };
    expect(withReport(held, 'A', { available: 1, seq: 9 })).toBe('stale');
    expect(withReport(held, 'A', { available: 5, seq: 10 })).toBe('stale');
    expect(withReport(held, 'A', { available: 0, seq: 11 })).toEqual({ A: { available: 0, seq: 11 } });
    expect(withReport(held, 'B', { available: 2, seq: 1 })).toEqual({ ...held, B: { available: 2, seq: 1 } });
  });
});

describe('write plans: compare-and-set on the stored version, newer by product version and seq', () => {
  const stored = (doc: ProductDocument, esVersion = doc.version): Stored => ({ doc, esVersion });

  test('a new product is written at its version, stock unknown', () => {
    const doc = documentOf(withVariants());
    expect(planProductWrite(doc, undefined)).toEqual({ kind: 'write', doc, esVersion: 1 });
    expect(doc.in_stock).toBeNull();
  });

  test('a product update keeps the stored stock', () => {
    const snapshot = withVariants();
    const v1 = documentOf(snapshot);
    const afterStock = planStockWrite(stored(v1), 'LAMP-1-RED', { available: 5, seq: 7 });
    if (afterStock.kind !== 'write') throw new Error('expected a write');
    expect(afterStock.esVersion).toBe(2);
    expect(afterStock.doc).toMatchObject({ in_stock: true, available: 5, stock_bucket: 'low', version: 1 });

    const v2 = documentOf({ ...snapshot, name: 'Renamed', version: 2 });
    const update = planProductWrite(v2, stored(afterStock.doc, afterStock.esVersion));
    expect(update).toEqual({ kind: 'write', doc: expect.objectContaining({ name: 'Renamed', in_stock: true, stock_bucket: 'low', stock: { 'LAMP-1-RED': { available: 5, seq: 7 } } }), esVersion: 3 });
  });

  test('an older or repeated product event is stale, whatever the stored version', () => {
    const doc = documentOf(product({ version: 4 }));
    expect(planProductWrite(documentOf(product({ id: doc.id, version: 3 })), stored(doc, 17))).toEqual({ kind: 'stale' });
    expect(planProductWrite(doc, stored(doc))).toEqual({ kind: 'stale' });
  });

  test('writes planned on the same read all carry the same version: the first to land wins, the others read again', () => {
    const snapshot = withVariants();
    const base = stored(documentOf(snapshot), 7);
    const stockWrite = planStockWrite(base, 'LAMP-1', { available: 3, seq: 2 });
    const productWrite = planProductWrite(documentOf({ ...snapshot, version: 2 }), base);
    const newerProduct = planProductWrite(documentOf({ ...snapshot, version: 3 }), base);
    for (const plan of [stockWrite, productWrite, newerProduct]) expect(plan).toMatchObject({ kind: 'write', esVersion: 8 });
    // After the stock write landed, the product write is planned again on it and keeps its report.
    if (stockWrite.kind !== 'write') throw new Error('expected a write');
    const again = planProductWrite(documentOf({ ...snapshot, version: 2 }), stored(stockWrite.doc, stockWrite.esVersion));
    expect(again).toMatchObject({ kind: 'write', esVersion: 9, doc: { version: 2, in_stock: true, stock: { 'LAMP-1': { available: 3, seq: 2 } } } });
  });

  test('reports arriving out of order: the older one is stale', () => {
    const doc = documentOf(withVariants());
    const newer = planStockWrite(stored(doc), 'LAMP-1', { available: 0, seq: 20 });
    if (newer.kind !== 'write') throw new Error('expected a write');
    expect(planStockWrite(stored(newer.doc, newer.esVersion), 'LAMP-1', { available: 50, seq: 19 })).toEqual({ kind: 'stale' });
  });

  test('no stock for a tombstone, for a SKU the product does not sell, or for a document not there', () => {
    const snapshot = withVariants();
    expect(planStockWrite(stored(tombstoneOf({ event_id: 'e', occurred_at: new Date().toISOString(), product: { id: snapshot.id, sku: snapshot.sku, version: 2 } })), snapshot.sku, { available: 1, seq: 1 })).toEqual({ kind: 'stale' });
    expect(planStockWrite(stored(documentOf(snapshot)), 'OTHER', { available: 1, seq: 1 })).toEqual({ kind: 'stale' });
    expect(planStockWrite(undefined, snapshot.sku, { available: 1, seq: 1 })).toEqual({ kind: 'absent' });
  });

  test('a delete keeps no stock', () => {
    const snapshot = withVariants();
    const withStock = planStockWrite(stored(documentOf(snapshot)), 'LAMP-1', { available: 3, seq: 2 });
    if (withStock.kind !== 'write') throw new Error('expected a write');
    const deleted = planProductWrite(tombstoneOf({ event_id: 'e', occurred_at: new Date().toISOString(), product: { id: snapshot.id, sku: snapshot.sku, version: 2 } }), stored(withStock.doc, withStock.esVersion));
    expect(deleted).toMatchObject({ kind: 'write', doc: { deleted: true, in_stock: null, stock: null } });
  });

});

describe('stock events are checked against the inventory', () => {
  function fakeWriter(products: string[]) {
    const writes: Array<{ id: string; sku: string; report: SkuStock }> = [];
    const writer: StockWriter = {
      productsWithSku: async () => products,
      writeStock: async (id, sku, report) => (writes.push({ id, sku, report }), { kind: 'written' }),
    };
    return { writer, writes };
  }
  const event = (data: Record<string, unknown>): CloudEvent =>
    cloudEvent(STOCK_TOPICS.changed, { event_id: '8a6b1d2e-3f4a-4b5c-8d6e-7f8091a2b3c4', on_hand: 5, reserved: 0, available: 5, locations: [], occurred_at: new Date().toISOString(), ...data });

  test("the inventory's figure is written, not the event's", async () => {
    const { writer, writes } = fakeWriter(['p1']);
    const decision = await stockEventHandler(writer, async () => ({ available: 2, seq: 40 }))(event({ sku: 'LAMP-1', available: 999, seq: 40 }), silentLog);
    expect(decision).toBe('SUCCESS');
    expect(writes).toEqual([{ id: 'p1', sku: 'LAMP-1', report: { available: 2, seq: 40 } }]);
  });

  test('an event claiming a change the inventory has not made is parked and writes nothing', async () => {
    const { writer, writes } = fakeWriter(['p1']);
    const decision = await stockEventHandler(writer, async () => ({ available: 2, seq: 40 }))(event({ sku: 'LAMP-1', seq: 41 }), silentLog);
    expect(decision).toEqual({ deadLetter: expect.stringContaining('claims seq 41') });
    expect(writes).toEqual([]);
  });

  test('a hot SKU: events arriving while its figure is read or written share the next read and write, which carry the newest figure', async () => {
    const { writer, writes } = fakeWriter(['p1']);
    let seq = 100;
    let reads = 0;
    const inventory = async (): Promise<SkuStock> => {
      reads += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { available: 1000 - seq, seq: seq };
    };
    const handler = stockEventHandler(writer, inventory);
    const decisions = await Promise.all(
      Array.from({ length: 20 }, () => {
        seq += 1; // each event announces a change the inventory has made
        return handler(event({ sku: 'HOT-1', seq }), silentLog);
      }),
    );
    expect(decisions.every((d) => d === 'SUCCESS')).toBe(true);
    // The first event's read, then one shared by the other 19; their writes: the first of them
    // alone (nothing was writing), then one shared by the rest — not 20 of each.
    expect(reads).toBeLessThanOrEqual(2);
    expect(writes.length).toBeLessThanOrEqual(3);
    expect(writes[writes.length - 1]!.report.seq).toBe(120); // the newest figure is the last written
  });

  test('a payload that breaks the contract or names no valid SKU is parked without asking anyone', async () => {
    const { writer, writes } = fakeWriter(['p1']);
    const never = async (): Promise<SkuStock> => {
      throw new Error('must not be asked');
    };
    expect(await stockEventHandler(writer, never)(event({ sku: 'LAMP-1', available: 'lots' }), silentLog)).toEqual({ deadLetter: expect.stringContaining('contract') });
    expect(await stockEventHandler(writer, never)(event({ sku: '../../x' }), silentLog)).toEqual({ deadLetter: expect.stringContaining('not a SKU') });
    expect(writes).toEqual([]);
  });

  test('an unreachable inventory is retried (thrown), an unreachable index too', async () => {
    const down = async (): Promise<SkuStock> => {
      throw new Error('inventory unreachable');
    };
    await expect(stockEventHandler(fakeWriter(['p1']).writer, down)(event({ sku: 'LAMP-1' }), silentLog)).rejects.toThrow('unreachable');
    const failing: StockWriter = { productsWithSku: async () => ['p1'], writeStock: async () => ({ kind: 'transient', reason: 'es down' }) };
    expect(await stockEventHandler(failing, async () => ({ available: 1, seq: 1 }))(event({ sku: 'LAMP-1' }), silentLog)).toBe('RETRY');
  });

  test('a SKU no indexed product sells is done with (the product asks for it when it is indexed)', async () => {
    const { writer, writes } = fakeWriter([]);
    expect(await stockEventHandler(writer, async () => ({ available: 1, seq: 3 }))(event({ sku: 'LAMP-1' }), silentLog)).toBe('SUCCESS');
    expect(writes).toEqual([]);
  });
});
