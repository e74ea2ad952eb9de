/**
 * Searching the real Elasticsearch node: relevance, filters, facets, sorting, cursor pages and
 * suggestions over a small catalog written through the event handlers.
 */
import { randomUUID } from 'node:crypto';
import { HttpProblem } from '../../../kernel/problem';
import { PRODUCT_TOPICS, type ProductSnapshot } from '../../catalog/src/events/contract';
import { encodeCursor } from '../src/domain/cursor';
import { fingerprintOf, type SearchCriteria } from '../src/domain/criteria';
import { productEventHandler } from '../src/events/product-events';
import { parseSearchQuery, type SearchQuery } from '../src/http/search-query';
import { ProductSearch } from '../src/store/reader';
import { ProductIndexWriter } from '../src/store/writer';
import { changedEvent, deletedEvent, product, silentLog, testIndex, type TestIndex } from './support/elasticsearch';

let es: TestIndex;
let search: ProductSearch;

const electronics = { id: randomUUID(), name: 'Electronics' };
const computers = { id: randomUUID(), name: 'Computers' };
const audio = { id: randomUUID(), name: 'Audio' };
const kitchen = { id: randomUUID(), name: 'Kitchen' };
const inCategory = (leaf: { id: string; name: string }, ...ancestors: Array<{ id: string; name: string }>) => ({ ...leaf, path: [...ancestors, leaf] });

const catalog: ProductSnapshot[] = [];
function add(overrides: Partial<ProductSnapshot>): ProductSnapshot {
  const p = product(overrides);
  catalog.push(p);
  return p;
}

const laptop = add({ name: 'UltraBook Laptop 13', sku: 'LAP-13', base_price_minor: 129999, category: inCategory(computers, electronics), attributes: { color: 'silver', ram: 16 } });
const gamingLaptop = add({ name: 'Gaming Laptop 17', sku: 'LAP-17', base_price_minor: 219900, category: inCategory(computers, electronics), attributes: { color: 'black', ram: 32 } });
const headphones = add({
  name: 'Noise Cancelling Headphones',
  sku: 'HP-NC1',
  base_price_minor: 19950,
  category: inCategory(audio, electronics),
  attributes: { color: ['black', 'white'] },
  variants: [
    { sku: 'HP-NC1-BLK', options: { color: 'black' }, price_minor: 19950 },
    { sku: 'HP-NC1-WHT', options: { color: 'white' }, price_minor: 19950 },
  ],
});
const speaker = add({ name: 'Café Speaker', description: 'Bluetooth speaker for the kitchen', sku: 'SPK-1', base_price_minor: 4999, category: inCategory(audio, electronics), attributes: { color: 'red' } });
const kettle = add({ name: 'Electric Kettle', sku: 'KET-1', base_price_minor: 2999, category: inCategory(kitchen), attributes: { color: 'red', capacity: '1.7l' } });
const euroKettle = add({ name: 'Euro Kettle', sku: 'KET-EU', base_price_minor: 3500, currency: 'EUR', category: inCategory(kitchen), attributes: { color: 'white' } });
const draft = add({ name: 'Secret Laptop Prototype', sku: 'LAP-X', status: 'draft', category: inCategory(computers, electronics) });
const archived = add({ name: 'Old Laptop 2009', sku: 'LAP-OLD', status: 'archived', category: inCategory(computers, electronics) });
const doomed = add({ name: 'Doomed Laptop', sku: 'LAP-DOOM', category: inCategory(computers, electronics) });
// Filler for paging: equal prices and names on purpose, so tie-breaking is exercised.
const mugs = Array.from({ length: 23 }, (_, i) =>
  add({ name: i % 2 ? 'Coffee Mug' : `Coffee Mug ${i}`, sku: `MUG-${i}`, base_price_minor: 1000 + (i % 3) * 500, category: inCategory(kitchen), attributes: { color: ['blue', 'green', 'red'][i % 3]! } }),
);
const visibleUsd = catalog.filter((p) => p.status === 'active' && p !== doomed && p.currency === 'USD');

beforeAll(async () => {
  es = await testIndex();
  await es.admin.ensureIndex();
  const writer = new ProductIndexWriter(es.client, es.names);
  const created = productEventHandler(writer, PRODUCT_TOPICS.created);
  for (const p of catalog) expect(await created(changedEvent(p, PRODUCT_TOPICS.created), silentLog)).toBe('SUCCESS');
  expect(await productEventHandler(writer, PRODUCT_TOPICS.deleted)(deletedEvent(doomed, 2), silentLog)).toBe('SUCCESS');
  await es.admin.refresh();
  search = new ProductSearch(es.client, es.names, 'USD');
});

afterAll(async () => {
  await es?.cleanup();
});

/** The route's path from query parameters to results, minus HTTP. */
async function run(query: SearchQuery) {
  const { criteria, pageSize, after } = parseSearchQuery(query);
  return { criteria, page: await search.search(criteria, { pageSize, after }) };
}
const ids = (items: Array<{ id: string }>) => items.map((i) => i.id);

