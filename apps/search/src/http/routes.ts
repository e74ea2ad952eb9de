import { defineRoute, type Route } from '../../../../kernel/http/route';
import { HttpProblem } from '../../../../kernel/problem';
import { kindOfError } from '../store/failures';
import { encodeCursor } from '../domain/cursor';
import { fingerprintOf } from '../domain/criteria';
import type { IndexAdmin } from '../store/indices';
import type { ProductSearch } from '../store/reader';
import type { ReindexJobs } from './reindex-job';
import { reindexQuery, searchQuery, searchResponse, suggestQuery, suggestResponse } from './schemas';
import { parseSearchQuery } from './search-query';

const PUBLIC_FOR_A_SECOND = { 'cache-control': 'public, max-age=1' };

export function searchRoutes(search: ProductSearch): Route[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/search',
      summary: 'Search active products: full text with typo tolerance, filters, facets, cursor pages',
      operationId: 'searchProducts',
      access: 'public',
      tags: ['search'],
      query: searchQuery,
      responses: {
        200: { description: 'A page of matching products, with facets and the cursor of the next page', schema: searchResponse },
        503: { description: 'Elasticsearch is unavailable; retry' },
      },
      handler: async ({ query }) => {
        const { criteria, pageSize, after } = parseSearchQuery(query);
        const page = await whileAvailable(() => search.search(criteria, { pageSize, after }));
        const nextCursor = page.nextAfter ? encodeCursor(criteria.sort, fingerprintOf(criteria), page.nextAfter) : null;
        // Results are eventually consistent anyway (the index refreshes every 200 ms): the edge
        // may share them for a second.
        return { body: { total: page.total, items: page.items, facets: page.facets, next_cursor: nextCursor }, headers: PUBLIC_FOR_A_SECOND };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/search/suggest',
      summary: 'Type-ahead: up to 10 active products whose name (or a word of it onwards) or SKU starts with q',
      operationId: 'suggestProducts',
      access: 'public',
      tags: ['search'],
      query: suggestQuery,
      responses: { 200: { description: 'Suggestions, best first', schema: suggestResponse }, 503: { description: 'Elasticsearch is unavailable; retry' } },
      handler: async ({ query }) => ({ body: { suggestions: await whileAvailable(() => search.suggest(query.q)) }, headers: PUBLIC_FOR_A_SECOND }),
    }),
  ];
}

/** Elasticsearch down, slow or overloaded is a 503 the client may retry, not an unexplained 500. */
async function whileAvailable<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (kindOfError(err) === 'transient') throw new HttpProblem(503, 'Search is unavailable for a moment; try again.', { headers: { 'retry-after': '1' } });
    throw err;
  }
}

/**
 * Index rebuilds: administrators only, with their bearer token through the gateway
 * (`npm run search:reindex`, scripts/search-reindex.ts).
 */
export function reindexRoutes(jobs: ReindexJobs, admin: IndexAdmin): Route[] {
  return [
    defineRoute({
      method: 'POST',
      path: '/search/reindex',
      summary: 'Rebuild the search index from the catalog without downtime (runs in the background)',
      operationId: 'startReindex',
      access: 'admin',
      tags: ['search'],
      query: reindexQuery,
      responses: { 202: { description: 'Started: live events now go to both indices' }, 409: { description: 'A rebuild is already running' } },
      handler: async ({ query }) => ({ status: 202, body: await jobs.start({ force: query.force === 'true' }) }),
    }),
    defineRoute({
      method: 'GET',
      path: '/search/reindex',
      summary: 'Where the indices stand, and the last rebuild started by this replica',
      operationId: 'getReindex',
      access: 'admin',
      tags: ['search'],
      responses: { 200: { description: 'Live and rebuilding indices; this replica\'s last job' } },
      handler: async () => ({
        body: {
          live: await admin.indicesBehind(admin.names.alias),
          rebuilding: await admin.indicesBehind(admin.names.nextAlias),
          latest_job_here: jobs.latestJob(),
        },
      }),
    }),
  ];
}
