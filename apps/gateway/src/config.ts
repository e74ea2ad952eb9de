import { envBool, envInt, envString } from '../../../kernel/config';
import { parseOrigins } from './http/cors';

/** The gateway's own settings, read in one place; defaults are in README ("Configuration"). */
export interface GatewayConfig {
  /** Gateway → service timeout; 504 after. */
  timeoutMs: number;
  /** Token-bucket refill per client per second; 0 turns rate limiting off. */
  rateLimitPerSecond: number;
  /** Requests a client may make at once before the refill rate applies. */
  rateLimitBurst: number;
  /** Browser origins allowed by CORS; empty = no CORS headers. */
  corsOrigins: ReadonlySet<string>;
  /** Behind exactly one trusted proxy that appends the client address to X-Forwarded-For. */
  trustProxy: boolean;
  /** How long the merged OpenAPI document is reused. */
  apiDocumentCacheMs: number;
  /** Longest time an anonymous GET answer marked `public, max-age` is served from the edge cache; 0 = off. */
  cacheMaxMs: number;
  /** Entries the edge cache holds at most (oldest dropped first). */
  cacheMaxEntries: number;
  /** Product answers kept this long while the catalog change feed is healthy (0 = no feed). */
  cacheProductMaxMs: number;
  /** How often the change feed is polled. */
  changeFeedIntervalMs: number;
  /** The freshness promise: a change is visible within this on every replica. */
  cacheMaxStalenessMs: number;
}

export function gatewayConfig(): GatewayConfig {
  const rateLimitPerSecond = envInt('GATEWAY_RATE_LIMIT_PER_SECOND', 100);
  const rateLimitBurst = envInt('GATEWAY_RATE_LIMIT_BURST', 200);
  if (rateLimitPerSecond < 0 || (rateLimitPerSecond > 0 && rateLimitBurst < 1)) {
    throw new Error('GATEWAY_RATE_LIMIT_PER_SECOND must be >= 0 and GATEWAY_RATE_LIMIT_BURST >= 1');
  }
  return {
    timeoutMs: envInt('GATEWAY_TIMEOUT_MS', 10_000),
    rateLimitPerSecond,
    rateLimitBurst,
    corsOrigins: parseOrigins(envString('GATEWAY_CORS_ORIGINS', '')),
    trustProxy: envBool('GATEWAY_TRUST_PROXY', false),
    apiDocumentCacheMs: envInt('GATEWAY_OPENAPI_CACHE_MS', 60_000),
    cacheMaxMs: envInt('GATEWAY_CACHE_MAX_MS', 500),
    cacheMaxEntries: envInt('GATEWAY_CACHE_MAX_ENTRIES', 50_000),
    cacheProductMaxMs: envInt('GATEWAY_CACHE_PRODUCT_MAX_MS', 300_000),
    changeFeedIntervalMs: envInt('GATEWAY_CHANGE_FEED_INTERVAL_MS', 250),
    cacheMaxStalenessMs: envInt('GATEWAY_CACHE_MAX_STALENESS_MS', 1000),
  };
}
