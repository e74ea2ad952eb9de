import { documentOf, tombstoneOf } from '../src/domain/document';
import { product } from './support/elasticsearch';

describe('index documents from catalog snapshots', () => {
  test('only active products are visible (and suggestible)', () => {
    expect(documentOf(product({ status: 'active' }))).toMatchObject({ visible: true, deleted: false, suggest: { contexts: { visibility: ['visible'] } } });
    for (const status of ['draft', 'archived'] as const) {
      expect(documentOf(product({ status }))).toMatchObject({ visible: false, status, suggest: { contexts: { visibility: ['hidden'] } } });
    }
  });

  test('the category and all its ancestors are searchable ids; names are facet keywords', () => {
    const doc = documentOf(product({ category: { id: 'c3', name: 'Laptops', path: [{ id: 'c1', name: 'Electronics' }, { id: 'c2', name: 'Computers' }, { id: 'c3', name: 'Laptops' }] } }));
    expect(doc).toMatchObject({ category_id: 'c3', category_ids: ['c1', 'c2', 'c3'], category_name: 'Laptops', category_names: ['Electronics', 'Computers', 'Laptops'] });
    expect(documentOf(product({ category: null }))).toMatchObject({ category_id: null, category_ids: [] });
  });

  test('attributes and variant options become unique name/value strings', () => {
    const doc = documentOf(
      product({
        attributes: { color: ['black', 'white'], ram: 16, refurbished: false },
        variants: [
          { sku: 'V-1', options: { color: 'black', size: 'M' }, price_minor: 100 },
          { sku: 'V-2', options: { color: 'white', size: 'L' }, price_minor: 100 },
        ],
      }),
    );
    expect(doc.attribute_pairs).toEqual([
      { name: 'color', value: 'black' },
      { name: 'color', value: 'white' },
      { name: 'ram', value: '16' },
      { name: 'refurbished', value: 'false' },
      { name: 'size', value: 'M' },
      { name: 'size', value: 'L' },
    ]);
    expect(doc.variant_skus).toEqual(['V-1', 'V-2']);
  });

  test('suggestions start at the name, at later words, and at the SKUs', () => {
    const doc = documentOf(product({ name: 'Noise Cancelling Headphones', sku: 'HP-1', variants: [{ sku: 'HP-1-B', options: {}, price_minor: 1 }] }));
    expect(doc.suggest.input).toEqual(['Noise Cancelling Headphones', 'Cancelling Headphones', 'Headphones', 'HP-1', 'HP-1-B']);
  });

  test('a delete is a hidden tombstone carrying the delete version', () => {
    const doc = tombstoneOf({ event_id: 'e', occurred_at: '2025-01-01T00:00:00Z', product: { id: 'p', sku: 'S', version: 9 } });
    expect(doc).toMatchObject({ id: 'p', sku: 'S', version: 9, deleted: true, visible: false, status: 'deleted', updated_at: '2025-01-01T00:00:00Z', suggest: { contexts: { visibility: ['hidden'] } } });
  });
});
