import Router from '@koa/router';
import { runService } from '../../../kernel/service';
import { OPENAPI_PATH, type OpenApiDocument } from '../../../kernel/http/openapi';
import { gatewayConfig } from './config';
import { proxyToServices } from './http/proxy';
import { ResponseCache } from './http/response-cache';
import { ProductChangeFeed } from './http/change-feed';
import { edgePolicies } from './http/edge-policies';
import { gatewayApiDocumentRoute } from './http/api-document';

runService({
  name: 'gateway',
  defaultPort: 8000,
  publicEdge: true,
  async setup(ctx) {
    const config = gatewayConfig();
    // Product answers live long at the edge while the catalog's change feed evicts them; every
    // other public answer for at most GATEWAY_CACHE_MAX_MS. Lower-case ids only: the feed
    // evicts `/products/<id>` as the catalog spells ids, so `/products/<ID>` must not live long.
    const productPath = /^\/products\/[0-9a-f-]{36}$/;
    let feed: ProductChangeFeed | undefined;
    const cache = new ResponseCache(
      config.cacheMaxMs,
      config.cacheMaxEntries,
      config.cacheProductMaxMs > 0 ? { matches: (path) => productPath.test(path), maxMs: config.cacheProductMaxMs, healthy: () => feed?.healthy() ?? false } : undefined,
    );
    if (config.cacheProductMaxMs > 0 && config.cacheMaxMs > 0) {
      feed = new ProductChangeFeed(ctx.sidecar, ctx.logger, config.changeFeedIntervalMs, config.cacheMaxStalenessMs, (ids) => cache.evict(ids.map((id) => `/products/${id}`)), () => cache.evictLongLived());
      feed.start();
      ctx.onClose(() => feed!.stop());
    }
    const proxy = new Router();
    proxy.all(/^\/.*/, proxyToServices(ctx.sidecar, config.timeoutMs, config.trustProxy));
    const apiDocument = gatewayApiDocumentRoute({
      fetchDocument: (appId) => ctx.sidecar.invokeJson<OpenApiDocument>(appId, OPENAPI_PATH, { timeoutMs: config.timeoutMs }),
      cacheMs: config.apiDocumentCacheMs,
    });
    return {
      // The gateway's own route; the proxy passes GET /openapi.json on (kernel mounts routes after it).
      routes: [apiDocument],
      // The cache right after the edge policies (CORS, token check, rate limit): a hit skips the
      // body parser and the routers.
      middleware: [...edgePolicies(config, ctx.verifier), cache.middleware()],
      extraRouters: [proxy],
    };
  },
});
