import type { AddressInfo } from 'node:net';
import http from 'node:http';
import { createHttpApp } from '../../../kernel/http/app';
import { defineRoute, type Route } from '../../../kernel/http/route';
import { Readiness } from '../../../kernel/health';
import { createLogger } from '../../../kernel/logger';
import { HttpProblem } from '../../../kernel/problem';
import { openApiDocument, withApiDocument, type OpenApiDocument } from '../../../kernel/http/openapi';
import { mergeApiDocuments } from '../src/domain/openapi-merge';
import { ownerOfOperation } from '../src/domain/routing';
import { gatewayApiDocumentRoute, ROUTED_APP_IDS } from '../src/http/api-document';
import { operation, operationsOf, semanticProblems, validateOpenApi } from '../../../test/support/openapi';

const noop = async () => ({});
const info = { title: 'merged', version: '1.0.0' };

/** A service's document as its GET /openapi.json serves it (the kernel adds that route). */
function served(title: string, routes: Route[]): OpenApiDocument {
  return openApiDocument(withApiDocument(routes, { title, version: '1' }), { title, version: '1' });
}

const catalog = served('catalog', [
  defineRoute({ method: 'GET', path: '/products', summary: 'List', access: 'public', tags: ['catalog'], responses: { 200: { description: 'ok' } }, handler: noop }),
  defineRoute({
    method: 'GET', path: '/products/:id', summary: 'Get', access: 'public', tags: ['catalog'],
    params: { type: 'object', properties: { id: { type: 'string', format: 'uuid' } }, required: ['id'] } as const,
    responses: { 200: { description: 'ok' }, 404: { description: 'missing' } }, handler: noop,
  }),
  // Described by catalog, but the gateway sends /orders to the order service: not public through the gateway.
  defineRoute({ method: 'GET', path: '/orders/stray', summary: 'Stray', access: 'public', responses: {}, handler: noop }),
  // A public path, but not with this method in the gateway's allowlist: left out too.
  defineRoute({ method: 'PUT', path: '/products/:id', summary: 'Replace', access: 'admin', responses: {}, handler: noop }),
  defineRoute({ method: 'POST', path: '/products/:id/reindex', summary: 'Internal', access: 'internal', responses: {}, handler: noop }),
]);
const order = served('order', [
  defineRoute({
    method: 'POST', path: '/orders', summary: 'Place an order', tags: ['orders'],
    body: { type: 'object', properties: { cart_id: { type: 'string' } }, required: ['cart_id'], additionalProperties: false } as const,
    responses: { 201: { description: 'placed' } }, handler: noop,
  }),
  defineRoute({ method: 'GET', path: '/orders/:id', summary: 'Get', tags: ['orders'], responses: { 200: { description: 'ok' } }, handler: noop }),
]);

describe('merging the services\' documents at the gateway', () => {
  const merged = mergeApiDocuments([{ appId: 'catalog', document: catalog }, { appId: 'order', document: order }], { info, servers: [{ url: '/' }], ownerOf: ownerOfOperation });

  test('gives one valid OpenAPI 3.1 document', () => {
    expect(validateOpenApi([merged])[0]).toMatchObject({ valid: true, version: '3.1' });
    expect(semanticProblems(merged)).toEqual([]);
    expect(merged.info).toEqual(info);
    expect(merged.servers).toEqual([{ url: '/' }]);
    expect(Object.keys(merged.components.schemas)).toEqual(['Problem']);
    expect(merged.components.securitySchemes.bearerAuth).toMatchObject({ scheme: 'bearer', bearerFormat: 'JWT' });
    expect(merged.tags).toEqual([{ name: 'catalog' }, { name: 'orders' }]);
  });

  test('keeps exactly the operations the gateway routes to the service that describes them', () => {
    expect(operationsOf(merged)).toEqual(['GET /orders/{id}', 'GET /products', 'GET /products/{id}', 'POST /orders']);
    expect(operation(merged, 'GET', '/products/{id}')['x-service']).toBe('catalog');
    expect(operation(merged, 'POST', '/orders')['x-service']).toBe('order');
  });

  test('does not change the documents it merges', () => {
    expect(operation(catalog, 'GET', '/products')['x-service']).toBeUndefined();
  });

  test('refuses services that define a shared component differently', () => {
    const odd = structuredClone(order);
    odd.components.schemas.Problem = { type: 'string' };
    expect(() => mergeApiDocuments([{ appId: 'order', document: odd }], { info, servers: [], ownerOf: ownerOfOperation })).toThrow(/Problem/);
  });
});

describe('GET /openapi.json at the gateway', () => {
  const clock = { now: 0 };
  const fetched: string[] = [];
  let down = new Set<string>();
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    const documents: Record<string, OpenApiDocument> = { catalog, order };
    const route = gatewayApiDocumentRoute({
      fetchDocument: async (appId) => {
        fetched.push(appId);
        if (down.has(appId)) throw new HttpProblem(502, `${appId} /openapi.json: unreachable`);
        return documents[appId] ?? served(appId, []);
      },
      cacheMs: 60_000,
      now: () => clock.now,
    });
    const app = createHttpApp({ logger: createLogger('gateway-test', 'silent'), bodyLimitBytes: 1024, routes: [route], readiness: new Readiness() });
    server = http.createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  test('asks every routed service once, then answers from its cache until it expires', async () => {
    const first = await fetch(`${base}/openapi.json`);
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('public, max-age=60');
    expect(operationsOf((await first.json()) as OpenApiDocument)).toContain('POST /orders');
    expect([...fetched].sort()).toEqual([...ROUTED_APP_IDS].sort());

    fetched.length = 0;
    clock.now += 59_999;
    expect((await fetch(`${base}/openapi.json`)).status).toBe(200);
    expect(fetched).toEqual([]);
    clock.now += 1;
    expect((await fetch(`${base}/openapi.json`)).status).toBe(200);
    expect(fetched).toHaveLength(ROUTED_APP_IDS.length);
  });

  test('is 503 naming the services that cannot be reached, and caches no failure', async () => {
    clock.now += 60_000;
    down = new Set(['search', 'cart']);
    const res = await fetch(`${base}/openapi.json`);
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.json()).toMatchObject({ status: 503, unavailable: ['search', 'cart'] });
    down = new Set();
    expect((await fetch(`${base}/openapi.json`)).status).toBe(200);
  });
});