describe('relevance', () => {
  test('tolerates typos, matches prefixes, folds accents and case', async () => {
    expect(ids((await run({ q: 'lapotp' })).page.items)).toEqual(expect.arrayContaining([laptop.id, gamingLaptop.id]));
    expect(ids((await run({ q: 'ultrab' })).page.items)[0]).toBe(laptop.id);
    expect(ids((await run({ q: 'CAFE' })).page.items)).toEqual([speaker.id]);
    expect(ids((await run({ q: 'headphnes' })).page.items)[0]).toBe(headphones.id);
  });

  test('a typo in one of several words still finds what has all of them (the exact words alone would not)', async () => {
    // "electric" alone matches the electric kettle; "kettel" is a typo that should find both kettles.
    const { page } = await run({ q: 'electric kettel' });
    expect(ids(page.items)).toEqual([kettle.id, euroKettle.id]);
    // The total and the facets describe the typo-tolerant matches, like the hits.
    expect(page.total).toBe(2);
    expect(page.facets.category.map((c) => c.value)).toContain(kitchen.id);
  });

  test('prefixes of several words match without fuzziness; exact words are not diluted by near spellings', async () => {
    expect(ids((await run({ q: 'gam lap' })).page.items)[0]).toBe(gamingLaptop.id);
    expect(ids((await run({ q: 'noise canc' })).page.items)).toEqual([headphones.id]);
    // "mug" is a word here: near spellings ("mugs", "bug") are not searched for, so only mugs come back.
    const mugsFound = (await run({ q: 'mug', page_size: '100' })).page;
    expect(mugsFound.total).toBe(mugs.length);
    expect(mugsFound.items.every((i) => i.name?.startsWith('Coffee Mug'))).toBe(true);
  });

  test('an exact SKU (or variant SKU) comes first', async () => {
    expect(ids((await run({ q: 'LAP-17' })).page.items)[0]).toBe(gamingLaptop.id);
    expect(ids((await run({ q: 'hp-nc1-wht' })).page.items)[0]).toBe(headphones.id);
  });

  test('drafts, archived and deleted products are never found', async () => {
    const found = ids((await run({ q: 'laptop', page_size: '100' })).page.items);
    expect(found).toEqual(expect.arrayContaining([laptop.id, gamingLaptop.id]));
    expect(found).not.toContain(draft.id);
    expect(found).not.toContain(archived.id);
    expect(found).not.toContain(doomed.id);
  });
});

describe('filters', () => {
  test('a category matches products of every category below it', async () => {
    expect(new Set(ids((await run({ category: electronics.id, page_size: '100' })).page.items))).toEqual(new Set([laptop.id, gamingLaptop.id, headphones.id, speaker.id]));
    expect(new Set(ids((await run({ category: audio.id })).page.items))).toEqual(new Set([headphones.id, speaker.id]));
  });

  test('price bounds are decimals in the currency, inclusive, converted exactly', async () => {
    const { page } = await run({ price_min: '29.99', price_max: '199.5', currency: 'USD', page_size: '100' });
    expect(new Set(ids(page.items))).toEqual(new Set([headphones.id, speaker.id, kettle.id]));
    expect(ids((await run({ currency: 'EUR' })).page.items)).toEqual([euroKettle.id]);
  });

  test('attribute values are alternatives, different attributes must all match', async () => {
    const redOrWhite = await run({ 'attr.color': ['red', 'white'], category: kitchen.id, page_size: '100' } as SearchQuery);
    expect(redOrWhite.page.items.every((i) => ['red', 'white'].includes(String(i.attributes?.color)))).toBe(true);
    expect(ids(redOrWhite.page.items)).toEqual(expect.arrayContaining([kettle.id, euroKettle.id]));
    const both = await run({ 'attr.color': 'red', 'attr.capacity': '1.7l' } as SearchQuery);
    expect(ids(both.page.items)).toEqual([kettle.id]);
    // Numbers are matched as their text; variant options are attributes too.
    expect(ids((await run({ 'attr.ram': '32' } as SearchQuery)).page.items)).toEqual([gamingLaptop.id]);
  });

  test('in_stock=true finds nothing while stock is unknown', async () => {
    expect((await run({ in_stock: 'true' })).page.total).toBe(0);
  });
});

describe('facets', () => {
  test('count categories, attribute values (per product) and price ranges of the matches', async () => {
    const { page } = await run({ category: electronics.id });
    expect(page.facets.category).toEqual(
      expect.arrayContaining([
        { value: computers.id, name: 'Computers', count: 2 },
        { value: audio.id, name: 'Audio', count: 2 },
      ]),
    );
    expect(page.facets.attributes.color).toEqual(
      expect.arrayContaining([
        { value: 'black', count: 2 },
        { value: 'white', count: 1 },
        { value: 'silver', count: 1 },
        { value: 'red', count: 1 },
      ]),
    );
    expect(page.facets.price).toEqual({
      currency: 'USD',
      ranges: [
        { from: '25.00', to: '50.00', count: 1 },
        { from: '100.00', to: '250.00', count: 1 },
        { from: '1000.00', to: null, count: 2 },
      ],
    });
  });
});

