import http from 'node:http';
import { listen as listenOn } from './support/listen';
import Router from '@koa/router';
import { createHttpApp } from '../../../kernel/http/app';
import { Readiness } from '../../../kernel/health';
import { createLogger } from '../../../kernel/logger';
import { TokenVerifier } from '../../../kernel/auth/verifier';
import { invocationPath, Sidecar } from '../../../kernel/dapr/sidecar';
import { openApiDocument, type OpenApiDocument } from '../../../kernel/http/openapi';
import { proxyToServices } from '../src/http/proxy';
import { edgePolicies } from '../src/http/edge-policies';
import { ResponseCache } from '../src/http/response-cache';
import { gatewayApiDocumentRoute } from '../src/http/api-document';
import { rawRequest, type RawResponse } from './support/raw-http';

/**
 * The gateway as main.ts assembles it (edge policies, cache, proxy, its own /openapi.json), in
 * front of the real Sidecar client, whose "daprd" is a fake that records every request target
 * it receives: what the real sidecar would have been asked, byte for byte.
 */
interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

const received: Received[] = [];
const servers: http.Server[] = [];
let gatewayPort = 0;

const listen = (server: http.Server) => listenOn(server, servers);

beforeAll(async () => {
  const daprd = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks) });
      // daprd's own failures: an access policy's refusal, an app that is down.
      const daprError = /\/dapr-error-(\d+)$/.exec(req.url!);
      if (daprError) {
        res.writeHead(Number(daprError[1]), { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errorCode: 'ERR_DIRECT_INVOKE', message: 'access control policy has denied access to id: spiffe://public/ns/default/gateway' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ echoed: req.url }));
    });
  });
  const sidecar = new Sidecar(await listen(daprd));
  const config = { corsOrigins: new Set(['https://shop.example.com']), rateLimitPerSecond: 0, rateLimitBurst: 1, trustProxy: false };
  const cache = new ResponseCache(500, 100);
  const proxy = new Router();
  proxy.all(/^\/.*/, proxyToServices(sidecar, 1000, false));
  const emptyDocument = (title: string): OpenApiDocument => openApiDocument([], { title, version: '1' });
  const app = createHttpApp({
    logger: createLogger('gateway-test', 'silent'),
    bodyLimitBytes: 64 * 1024,
    routes: [gatewayApiDocumentRoute({ fetchDocument: async (appId) => emptyDocument(appId), cacheMs: 60_000 })],
    readiness: new Readiness(),
    middleware: [...edgePolicies(config, new TokenVerifier(async () => ({ keys: [] }))), cache.middleware()],
    extraRouters: [proxy],
    serveMetrics: false, // as at the public edge (kernel/service.ts)
  });
  gatewayPort = await listen(http.createServer(app.callback()));
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

beforeEach(() => {
  received.length = 0;
});

const send = (method: string, target: string, options: Parameters<typeof rawRequest>[3] = {}) => rawRequest(gatewayPort, method, target, options);

/** Names the answer to a probe must never hold: the sidecar's metadata, secrets, subscriptions, the fake's echo. */
const LEAKS = /PG_DAPR_URL|postgres:\/\/|components|entities|pubsubname|metadata|subscribe|CartActor|export|shutdown|echoed/;

/**
 * A refusal by the gateway itself: a problem (or Node's own bare 400 for a request line its
 * parser refuses), which holds none of the LEAKS once the echo of the client's own path in
 * `instance` is set aside (the kernel's malformed-URL check names it; the edge never does).
 */
function expectEdgeRefusal(res: RawResponse, statuses: number[], what: string) {
  expect({ what, status: res.status, expected: statuses.includes(res.status) }).toEqual({ what, status: res.status, expected: true });
  if (res.body === '' && res.status === 400 && !res.headers['content-type']) return;
  expect({ what, type: res.headers['content-type'] }).toEqual({ what, type: expect.stringContaining('application/problem+json') });
  const { instance, ...problem } = JSON.parse(res.body) as Record<string, unknown>;
  expect(problem.status).toBe(res.status);
  if (instance !== undefined) expect({ what, instance: what.startsWith(String(instance)) }).toEqual({ what, instance: true });
  expect({ what, body: JSON.stringify(problem) }).toEqual({ what, body: expect.not.stringMatching(LEAKS) });
}

