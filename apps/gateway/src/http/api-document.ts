import type { Logger } from '../../../../kernel/logger';
import { defineRoute, type Route } from '../../../../kernel/http/route';
import { API_VERSION, OPENAPI_PATH, type OpenApiDocument } from '../../../../kernel/http/openapi';
import { HttpProblem } from '../../../../kernel/problem';
import { mergeApiDocuments, type ServiceDocument } from '../domain/openapi-merge';
import { ownerOfOperation, ROUTED_APP_IDS } from '../domain/routing';

export interface GatewayApiDocumentOptions {
  /** One service's document; through Dapr in production (`sidecar.invokeJson(appId, '/openapi.json')`). */
  fetchDocument: (appId: string) => Promise<OpenApiDocument>;
  /** How long a merged document is served before the services are asked again. */
  cacheMs: number;
  now?: () => number;
}

export { ROUTED_APP_IDS };

/**
 * `GET /openapi.json` at the gateway: the public API of all services in one document, merged
 * from each service's own. Kept for `cacheMs` (documents change only with a deployment); one
 * refresh at a time, shared by concurrent requests. If any service cannot be reached the answer
 * is 503 rather than a document with silently missing paths, and nothing is cached.
 */
export function gatewayApiDocumentRoute(options: GatewayApiDocumentOptions): Route {
  const now = options.now ?? Date.now;
  let cached: { document: OpenApiDocument; at: number } | undefined;
  let refreshing: Promise<OpenApiDocument> | undefined;

  async function refresh(log: Logger): Promise<OpenApiDocument> {
    const settled = await Promise.allSettled(ROUTED_APP_IDS.map(async (appId): Promise<ServiceDocument> => ({ appId, document: await options.fetchDocument(appId) })));
    const failed: string[] = [];
    settled.forEach((result, i) => {
      if (result.status === 'fulfilled') return;
      failed.push(ROUTED_APP_IDS[i]!);
      log.warn({ err: result.reason, app_id: ROUTED_APP_IDS[i] }, 'could not fetch a service API document');
    });
    if (failed.length) {
      throw new HttpProblem(503, `The API description is incomplete: ${failed.join(', ')} could not be reached.`, {
        headers: { 'retry-after': '5' },
        extensions: { unavailable: failed },
      });
    }
    const document = mergeApiDocuments(
      settled.map((s) => (s as PromiseFulfilledResult<ServiceDocument>).value),
      {
        info: { title: 'dapr-commerce API', version: API_VERSION, description: 'The public API of all services, through the gateway.' },
        // Relative: the document describes whichever host served it.
        servers: [{ url: '/', description: 'this gateway' }],
        // Exactly the operations of the gateway's allowlist, each from the app it is sent to.
        ownerOf: ownerOfOperation,
      },
    );
    cached = { document, at: now() };
    return document;
  }

  return defineRoute({
    method: 'GET',
    path: OPENAPI_PATH,
    summary: 'The public API of all services as one OpenAPI 3.1 document',
    access: 'public',
    tags: ['meta'],
    responses: { 200: { description: 'An OpenAPI 3.1 document' }, 503: { description: 'A service could not be reached' } },
    handler: async ({ ctx }) => {
      if (!cached || now() - cached.at >= options.cacheMs) {
        refreshing ??= refresh(ctx.state.log).finally(() => {
          refreshing = undefined;
        });
        await refreshing;
      }
      return { body: cached!.document, headers: { 'cache-control': `public, max-age=${Math.floor(options.cacheMs / 1000)}` } };
    },
  });
}
