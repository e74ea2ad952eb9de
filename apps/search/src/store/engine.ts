import { Client } from '@elastic/elasticsearch';
import { envInt, envString } from '../../../../kernel/config';

/**
 * The one place that knows the search engine. Everything else asks this port for searches,
 * so the engine (Elasticsearch 8 here) stays replaceable.
 */
export const PRODUCTS_ALIAS = 'products';

export function createEngineClient(): Client {
  return new Client({
    node: `http://${envString('ES_HOST', '127.0.0.1')}:${envInt('ES_PORT', 9250)}`,
    requestTimeout: envInt('ES_REQUEST_TIMEOUT_MS', 5000),
  });
}

export interface SearchHit {
  id: string;
  score: number | null;
  source: Record<string, unknown>;
}

export class ProductSearch {
  constructor(private readonly client: Client) {}

  async ping(): Promise<void> {
    await this.client.cluster.health({ wait_for_status: 'yellow', timeout: '1s' });
  }

  async search(text: string, size: number): Promise<{ total: number; hits: SearchHit[] }> {
    const response = await this.client.search({
      index: PRODUCTS_ALIAS,
      ignore_unavailable: true,
      allow_no_indices: true,
      size,
      query: text ? { multi_match: { query: text, fields: ['name^3', 'description'], fuzziness: 'AUTO' } } : { match_all: {} },
    });
    const total = typeof response.hits.total === 'number' ? response.hits.total : (response.hits.total?.value ?? 0);
    return {
      total,
      hits: response.hits.hits.map((h) => ({ id: h._id ?? '', score: h._score ?? null, source: (h._source ?? {}) as Record<string, unknown> })),
    };
  }
}
