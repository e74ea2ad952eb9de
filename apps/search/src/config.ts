import { envInt, envString } from '../../../kernel/config';

/** Everything the search service reads from the environment, in one place (defaults in README). */
export interface SearchConfig {
  es: {
    node: string;
    /** Per request to Elasticsearch; a timeout is a transient failure (events are redelivered). */
    requestTimeoutMs: number;
    /** The client's own retries; Dapr's redelivery with back-off is the real retry for events. */
    maxRetries: number;
  };
  /** The read alias; physical indices are `<alias>-<timestamp>`, the reindex marker `<alias>-next`. */
  alias: string;
  /** Currency of the price facet when the request names none. */
  defaultCurrency: string;
  /** Tombstones younger than this are carried into a rebuilt index; older ones are dropped. */
  tombstoneRetentionDays: number;
  /** Products per page of the catalog export during a reindex. */
  reindexPageSize: number;
  /** Dapr app id of the catalog (the export comes from its internal route). */
  catalogAppId: string;
  /** Dapr app id of the inventory (stock events are checked against its availability route). */
  inventoryAppId: string;
}

export function searchConfig(): SearchConfig {
  return {
    es: {
      node: `http://${envString('ES_HOST', '127.0.0.1')}:${envInt('ES_PORT', 9250)}`,
      requestTimeoutMs: envInt('ES_REQUEST_TIMEOUT_MS', 5000),
      maxRetries: envInt('ES_MAX_RETRIES', 1),
    },
    alias: envString('SEARCH_INDEX_ALIAS', 'products'),
    defaultCurrency: envString('SEARCH_DEFAULT_CURRENCY', 'USD'),
    tombstoneRetentionDays: envInt('SEARCH_TOMBSTONE_RETENTION_DAYS', 30),
    reindexPageSize: envInt('SEARCH_REINDEX_PAGE_SIZE', 500),
    catalogAppId: envString('CATALOG_APP_ID', 'catalog'),
    inventoryAppId: envString('INVENTORY_APP_ID', 'inventory'),
  };
}
