import { HttpProblem } from '../../../kernel/problem';
import type { SearchCriteria } from '../src/domain/criteria';
import { needsTypoTolerance, priceRangesOf, searchBodyOf, sortPlanOf, wordMatchesOf, wordsOf, type TextMatching } from '../src/domain/search-request';
import { DEFAULT_PAGE_SIZE, parseSearchQuery, type SearchQuery } from '../src/http/search-query';

const none: SearchCriteria = { attributes: [], inStockOnly: false, sort: 'relevance' };

describe('reading the query', () => {
  test('prices are decimals in major units, converted exactly with the currency exponent', () => {
    expect(parseSearchQuery({ price_min: '10.5', price_max: '1299.99', currency: 'USD' }).criteria).toMatchObject({ priceMinMinor: 1050, priceMaxMinor: 129999 });
    expect(parseSearchQuery({ price_min: '1500', currency: 'JPY' }).criteria.priceMinMinor).toBe(1500);
    expect(parseSearchQuery({ price_max: '2.125', currency: 'KWD' }).criteria.priceMaxMinor).toBe(2125);
    // 0.1 + 0.2 style float error cannot occur: "0.30" is 30, by string arithmetic.
    expect(parseSearchQuery({ price_min: '0.30', currency: 'EUR' }).criteria.priceMinMinor).toBe(30);
  });

  test('refuses what cannot be converted exactly, and inverted bounds', () => {
    expect(() => parseSearchQuery({ price_min: '1.5', currency: 'JPY' })).toThrow(HttpProblem);
    expect(() => parseSearchQuery({ price_min: '10.001', currency: 'USD' })).toThrow(HttpProblem);
    expect(() => parseSearchQuery({ price_min: '20', price_max: '19.99', currency: 'USD' })).toThrow(HttpProblem);
  });

  test('attr.<name> parameters become filters; repeats are alternatives', () => {
    const { criteria } = parseSearchQuery({ 'attr.color': ['red', 'blue', 'red'], 'attr.screen size': '13"' } as SearchQuery);
    expect(criteria.attributes).toEqual([
      { name: 'color', values: ['red', 'blue'] },
      { name: 'screen size', values: ['13"'] },
    ]);
  });

  test('defaults: relevance, 20 per page, no stock filter; blank text is no text', () => {
    expect(parseSearchQuery({ q: '   ' })).toEqual({ criteria: { ...none, text: undefined, categoryId: undefined, currency: undefined, priceMinMinor: undefined, priceMaxMinor: undefined }, pageSize: DEFAULT_PAGE_SIZE });
    expect(parseSearchQuery({ in_stock: 'true', page_size: '100' })).toMatchObject({ criteria: { inStockOnly: true }, pageSize: 100 });
  });
});

const hitsOf = (criteria: SearchCriteria, options: { pageSize: number; after?: Array<string | number>; facetCurrency: string; matching?: TextMatching }) =>
  searchBodyOf(criteria, { matching: 'exact', ...options });
const facetsOf = (criteria: SearchCriteria, facetCurrency = 'USD') => searchBodyOf(criteria, { pageSize: 20, facetCurrency, matching: 'exact' });

