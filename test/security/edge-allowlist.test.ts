/**
 * The gateway's allowlist (apps/gateway/src/domain/routing.ts) against the running stack: it is
 * exactly the set of operations in the merged OpenAPI document the gateway serves (which the
 * services generate from their own route definitions), so the two cannot drift; every entry
 * reaches a real route of its service; and what it does not name is refused at the edge.
 */
import type { OpenApiDocument } from '../../kernel/http/openapi';
import { openApiPath } from '../../kernel/http/openapi';
import { ROUTES } from '../../apps/gateway/src/domain/routing';
import { operationsOf } from '../support/openapi';
import { api, GATEWAY } from '../support/gateway';

/** The gateway's own 404 for a path no public route names (apps/gateway/src/http/proxy.ts). */
const EDGE_NOT_FOUND = 'No public route has this path.';

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

beforeAll(async () => {
  for (let i = 0; i < 60; i += 1) {
    if (await fetch(`${GATEWAY}/readyz`).then((r) => r.ok, () => false)) return;
    await sleep(5000);
  }
  throw new Error('the gateway is not ready');
});

test("the merged OpenAPI document's operations are exactly the gateway's allowlist", async () => {
  const doc = await api<OpenApiDocument>('GET', '/openapi.json');
  expect(doc.status).toBe(200);
  const allowlist = ROUTES.map((r) => `${r.method} ${openApiPath(r.path)}`).sort();
  expect(operationsOf(doc.body)).toEqual(allowlist);
  // And each operation is answered by the app the allowlist sends it to.
  for (const route of ROUTES) {
    const op = doc.body.paths[openApiPath(route.path)]![route.method.toLowerCase() as 'get']!;
    expect({ op: `${route.method} ${route.path}`, service: op['x-service'] }).toEqual({ op: `${route.method} ${route.path}`, service: route.appId });
  }
});

test('every allowlisted operation reaches a route of its service (never the edge 404 or a service 404 for no route)', async () => {
  for (const route of ROUTES) {
    // Anonymous, with a body no route accepts as valid: nothing is changed, but the service answers.
    const path = route.path.replace(/:[A-Za-z_$][\w$]*/g, 'edge-allowlist-x');
    const init: RequestInit = route.method === 'GET' ? {} : { method: route.method, headers: { 'content-type': 'application/json' }, body: '{"edge_allowlist_probe":true}' };
    let res = await fetch(`${GATEWAY}${path}`, init);
    for (let i = 0; res.status === 429 && i < 10; i += 1) {
      await sleep(1000 * Number(res.headers.get('retry-after') ?? 1));
      res = await fetch(`${GATEWAY}${path}`, init);
    }
    const text = await res.text();
    const detail = res.headers.get('content-type')?.includes('json') && text ? (JSON.parse(text) as { detail?: string }).detail : undefined;
    const what = `${route.method} ${path}`;
    expect({ what, status: res.status, detail }).toEqual({ what, status: res.status, detail: expect.not.stringMatching(new RegExp(`^(${EDGE_NOT_FOUND.replace(/\./g, '\\.')}|No route for)`)) });
    expect({ what, refusedMethod: res.status === 405, serverError: res.status >= 500 }).toEqual({ what, refusedMethod: false, serverError: false });
  }
});

test('paths the allowlist does not name are 404 at the edge; other methods are 405 with Allow', async () => {
  for (const path of ['/internal/products/export', '/internal/products/changes', '/internal/cart/ttl', '/dapr/subscribe', '/dapr/config', '/actors/CartActor/x/method/get', '/v1.0/metadata', '/nowhere', '/PRODUCTS']) {
    const res = await api('GET', path);
    expect({ path, status: res.status, detail: res.body?.detail }).toEqual({ path, status: 404, detail: EDGE_NOT_FOUND });
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  }
  const wrong = await api('DELETE', '/promotions');
  expect(wrong.status).toBe(405);
  expect(wrong.headers.get('allow')).toBe('GET, HEAD, POST');
  expect(wrong.headers.get('content-type')).toContain('application/problem+json');
});
