import Router from '@koa/router';
import { runService } from '../../../kernel/service';
import { OPENAPI_PATH, type OpenApiDocument } from '../../../kernel/http/openapi';
import { gatewayConfig } from './config';
import { proxyToServices } from './http/proxy';
import { responseCache } from './http/response-cache';
import { edgePolicies } from './http/edge-policies';
import { gatewayApiDocumentRoute } from './http/api-document';

runService({
  name: 'gateway',
  defaultPort: 8000,
  publicEdge: true,
  async setup(ctx) {
    const config = gatewayConfig();
    ctx.readiness.add('dapr', () => ctx.sidecar.outboundReady());
    const proxy = new Router();
    proxy.all(/^\/.*/, responseCache(config.cacheMaxMs, config.cacheMaxEntries), proxyToServices(ctx.sidecar, config.timeoutMs, config.trustProxy));
    const apiDocument = gatewayApiDocumentRoute({
      fetchDocument: (appId) => ctx.sidecar.invokeJson<OpenApiDocument>(appId, OPENAPI_PATH, { timeoutMs: config.timeoutMs }),
      cacheMs: config.apiDocumentCacheMs,
    });
    return {
      // The gateway's own route; the proxy passes on paths no service owns (kernel mounts routes after it).
      routes: [apiDocument],
      middleware: edgePolicies(config, ctx.verifier),
      extraRouters: [proxy],
    };
  },
});
