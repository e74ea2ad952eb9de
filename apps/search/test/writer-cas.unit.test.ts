import type { Client } from '@elastic/elasticsearch';
import { documentOf, type ProductDocument } from '../src/domain/document';
import { indexNames } from '../src/store/layout';
import { ProductIndexWriter } from '../src/store/writer';
import { product, shuffled, withConcurrency } from './support/elasticsearch';

/**
 * An in-memory stand-in for the two calls the writer makes, with Elasticsearch's rules for
 * external versions (a write is kept only above the stored version, else 409), realtime mget,
 * `require_alias` (404 for a missing alias) and a pause before each answer, so concurrent
 * writers interleave between their read and their write as they do against a real node.
 */
class FakeEngine {
  readonly indices = new Map<string, Map<string, { doc: ProductDocument; version: number }>>();
  readonly aliases = new Map<string, string>();

  index(alias: string) {
    const name = this.aliases.get(alias);
    return name ? this.indices.get(name) : undefined;
  }

  client(): Client {
    const tick = () => new Promise((resolve) => setTimeout(resolve, Math.random() * 2));
    return {
      mget: async ({ docs }: { docs: Array<{ _index: string; _id: string }> }) => {
        await tick();
        return {
          docs: docs.map(({ _index, _id }) => {
            const index = this.index(_index);
            if (!index) return { _index, _id, error: { type: 'index_not_found_exception', reason: 'no such index' } };
            const held = index.get(_id);
            return held ? { _index, _id, found: true, _version: held.version, _source: structuredClone(held.doc) } : { _index, _id, found: false };
          }),
        };
      },
      bulk: async ({ operations }: { operations: unknown[] }) => {
        await tick();
        const items = [];
        for (let i = 0; i < operations.length; i += 2) {
          const header = (operations[i] as { index: { _index: string; _id: string; version: number } }).index;
          const index = this.index(header._index);
          if (!index) items.push({ index: { status: 404 } });
          else if ((index.get(header._id)?.version ?? 0) >= header.version) items.push({ index: { status: 409 } });
          else {
            index.set(header._id, { doc: structuredClone(operations[i + 1] as ProductDocument), version: header.version });
            items.push({ index: { status: 201 } });
          }
        }
        return { items };
      },
    } as unknown as Client;
  }
}

const names = indexNames('products');

function engineWithLiveIndex() {
  const engine = new FakeEngine();
  engine.indices.set('products-1', new Map());
  engine.aliases.set(names.alias, 'products-1');
  return engine;
}

test('product versions and stock reports of two SKUs, shuffled and concurrent: the newest of each is kept', async () => {
  const engine = engineWithLiveIndex();
  const writer = new ProductIndexWriter(engine.client(), names);
  const base = product({ variants: [{ sku: 'VAR-1', options: { size: 'm' }, price_minor: 1000 }] });
  expect(await writer.write(documentOf(base))).toMatchObject({ kind: 'written', unreported: [base.sku, 'VAR-1'] });

  const tasks: Array<() => Promise<unknown>> = [];
  for (let v = 2; v <= 60; v++) tasks.push(() => writer.write(documentOf({ ...base, name: `v${v}`, version: v })));
  for (let seq = 1; seq <= 60; seq++) {
    tasks.push(() => writer.writeStock(base.id, base.sku, { available: seq, seq }));
    tasks.push(() => writer.writeStock(base.id, 'VAR-1', { available: 0, seq }));
  }
  const outcomes = await withConcurrency(shuffled(tasks), 16);
  expect(outcomes.every((o) => ['written', 'stale'].includes((o as { kind: string }).kind))).toBe(true);

  const held = engine.index(names.alias)!.get(base.id)!;
  expect(held.doc).toMatchObject({ name: 'v60', version: 60, available: 60, in_stock: true, stock_bucket: 'some' });
  expect(held.doc.stock).toEqual({ [base.sku]: { available: 60, seq: 60 }, 'VAR-1': { available: 0, seq: 60 } });
});

test('while a rebuild runs, a write reaches the new index too, carrying what the live index holds', async () => {
  const engine = engineWithLiveIndex();
  const writer = new ProductIndexWriter(engine.client(), names);
  const p = product();
  await writer.write(documentOf(p));
  await writer.writeStock(p.id, p.sku, { available: 7, seq: 3 });

  engine.indices.set('products-2', new Map());
  engine.aliases.set(names.nextAlias, 'products-2');
  expect(await writer.writeStock(p.id, p.sku, { available: 6, seq: 4 })).toEqual({ kind: 'written' });
  expect(engine.indices.get('products-2')!.get(p.id)!.doc).toMatchObject({ available: 6, stock: { [p.sku]: { available: 6, seq: 4 } } });

  expect(await writer.write(documentOf({ ...p, name: 'Renamed', version: 2 }))).toMatchObject({ kind: 'written', unreported: [] });
  for (const index of ['products-1', 'products-2']) {
    expect(engine.indices.get(index)!.get(p.id)!.doc).toMatchObject({ name: 'Renamed', version: 2, available: 6 });
  }
});

test('a stock report for a product not in the index is absent; a stale one writes nothing', async () => {
  const engine = engineWithLiveIndex();
  const writer = new ProductIndexWriter(engine.client(), names);
  const p = product();
  expect(await writer.writeStock(p.id, p.sku, { available: 1, seq: 1 })).toEqual({ kind: 'absent' });
  await writer.write(documentOf(p));
  await writer.writeStock(p.id, p.sku, { available: 1, seq: 5 });
  const before = engine.index(names.alias)!.get(p.id)!.version;
  expect(await writer.writeStock(p.id, p.sku, { available: 99, seq: 4 })).toEqual({ kind: 'stale' });
  expect(engine.index(names.alias)!.get(p.id)!.version).toBe(before);
});

test('500 product versions of one product, shuffled, 32 in flight: every write settles, the last version is kept', async () => {
  const engine = engineWithLiveIndex();
  const writer = new ProductIndexWriter(engine.client(), names);
  const base = product();
  const outcomes = await withConcurrency(shuffled(Array.from({ length: 500 }, (_, i) => () => writer.write(documentOf({ ...base, name: `v${i + 1}`, version: i + 1 })))), 32);
  expect(outcomes.filter((o) => o.kind !== 'written' && o.kind !== 'stale')).toEqual([]);
  expect(engine.index(names.alias)!.get(base.id)!.doc).toMatchObject({ name: 'v500', version: 500 });
});
