import { randomBytes } from 'node:crypto';
import type { estypes } from '@elastic/elasticsearch';

/**
 * Index layout. Reads go through the alias `products`; behind it is one physical index
 * `products-<timestamp>-<random>`. A rebuild creates the next physical index and marks it with
 * the alias `products-next` (the "dual-write" marker: live events are written to both while it
 * exists), then moves `products` atomically. Nothing but this folder knows these names.
 */
export interface IndexNames {
  /** Read (and normal write) alias. */
  alias: string;
  /** Present only while a rebuild runs; points to the index being filled. */
  nextAlias: string;
  /** Physical index names start with this. */
  physicalPrefix: string;
}

export function indexNames(alias: string): IndexNames {
  return { alias, nextAlias: `${alias}-next`, physicalPrefix: `${alias}-` };
}

/** `products-20250301T101500123-a1b2`: sortable by creation time, unique across replicas. */
export function newPhysicalName(names: IndexNames, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:.Z]/g, '').toLowerCase();
  return `${names.physicalPrefix}${stamp}-${randomBytes(2).toString('hex')}`;
}

/** A dynamic setting: applied to the live index at every start, not only to new ones. */
export const SEARCH_REFRESH_INTERVAL = process.env.SEARCH_REFRESH_INTERVAL || '200ms';

/** An Elasticsearch time value in ms (`200ms`, `1s`); undefined for `-1` (no periodic refresh) or anything else. */
export function refreshIntervalMs(value: string): number | undefined {
  const match = /^(\d+)(ms|s)$/.exec(value.trim());
  if (!match) return undefined;
  return Number(match[1]) * (match[2] === 's' ? 1000 : 1);
}

/** The interval in ms, for a writer that waits for the next refresh (undefined: it must refresh itself). */
export const SEARCH_REFRESH_INTERVAL_MS = refreshIntervalMs(SEARCH_REFRESH_INTERVAL);

/**
 * Bumped when the mapping changes. Start-up adds new fields to the live index in place
 * (IndexAdmin.ensureIndex: adding fields is allowed, changing one is not) and warns when that is
 * refused (then run a reindex). 2: stock (stock, available, stock_bucket) and images.
 * 3: eager global ordinals on the facet keywords (an updatable parameter: applied in place).
 */
export const MAPPING_VERSION = 3;

export const indexSettings: estypes.IndicesIndexSettings = {
  // One shard: a catalog fits easily, scores are exact (no per-shard statistics), and
  // search_after pages are stable. Replicas 0 on the single dev node; raise in production.
  number_of_shards: 1,
  number_of_replicas: 0,
  // How soon a write becomes searchable. Elasticsearch's 1 s default alone would put the
  // catalog→search lag at ≥ 1 s; 200 ms keeps it well under a second at little indexing cost.
  refresh_interval: SEARCH_REFRESH_INTERVAL,
  // A real cluster refuses edge_ngram spans above this (default 1); our node does not check, a real one would.
  max_ngram_diff: 19,
  analysis: {
    // Only lowercase, asciifolding and edge_ngram exist on our node (no analysis-common).
    filter: { name_prefix: { type: 'edge_ngram', min_gram: 1, max_gram: 20 } },
    analyzer: {
      // "Café" and "cafe", "LAPTOP" and "laptop" are the same word.
      folded: { type: 'custom', tokenizer: 'standard', filter: ['lowercase', 'asciifolding'] },
      // Index-time prefixes of each word; queried with `folded` so "lap" matches "laptop".
      folded_prefix: { type: 'custom', tokenizer: 'standard', filter: ['lowercase', 'asciifolding', 'name_prefix'] },
    },
    normalizer: { folded: { type: 'custom', filter: ['lowercase', 'asciifolding'] } },
  },
};

const keyword = { type: 'keyword' } as const;
/**
 * A keyword every search aggregates on: its global ordinals are built at refresh time rather
 * than by the first search after each refresh (which would pay for all of them).
 */
const facetKeyword = { type: 'keyword', eager_global_ordinals: true } as const;

export const indexMappings: estypes.MappingTypeMapping = {
  // A field we did not plan for is a bug, not something to index silently.
  dynamic: 'strict',
  _meta: { mapping_version: MAPPING_VERSION },
  properties: {
    id: keyword, // doc-values copy of _id: the search_after tie-breaker (sorting on _id is disabled in 8.x)
    sku: { type: 'keyword', normalizer: 'folded' },
    variant_skus: { type: 'keyword', normalizer: 'folded' },
    name: {
      type: 'text',
      analyzer: 'folded',
      fields: {
        prefix: { type: 'text', analyzer: 'folded_prefix', search_analyzer: 'folded' },
        keyword: { type: 'keyword', normalizer: 'folded', ignore_above: 256 }, // sort by name
      },
    },
    description: { type: 'text', analyzer: 'folded' },
    category_id: facetKeyword,
    category_ids: keyword,
    category_name: facetKeyword,
    category_names: keyword,
    // Returned as the catalog sent them; not searchable (their indexed forms are the fields above/below).
    category: { type: 'object', enabled: false },
    attributes: { type: 'object', enabled: false },
    // Nested name/value pairs rather than `flattened`: one nested aggregation yields every
    // attribute name with its values and, through reverse_nested, product counts, without knowing
    // the names in advance; `flattened` needs one terms aggregation per known key.
    attribute_pairs: {
      type: 'nested',
      properties: { name: facetKeyword, value: { ...facetKeyword, ignore_above: 256 } },
    },
    // Integer minor units: exact, and our node has no scaled_float.
    price_minor: { type: 'long' },
    currency: keyword,
    status: keyword,
    visible: { type: 'boolean' },
    deleted: { type: 'boolean' },
    version: { type: 'long' },
    updated_at: { type: 'date' },
    in_stock: { type: 'boolean' },
    available: { type: 'long' },
    // none | low | some | many (domain/stock.ts): the stock facet.
    stock_bucket: facetKeyword,
    // SKU → {available, seq}, keys unknown in advance: kept, not indexed (the guard of stock writes).
    stock: { type: 'object', enabled: false },
    // Shown in results (the first one), never searched.
    images: { type: 'object', enabled: false },
    suggest: {
      type: 'completion',
      analyzer: 'folded',
      // Hidden products (drafts, archived, tombstones) stay in the index; the suggester asks
      // for the `visible` context only, so they are never suggested.
      contexts: [{ name: 'visibility', type: 'category' }],
    },
  },
};
