/**
 * The search routes served by the kernel's Koa app in-process (no Dapr), against the real
 * Elasticsearch node: response shapes, every kind of bad input as a 400 problem, cursor
 * chaining over HTTP, and the admin-only rebuild route (tokens signed here, verified by the kernel).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Client } from '@elastic/elasticsearch';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { TOKEN_ALGORITHM, TOKEN_AUDIENCE, TOKEN_ISSUER, type Role } from '../../../kernel/auth/caller';
import { TokenVerifier } from '../../../kernel/auth/verifier';
import { Readiness } from '../../../kernel/health';
import { createHttpApp } from '../../../kernel/http/app';
import { PRODUCT_TOPICS } from '../../catalog/src/events/contract';
import { productEventHandler } from '../src/events/product-events';
import { ReindexJobs } from '../src/http/reindex-job';
import { reindexRoutes, searchRoutes } from '../src/http/routes';
import { ProductSearch } from '../src/store/reader';
import { Reindexer, type CatalogExport } from '../src/store/reindex';
import { ProductIndexWriter } from '../src/store/writer';
import { operationsOf, semanticProblems, validateOpenApi } from '../../../test/support/openapi';
import type { OpenApiDocument } from '../../../kernel/http/openapi';
import { changedEvent, product, silentLog, testIndex, type TestIndex } from './support/elasticsearch';

let es: TestIndex;
let server: http.Server;
let base: string;
let jobs: ReindexJobs;
let signingKey: KeyLike;
const products = Array.from({ length: 9 }, (_, i) => product({ name: `Trail Shoe ${i}`, base_price_minor: 5000 + i * 100, attributes: { size: String(40 + (i % 3)) } }));
const fakeExport: CatalogExport = async () => ({ items: products, next_after: null });

/** An access token as the user service issues it (kernel/auth/caller.ts), signed with this test's key. */
async function token(role: Role): Promise<string> {
  return new SignJWT({ role })
    .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid: 'search-test' })
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setSubject(randomUUID())
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(signingKey);
}

beforeAll(async () => {
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  signingKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'search-test', alg: TOKEN_ALGORITHM, use: 'sig' };
  const verifier = new TokenVerifier(async () => ({ keys: [jwk] }));
  es = await testIndex();
  await es.admin.ensureIndex();
  const created = productEventHandler(new ProductIndexWriter(es.client, es.names), PRODUCT_TOPICS.created);
  for (const p of products) await created(changedEvent(p, PRODUCT_TOPICS.created), silentLog);
  await es.admin.refresh();
  jobs = new ReindexJobs(new Reindexer(es.client, es.admin, silentLog, { pageSize: 500, tombstoneRetentionDays: 30 }), fakeExport, silentLog);
  const routes = [...searchRoutes(new ProductSearch(es.client, es.names, 'USD')), ...reindexRoutes(jobs, es.admin)];
  const app = createHttpApp({ logger: silentLog, bodyLimitBytes: 1024, routes, readiness: new Readiness(), verifier });
  server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await jobs?.stop();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await es?.cleanup();
});

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, { headers });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: (await res.json()) as Record<string, any> };
}

test('GET /search answers items with exact decimal prices, facets and a cursor', async () => {
  const { status, body } = await get('/search?q=trail%20shoe&page_size=4&sort=price_asc');
  expect(status).toBe(200);
  expect(body.total).toBe(9);
  expect(body.items[0]).toMatchObject({ id: products[0]!.id, name: 'Trail Shoe 0', price: '50.00', price_minor: 5000, currency: 'USD', in_stock: null, attributes: { size: '40' } });
  expect(body.facets.attributes.size).toEqual(expect.arrayContaining([{ value: '40', count: 3 }]));
  expect(typeof body.next_cursor).toBe('string');
});

test('next_cursor walks every page once, the last page has none', async () => {
  const seen: string[] = [];
  let path: string | null = '/search?sort=price_desc&page_size=4';
  while (path) {
    const { status, body } = await get(path);
    expect(status).toBe(200);
    seen.push(...body.items.map((i: { id: string }) => i.id));
    path = body.next_cursor ? `/search?sort=price_desc&page_size=4&cursor=${body.next_cursor}` : null;
  }
  expect(seen).toEqual([...products].reverse().map((p) => p.id));
});

