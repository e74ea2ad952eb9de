import type { AddressInfo } from 'node:net';
import http from 'node:http';
import Router from '@koa/router';
import { createHttpApp } from '../../../kernel/http/app';
import { Readiness } from '../../../kernel/health';
import { createLogger } from '../../../kernel/logger';
import { SidecarResponse, type Sidecar } from '../../../kernel/dapr/sidecar';
import { proxyToServices } from '../src/http/proxy';
import { ResponseCache } from '../src/http/response-cache';

/** The edge cache in front of the real proxy, in process; the sidecar is a fake that counts calls. */
const servers: http.Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

const PRODUCT = '/products/4c7c3f6e-0b1a-4d2a-9a3e-2f1f1f1f1f1f';

async function start(options: { capMs?: number; healthy?: () => boolean; delayMs?: number } = {}) {
  const calls: string[] = [];
  let version = 1;
  const sidecar = {
    async invoke(_appId: string, path: string, init: { method?: string }) {
      calls.push(`${init.method ?? 'GET'} ${path}`);
      if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
      if (init.method && init.method !== 'GET') version += 1;
      return new SidecarResponse(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=1', etag: `"v${version}"` }, Buffer.from(JSON.stringify({ version })));
    },
  } as unknown as Sidecar;
  const cache = new ResponseCache(options.capMs ?? 500, 100, options.healthy ? { matches: (p) => p.startsWith('/products/'), maxMs: 60_000, healthy: options.healthy } : undefined);
  const proxy = new Router();
  proxy.all(/^\/.*/, cache.middleware(), proxyToServices(sidecar, 1000, false));
  const app = createHttpApp({ logger: createLogger('cache-test', 'silent'), bodyLimitBytes: 1024, routes: [], readiness: new Readiness(), extraRouters: [proxy] });
  const server = http.createServer(app.callback());
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const get = async (path = PRODUCT, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, { headers });
    return { status: res.status, cache: res.headers.get('x-cache'), body: (await res.json()) as { version: number } };
  };
  const write = async (path = PRODUCT) => (await fetch(`${base}${path}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{}' })).status;
  return { calls, cache, get, write };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('edge cache', () => {
  test('anonymous reads share one upstream answer; signed-in and no-cache reads go upstream', async () => {
    const gw = await start();
    expect((await gw.get()).cache).toBeNull();
    expect((await gw.get()).cache).toBe('hit');
    expect((await gw.get(PRODUCT, { authorization: 'Bearer x' })).cache).toBeNull();
    expect((await gw.get(PRODUCT, { 'cache-control': 'no-cache' })).cache).toBeNull();
    expect(gw.calls).toHaveLength(3);
  });

  test('concurrent misses make one upstream call', async () => {
    const gw = await start({ delayMs: 30 });
    await Promise.all(Array.from({ length: 10 }, () => gw.get()));
    expect(gw.calls).toHaveLength(1);
  });

  test('without a healthy feed an answer lives capMs; with one it lives on until evicted', async () => {
    let healthy = false;
    const gw = await start({ capMs: 50, healthy: () => healthy });
    await gw.get();
    await sleep(80);
    expect((await gw.get()).cache).toBeNull();

    healthy = true;
    await sleep(80);
    expect((await gw.get()).cache).toBeNull(); // stored while the feed was down: short-lived
    await gw.get(PRODUCT, { 'cache-control': 'no-cache' }); // stored again, now long-lived
    await sleep(80);
    expect((await gw.get()).cache).toBe('hit');
    healthy = false;
    expect((await gw.get()).cache).toBeNull(); // the feed stopped: no answer older than capMs
    healthy = true;
    await gw.get();
    gw.cache.evict([PRODUCT]);
    expect((await gw.get()).cache).toBeNull();
  });

  test('an answer fetched before its path was evicted is not kept long', async () => {
    const gw = await start({ capMs: 50, healthy: () => true, delayMs: 40 });
    const slow = gw.get();
    await sleep(10);
    gw.cache.evict([PRODUCT]); // the change feed reports a change while the read is under way
    await slow;
    await sleep(80);
    expect((await gw.get()).cache).toBeNull();
  });

  test('a write through the gateway drops its path at once', async () => {
    const gw = await start({ healthy: () => true });
    expect((await gw.get()).body.version).toBe(1);
    expect(await gw.write()).toBe(200);
    const after = await gw.get();
    expect(after.cache).toBeNull();
    expect(after.body.version).toBe(2);
  });
});