describe('sorting and cursor pages', () => {
  const sorts = ['relevance', 'price_asc', 'price_desc', 'newest', 'name'] as const;

  test.each(sorts)('walking every page sorted by %s shows each match exactly once, in order', async (sort) => {
    const query: SearchQuery = { sort, currency: 'USD', page_size: '4', ...(sort === 'relevance' ? { q: 'coffee mug laptop' } : {}) };
    const first = await run(query);
    const seen: string[] = [];
    const prices: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const { page } = await run({ ...query, ...(cursor ? { cursor } : {}) });
      expect(page.total).toBe(first.page.total);
      seen.push(...ids(page.items));
      prices.push(...page.items.map((i) => i.price_minor ?? 0));
      cursor = page.nextAfter ? encodeCursor(sort, fingerprintOf(first.criteria), page.nextAfter) : undefined;
      pages++;
    } while (cursor && pages < 50);
    expect(new Set(seen).size).toBe(seen.length); // no duplicates
    expect(seen.length).toBe(first.page.total); // no gaps
    if (sort !== 'relevance') expect(new Set(seen)).toEqual(new Set(ids(visibleUsd)));
    if (sort === 'price_asc') expect(prices).toEqual([...prices].sort((a, b) => a - b));
    if (sort === 'price_desc') expect(prices).toEqual([...prices].sort((a, b) => b - a));
  });

  test('name sort is alphabetical, case- and accent-insensitive', async () => {
    const { page } = await run({ sort: 'name', currency: 'USD', page_size: '100' });
    const names = page.items.map((i) => (i.name ?? '').toLowerCase().normalize('NFD').replace(/\p{M}/gu, ''));
    expect(names).toEqual([...names].sort());
  });

  test('newest puts the latest change first', async () => {
    const { page } = await run({ sort: 'newest', currency: 'USD', page_size: '100' });
    const times = page.items.map((i) => Date.parse(catalog.find((p) => p.id === i.id)!.updated_at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  test('a cursor is refused with another query, another sort, or when forged', async () => {
    const { page, criteria } = await run({ q: 'mug', page_size: '2' });
    const cursor = encodeCursor(criteria.sort, fingerprintOf(criteria), page.nextAfter!);
    expect(() => parseSearchQuery({ q: 'laptop', page_size: '2', cursor })).toThrow(HttpProblem);
    expect(() => parseSearchQuery({ q: 'mug', sort: 'price_asc', cursor })).toThrow(/different query/);
    expect(() => parseSearchQuery({ q: 'mug', cursor: 'bm90LWpzb24' })).toThrow(/not one this service issued/);
    const wrongTypes = encodeCursor('relevance', fingerprintOf({ ...criteria } as SearchCriteria), ['a', 'b']);
    expect(() => parseSearchQuery({ q: 'mug', cursor: wrongTypes })).toThrow(/not one this service issued/);
    // The same query with another page size is the same query.
    expect(parseSearchQuery({ q: 'mug', page_size: '5', cursor }).after).toEqual(page.nextAfter);
  });
});

describe('suggestions', () => {
  test('complete names from their start, from a later word, and SKUs; visible products only', async () => {
    const byPrefix = await search.suggest('lap');
    expect(byPrefix.map((s) => s.id)).toEqual(expect.arrayContaining([laptop.id, gamingLaptop.id]));
    expect(byPrefix.map((s) => s.id)).not.toContain(draft.id);
    expect(byPrefix.map((s) => s.id)).not.toContain(archived.id);
    expect(byPrefix.map((s) => s.id)).not.toContain(doomed.id);
    expect(byPrefix.find((s) => s.id === laptop.id)).toEqual({ text: 'UltraBook Laptop 13', id: laptop.id, sku: 'LAP-13' });
    expect((await search.suggest('cafe s')).map((s) => s.id)).toEqual([speaker.id]);
    expect((await search.suggest('ket-e')).map((s) => s.id)).toEqual([euroKettle.id]);
  });

  test('at most 10, and a renamed product is suggested by its new name only', async () => {
    expect(await search.suggest('coffee')).toHaveLength(10);
    const writer = new ProductIndexWriter(es.client, es.names);
    await productEventHandler(writer, PRODUCT_TOPICS.updated)(changedEvent({ ...speaker, name: 'Jukebox Speaker', version: 2 }), silentLog);
    await es.admin.refresh();
    expect((await search.suggest('cafe')).map((s) => s.id)).not.toContain(speaker.id);
    expect((await search.suggest('jukeb')).map((s) => s.id)).toEqual([speaker.id]);
  });
});
