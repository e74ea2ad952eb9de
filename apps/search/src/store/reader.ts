import type { Client } from '@elastic/elasticsearch';
import type { SearchCriteria } from '../domain/criteria';
import type { SortValue } from '../domain/cursor';
import type { ProductDocument } from '../domain/document';
import { needsTypoTolerance, searchBodyOf, wordMatchesOf, type TextMatching } from '../domain/search-request';
import { pageOf, type SearchPage } from '../domain/search-results';
import type { IndexNames } from './layout';

export interface Suggestion {
  text: string;
  id: string;
  sku: string;
}

export const MAX_SUGGESTIONS = 10;

/**
 * Reads are not retried by the Elasticsearch client: on a refused connection it would wait its
 * back-off (1–2 s) before its one retry, and the caller's sidecar already repeats a 503 up to
 * three times (components/resiliency.yaml), so while Elasticsearch is down a search took 4–10 s
 * to be refused and came close to the gateway's 10 s timeout (504). Refused at once, the client
 * gets its 503 + Retry-After in well under 2 s.
 */
const READ_OPTIONS = { maxRetries: 0 } as const;

/** Reads: full-text search with facets, and type-ahead suggestions. Always through the read alias. */
export class ProductSearch {
  constructor(
    private readonly client: Client,
    private readonly names: IndexNames,
    private readonly defaultCurrency: string,
  ) {}

  /** Exact first; typo-tolerant only when a word matched nothing (domain/search-request.ts). */
  async search(criteria: SearchCriteria, options: { pageSize: number; after?: SortValue[] }): Promise<SearchPage> {
    const facetCurrency = criteria.currency ?? this.defaultCurrency;
    let response = await this.run(criteria, options, facetCurrency, 'exact');
    if (criteria.text && needsTypoTolerance(wordMatchesOf(criteria.text, response.aggregations))) {
      response = await this.run(criteria, options, facetCurrency, 'typo_tolerant');
    }
    return pageOf(response, options.pageSize, facetCurrency);
  }

  /**
   * `request_cache` asked for explicitly: Elasticsearch then caches answers with hits too (by
   * default only size-0 ones), so a popular query is answered from the shard cache until a
   * refresh that changed the index invalidates it — never stale.
   */
  private run(criteria: SearchCriteria, options: { pageSize: number; after?: SortValue[] }, facetCurrency: string, matching: TextMatching) {
    const body = searchBodyOf(criteria, { ...options, facetCurrency, matching });
    return this.client.search<Partial<ProductDocument>>({ index: this.names.alias, request_cache: true, ...body }, READ_OPTIONS);
  }

  /**
   * Completion suggester over names (and their word suffixes) and SKUs. Hidden products are
   * in the index too (drafts, archived, tombstones) but carry the `hidden` context, and we ask
   * for `visible` only — filtering in the suggester itself, so the 10 are 10 visible ones.
   */
  async suggest(prefix: string): Promise<Suggestion[]> {
    const response = await this.client.search<Partial<ProductDocument>>({
      index: this.names.alias,
      size: 0, // suggestions only, no ordinary hits
      _source: ['id', 'sku', 'name'],
      suggest: {
        products: {
          prefix,
          completion: { field: 'suggest', size: MAX_SUGGESTIONS, contexts: { visibility: ['visible'] } },
        },
      },
    }, READ_OPTIONS);
    const entries = response.suggest?.products ?? [];
    const options = entries.flatMap((entry) => (Array.isArray(entry.options) ? entry.options : [entry.options]));
    return options.map((option) => {
      const source = (option as { _source?: Partial<ProductDocument>; _id?: string; text: string })._source ?? {};
      return { text: source.name ?? option.text, id: source.id ?? (option as { _id?: string })._id ?? '', sku: source.sku ?? '' };
    });
  }
}
