import { defineRoute, type Route } from '../../../../kernel/http/route';
import type { ProductSearch } from '../store/engine';

const searchQuery = {
  type: 'object',
  properties: {
    q: { type: 'string', maxLength: 200 },
    size: { type: 'string', pattern: '^(?:[1-9]|[1-9][0-9]|100)$' },
  },
  additionalProperties: false,
} as const;

export function searchRoutes(engine: ProductSearch): Route[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/search',
      summary: 'Full-text product search',
      access: 'public',
      tags: ['search'],
      query: searchQuery,
      responses: { 200: { description: 'Matching products, best first' } },
      handler: async ({ query }) => {
        const result = await engine.search(query.q ?? '', Number(query.size ?? 20));
        return { body: { total: result.total, items: result.hits.map((h) => ({ id: h.id, score: h.score, ...h.source })) } };
      },
    }),
  ];
}