test.each([
  ['an unknown parameter', '/search?colour=red', '/query/colour'],
  ['a repeated parameter', '/search?q=a&q=b', '/query/q'],
  ['a page size of 0', '/search?page_size=0', '/query/page_size'],
  ['a page size of 101', '/search?page_size=101', '/query/page_size'],
  ['a text over 200 characters', `/search?q=${'x'.repeat(201)}`, '/query/q'],
  ['an unknown sort', '/search?sort=cheapest', '/query/sort'],
  ['a category that is not an id', '/search?category=shoes', '/query/category'],
  ['a price without its currency', '/search?price_min=10', '/query'],
  ['more decimals than the currency has', '/search?price_min=10.505&currency=USD', '/query/price_min'],
  ['a price that is not a number', '/search?price_max=ten&currency=USD', '/query/price_max'],
  ['a minimum above the maximum', '/search?price_min=20&price_max=10&currency=USD', '/query/price_min'],
  ['too many attribute filters', `/search?${Array.from({ length: 11 }, (_, i) => `attr.a${i}=x`).join('&')}`, '/query'],
  ['a garbage cursor', '/search?cursor=not-a-cursor', '/query/cursor'],
  ['an empty suggestion prefix', '/search/suggest?q=', '/query/q'],
  ['a missing suggestion prefix', '/search/suggest', '/query/q'],
  ['a suggestion prefix over 100 characters', `/search/suggest?q=${'x'.repeat(101)}`, '/query/q'],
])('%s is a 400 problem', async (_what, path, pointer) => {
  const { status, type, body } = await get(path);
  expect(status).toBe(400);
  expect(type).toContain('application/problem+json');
  expect(body.errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
});

test('Elasticsearch unavailable is a 503 problem with Retry-After', async () => {
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  const client = new Client({ node: `http://127.0.0.1:${port}`, maxRetries: 0 });
  const app = createHttpApp({ logger: silentLog, bodyLimitBytes: 1024, routes: searchRoutes(new ProductSearch(client, es.names, 'USD')), readiness: new Readiness() });
  const down = http.createServer(app.callback());
  await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', resolve));
  try {
    const res = await fetch(`http://127.0.0.1:${(down.address() as AddressInfo).port}/search?q=shoe`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  } finally {
    down.closeAllConnections();
    await new Promise((resolve) => down.close(resolve));
    await client.close();
  }
});

test('a cursor of another query is a 400 problem', async () => {
  const first = await get('/search?q=trail&page_size=2');
  const { status, body } = await get(`/search?q=shoe&page_size=2&cursor=${first.body.next_cursor}`);
  expect(status).toBe(400);
  expect(body.detail).toMatch(/different query/);
});

test('GET /search/suggest answers up to 10 {text, id, sku}', async () => {
  const { status, body } = await get('/search/suggest?q=trail');
  expect(status).toBe(200);
  expect(body.suggestions).toHaveLength(9);
  expect(body.suggestions[0]).toEqual({ text: expect.stringMatching(/^Trail Shoe/), id: expect.any(String), sku: expect.any(String) });
});

test('the rebuild route is for administrators: anonymous is a 401, a customer a 403', async () => {
  const anonymous = await fetch(`${base}/search/reindex`, { method: 'POST' });
  expect(anonymous.status).toBe(401);
  expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
  // The forged sidecar header of the old operator command opens nothing any more.
  const forged = await fetch(`${base}/search/reindex`, { method: 'POST', headers: { 'dapr-caller-app-id': 'operator' } });
  expect(forged.status).toBe(401);
  const customer = await fetch(`${base}/search/reindex`, { method: 'POST', headers: { authorization: `Bearer ${await token('customer')}` } });
  expect(customer.status).toBe(403);
  expect(customer.headers.get('content-type')).toContain('application/problem+json');
  expect((await get('/search/reindex', { authorization: `Bearer ${await token('customer')}` })).status).toBe(403);
  expect((await get('/search/reindex')).status).toBe(401);
  expect(await es.admin.indicesBehind(es.admin.names.nextAlias)).toEqual([]);
});

test('POST /search/reindex with an admin token starts a rebuild; GET tells how it went', async () => {
  const admin = { authorization: `Bearer ${await token('admin')}` };
  const before = await es.admin.currentIndex();
  const started = await fetch(`${base}/search/reindex`, { method: 'POST', headers: admin });
  expect(started.status).toBe(202);
  const job = (await started.json()) as { from: string; to: string; state: string };
  expect(job).toMatchObject({ from: before, state: 'running' });
  await jobs.idle();
  const status = await get('/search/reindex', admin);
  expect(status.status).toBe(200);
  expect(status.body).toMatchObject({ live: [job.to], rebuilding: [], latest_job_here: { state: 'done', report: { products: 9 } } });
  expect((await get('/search?q=trail')).body.total).toBe(9);
});

test('the OpenAPI document is valid and lists the public routes and the admin rebuild routes', async () => {
  const document = (await get('/openapi.json')).body as OpenApiDocument;
  expect(validateOpenApi([document])[0]).toMatchObject({ valid: true });
  expect(semanticProblems(document)).toEqual([]);
  expect(operationsOf(document)).toEqual(['GET /openapi.json', 'GET /search', 'GET /search/reindex', 'GET /search/suggest', 'POST /search/reindex']);
  for (const method of ['get', 'post'] as const) {
    expect(document.paths['/search/reindex']?.[method]).toMatchObject({ 'x-access': 'admin', security: [{ bearerAuth: [] }], responses: { 401: {}, 403: {} } });
  }
});
