import client from 'prom-client';
import { registry } from '../../../../kernel/http/metrics';

/** How far the index trails the catalog: now − product.updated_at (delete: occurred_at) when indexed. */
export const indexingLag = new client.Histogram({
  name: 'search_indexing_lag_seconds',
  help: 'Time from a product change in the catalog to its write into the search index.',
  labelNames: ['topic'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
  registers: [registry],
});

/** indexed | stale (duplicate or out of order: already had newer) | dead_letter | retry. */
export const productEvents = new client.Counter({
  name: 'search_product_events_total',
  help: 'Catalog product events handled by the search indexer, by outcome.',
  labelNames: ['topic', 'outcome'] as const,
  registers: [registry],
});

/** applied (written, or already as new) | retry | dead_letter. */
export const stockEvents = new client.Counter({
  name: 'search_stock_events_total',
  help: 'Inventory stock events handled by the search indexer, by outcome.',
  labelNames: ['topic', 'outcome'] as const,
  registers: [registry],
});