const PREFIXES = ['/products', '/categories', '/search', '/cart', '/orders', '/payments', '/inventory', '/promotions', '/auth', '/users'];
const TARGETS = ['v1.0/metadata', 'v1.0/secrets/envsecrets/PG_DAPR_URL', 'v1.0/publish/pubsub/x', 'v1.0/shutdown', 'dapr/subscribe', 'dapr/config', 'actors/CartActor/x/method/get', 'internal/products/export', 'healthz'];
/** How each trick climbs out of the prefix: one level up, in many spellings. */
const UP = ['..', '%2e%2e', '%2E%2E', '.%2e', '%2E.', '%c0%ae%c0%ae', '..;', '..%3b', '..%00', '..%2f', '..%5c', '..\\', '%2e%2e%2f', '.%00.', '..%20'];

describe('only canonical public paths pass the gateway, and nothing else reaches the sidecar', () => {
  test('dot-segments, encoded slashes and path parameters in front of Dapr API, callback and internal paths', async () => {
    for (const prefix of PREFIXES) {
      for (const up of UP) {
        for (const target of TARGETS) {
          const sep = up.endsWith('\\') || up.endsWith('%2f') || up.endsWith('%5c') ? '' : '/';
          const method = target.startsWith('v1.0/publish') || target.startsWith('v1.0/shutdown') ? 'POST' : target.startsWith('actors') ? 'PUT' : 'GET';
          const raw = `${prefix}/${up}${sep}${target}`;
          expectEdgeRefusal(await send(method, raw), [400], raw);
        }
      }
    }
    expect(received).toEqual([]);
  });

  test('canonical paths that no public route names are 404, in any case or position', async () => {
    const paths = [
      ...TARGETS.map((t) => `/${t}`),
      ...PREFIXES.flatMap((p) => TARGETS.map((t) => `${p}/x/${t}`)),
      '/internal/products/changes', '/INTERNAL/products/export', '/Internal/cart/ttl', '/PRODUCTS', '/Products/x', '/dapr/events/pubsub/catalog.product.updated',
      '/actors/CartActor/x', '/v1.0/invoke/catalog/method/internal/products/export', '/v1.0-alpha1/metadata', '/healthz/x', '/readyz/x', '/metrics', '/',
      '/products2', '/productsx/1', '/search/suggest/more', '/auth/.well-known/jwks.json/x', '/users', '/inventory',
    ];
    for (const p of paths) {
      if (p === '/healthz') continue; // the gateway's own liveness probe
      expectEdgeRefusal(await send('GET', p), [404], p);
    }
    expect(received).toEqual([]);
  });

  test('a public path with another method is 405 with Allow, and nothing is sent on', async () => {
    const cases: Array<[method: string, path: string, allow: string]> = [
      ['DELETE', '/promotions', 'GET, HEAD, POST'],
      ['PUT', '/products/4c7c3f6e-0b1a-4d2a-9a3e-2f1f1f1f1f1f', 'DELETE, GET, HEAD, PATCH'],
      ['POST', '/payments/abc', 'GET, HEAD'],
      ['GET', '/cart/merge', 'POST'],
      ['OPTIONS', '/orders', 'GET, HEAD, POST'],
      ['PROPFIND', '/cart', 'DELETE, GET, HEAD, POST'],
      ['POST', '/openapi.json', 'GET, HEAD'],
    ];
    for (const [method, p, allow] of cases) {
      const res = await send(method, p);
      expectEdgeRefusal(res, [405], `${method} ${p}`);
      expect({ p, allow: res.headers.allow }).toEqual({ p, allow });
    }
    expect(received).toEqual([]);
  });

  test.each([
    'http://localhost/products', '*', '/products/', '//products', '/products;x', '/%70roducts', '/products/%zz', '/products/%c3', '/products#x',
    `/search/${'a'.repeat(3000)}`, '/products/a\tb', '/products/caf\u00e9', '/products/a\u0000b',
  ])('refuses the malformed target %j before any policy', async (raw) => {
    const res = await send('GET', raw);
    expectEdgeRefusal(res, [400, 414], raw);
    if (res.status === 414) expect(JSON.parse(res.body)).toMatchObject({ title: 'URI Too Long' });
    expect(received).toEqual([]);
  });

  test('a public request goes to the invoke API of its app with its path, query, method and body unchanged', async () => {
    const body = JSON.stringify({ name: 'Café ☕ 𝄞', note: '../v1.0/metadata %2e%2e' });
    const cases: Array<[method: string, target: string, app: string]> = [
      ['GET', '/inventory/SKU%20X?x=1%202&y=caf%C3%A9&z=..%2F..', 'inventory'],
      ['GET', '/inventory/caf%C3%A9-%E2%82%AC%F0%9F%98%80', 'inventory'],
      ['GET', '/search?q=..%2F..%2Fv1.0%2Fmetadata&limit=5', 'search'],
      ['GET', '/auth/.well-known/jwks.json', 'user'],
      ['POST', '/categories', 'catalog'],
      ['PATCH', '/users/u1/addresses', 'user'],
      ['PUT', '/users/u1/addresses/a%3A1', 'user'],
      ['DELETE', '/cart/items/p1', 'cart'],
      ['HEAD', '/products/4c7c3f6e-0b1a-4d2a-9a3e-2f1f1f1f1f1f', 'catalog'],
    ];
    for (const [method, target, app] of cases) {
      received.length = 0;
      const withBody = method === 'POST' || method === 'PATCH' || method === 'PUT';
      const res = await send(method, target, withBody ? { body, headers: { 'content-type': 'application/json' } } : {});
      if (method === 'PATCH') {
        // /users/:id/addresses takes GET and POST only.
        expect(res.status).toBe(405);
        continue;
      }
      expect({ target, status: res.status }).toEqual({ target, status: 200 });
      expect(received).toHaveLength(1);
      // HEAD goes on as GET (Koa leaves the body out): services and their access policies know GET.
      expect(received[0]).toMatchObject({ method: method === 'HEAD' ? 'GET' : method, url: `/v1.0/invoke/${app}/method${target}` });
      expect(received[0]!.headers['dapr-app-id']).toBeUndefined();
      if (withBody) expect(received[0]!.body.toString('utf8')).toBe(body);
    }
  });

  test("the sidecar's own failures are never passed on: 502 for a refusal, 503 for an app that is down", async () => {
    for (const [status, expected] of [[403, 502], [404, 502], [500, 503], [503, 503]] as const) {
      const res = await send('GET', `/products/dapr-error-${status}`);
      expect({ status, answered: res.status }).toEqual({ status, answered: expected });
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body).not.toMatch(/errorCode|spiffe|ERR_/);
    }
  });

  test('the gateway still serves its own merged API document, and CORS preflights at the edge', async () => {
    const doc = await send('GET', '/openapi.json');
    expect(doc.status).toBe(200);
    expect(JSON.parse(doc.body)).toMatchObject({ openapi: '3.1.0' });
    const preflight = await send('OPTIONS', '/orders/1', { headers: { origin: 'https://shop.example.com', 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://shop.example.com');
    expect(received.filter((r) => !r.url.endsWith('/openapi.json'))).toEqual([]);
  });
});

describe("the sidecar client's service invocation", () => {
  test.each([
    ['catalog', '/products', '/v1.0/invoke/catalog/method/products'],
    ['catalog', 'products/x', '/v1.0/invoke/catalog/method/products/x'],
    ['catalog', '/internal/products/changes?since=2026-01-01T00%3A00%3A00.000Z', '/v1.0/invoke/catalog/method/internal/products/changes?since=2026-01-01T00%3A00%3A00.000Z'],
    ['inventory', '/inventory/SKU%20X?q=../x', '/v1.0/invoke/inventory/method/inventory/SKU%20X?q=../x'],
    ['user', '/auth/.well-known/jwks.json', '/v1.0/invoke/user/method/auth/.well-known/jwks.json'],
    ['order.prod', '/orders/..x', '/v1.0/invoke/order.prod/method/orders/..x'],
  ])('%s %s → %s', (appId, p, expected) => {
    expect(invocationPath(appId, p)).toBe(expected);
  });

  test.each([
    ['catalog', '/products/../v1.0/metadata'], ['catalog', '/products/%2e%2e/v1.0/metadata'], ['catalog', '/products/.%2E/x'], ['catalog', '/products/%2E'],
    ['catalog', '/products/./x'], ['catalog', '..'], ['catalog', '/products/..'], ['catalog', '/products\\..\\x'], ['catalog', '/products/%5c'],
    ['catalog', '/products/..%2fx'], ['catalog', '/products/x%2F..'], ['catalog', '/products/a%00'], ['catalog', '/products/a\tb'], ['catalog', '/products/a\nb'],
    ['catalog', '/products/a b'], ['catalog', '/products#x'], ['catalog', '/products?x=1#y'],
    ['', '/products'], ['../v1.0', '/metadata'], ['catalog/method/x', '/y'], ['catalog?x', '/y'], ['cat alog', '/y'],
  ])('refuses app %j path %j', (appId, p) => {
    expect(() => invocationPath(appId, p)).toThrow(/sidecar invoke/);
  });
});