describe('building the Elasticsearch query', () => {
  test('every search filters on visible products', () => {
    const body = hitsOf(none, { pageSize: 20, facetCurrency: 'USD' });
    expect(body.query).toEqual({ bool: { must: [], filter: [{ term: { visible: true } }] } });
    expect(body.size).toBe(21); // one extra hit says whether a next page exists
  });

  test('one request: hits, the exact total, the facets, and (exact, with a text) the matches of each word', () => {
    const body = searchBodyOf({ ...none, text: 'red  laptop red', categoryId: 'c1' }, { pageSize: 20, facetCurrency: 'USD', matching: 'exact' });
    expect(body).toMatchObject({ track_total_hits: true, size: 21 });
    expect(Object.keys(body.aggs ?? {}).sort()).toEqual(['attributes', 'category', 'price', 'stock', 'word_0', 'word_1']);
    // Without a text there is nothing to count; the typo-tolerant search needs no counts.
    expect(Object.keys(facetsOf(none).aggs ?? {}).sort()).toEqual(['attributes', 'category', 'price', 'stock']);
    expect(searchBodyOf({ ...none, text: 'lapotp' }, { pageSize: 20, facetCurrency: 'USD', matching: 'typo_tolerant' }).aggs?.word_0).toBeUndefined();
    expect(wordsOf(Array.from({ length: 20 }, (_, i) => `w${i}`).join(' '))).toHaveLength(8);
    expect(wordsOf('usb - c & café 13"')).toEqual(['usb', 'c', 'café', '13"']);
  });

  test('text, exact: words without edit distance, exact prefixes, SKU boosts', () => {
    const body = hitsOf({ ...none, text: 'lapt' }, { pageSize: 20, facetCurrency: 'USD' });
    const should = (body.query as any).bool.must[0].bool.should;
    expect(should[0]).toEqual({ multi_match: { query: 'lapt', fields: ['name^3', 'description', 'sku^2'] } });
    expect(should[1]).toEqual({ match: { 'name.prefix': { query: 'lapt', operator: 'and', boost: 2 } } });
    expect(should.slice(2)).toEqual([{ term: { sku: { value: 'lapt', boost: 20 } } }, { term: { variant_skus: { value: 'lapt', boost: 15 } } }]);
    expect(body.track_scores).toBe(true);
  });

  test('text, typo-tolerant: the same plus fuzzy words in names and descriptions (not SKUs, not the first letter)', () => {
    const body = hitsOf({ ...none, text: 'lapotp' }, { pageSize: 20, facetCurrency: 'USD', matching: 'typo_tolerant' });
    const should = (body.query as any).bool.must[0].bool.should;
    expect(should[0]).toEqual({ multi_match: { query: 'lapotp', fields: ['name^3', 'description', 'sku^2'] } });
    expect(should[1]).toEqual({ multi_match: { query: 'lapotp', fields: ['name^3', 'description'], fuzziness: 'AUTO', prefix_length: 1 } });
    expect(should).toHaveLength(5);
  });

  test('typo tolerance only when some word matched nothing exactly', () => {
    expect(needsTypoTolerance([0])).toBe(true); // "lapotp"
    expect(needsTypoTolerance([12])).toBe(false); // "laptop"
    expect(needsTypoTolerance([40, 0])).toBe(true); // "red camra"
    // Both words exist, even if no product has both: taken as meant.
    expect(needsTypoTolerance([40, 7])).toBe(false);
    // The counts come from the aggregations the exact search asked for, one per word; a missing one is 0.
    const aggs = searchBodyOf({ ...none, text: 'red kettel' }, { pageSize: 20, facetCurrency: 'USD', matching: 'exact' }).aggs ?? {};
    const [first, second] = Object.keys(aggs).filter((name) => name.startsWith('word_'));
    expect(wordMatchesOf('red kettel', { [first!]: { doc_count: 3 }, [second!]: { doc_count: 0 } })).toEqual([3, 0]);
    expect(wordMatchesOf('red kettel', { [first!]: { doc_count: 3 } })).toEqual([3, 0]);
  });

  test('filters: category by ancestors, currency, price range, attributes as nested terms, stock', () => {
    const criteria: SearchCriteria = {
      ...none,
      categoryId: 'c1',
      currency: 'EUR',
      priceMinMinor: 1000,
      attributes: [{ name: 'color', values: ['red', 'blue'] }],
      inStockOnly: true,
    };
    expect((hitsOf(criteria, { pageSize: 5, facetCurrency: 'USD' }).query as any).bool.filter).toEqual([
      { term: { visible: true } },
      { term: { category_ids: 'c1' } },
      { term: { currency: 'EUR' } },
      { range: { price_minor: { gte: 1000, lte: undefined } } },
      {
        nested: {
          path: 'attribute_pairs',
          query: { bool: { filter: [{ term: { 'attribute_pairs.name': 'color' } }, { terms: { 'attribute_pairs.value': ['red', 'blue'] } }] } },
        },
      },
      { term: { in_stock: true } },
    ]);
  });

  test('every sort ends with the id tie-breaker; relevance without text means newest', () => {
    expect(sortPlanOf({ ...none, text: 'x' }).clauses).toEqual([{ _score: { order: 'desc' } }, { id: { order: 'asc' } }]);
    expect(sortPlanOf(none)).toMatchObject({ effective: 'newest', clauses: [{ updated_at: { order: 'desc' } }, { id: { order: 'asc' } }] });
    expect(sortPlanOf({ ...none, sort: 'name' })).toMatchObject({ clauses: [{ 'name.keyword': { order: 'asc' } }, { id: { order: 'asc' } }], valueTypes: ['string', 'string'] });
    expect(hitsOf({ ...none, sort: 'price_desc' }, { pageSize: 2, after: [500, 'id-1'], facetCurrency: 'USD' }).search_after).toEqual([500, 'id-1']);
  });

  test('price facet buckets follow the currency exponent', () => {
    expect(priceRangesOf('USD')[0]).toEqual({ to: 1000 });
    expect(priceRangesOf('USD').at(-1)).toEqual({ from: 100000 });
    expect(priceRangesOf('JPY')[1]).toEqual({ from: 10, to: 25 });
    expect(facetsOf({ ...none, currency: 'EUR' }).aggs?.price?.filter).toEqual({ term: { currency: 'EUR' } });
  });
});
