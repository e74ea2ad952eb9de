/**
 * An answer that breaks off between a service and the gateway — the app killed after its
 * status line (daprd has passed the status on and ends the body empty), or the connection
 * dropped mid-body — is a 503 with Retry-After at the edge, never a 2xx without its content
 * nor a 500: the client retries with its Idempotency-Key. A real 204 passes through.
 */
import http from 'node:http';
import { listen as listenOn } from './support/listen';
import Router from '@koa/router';
import { createHttpApp } from '../../../kernel/http/app';
import { Readiness } from '../../../kernel/health';
import { createLogger } from '../../../kernel/logger';
import { Sidecar } from '../../../kernel/dapr/sidecar';
import { proxyToServices } from '../src/http/proxy';

const servers: http.Server[] = [];
let gateway = '';
let mode: 'empty-200' | 'cut-mid-body' | 'no-content' = 'empty-200';

const listen = (server: http.Server) => listenOn(server, servers);

beforeAll(async () => {
  const daprd = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (mode === 'no-content') {
        res.writeHead(204).end();
      } else if (mode === 'empty-200') {
        res.writeHead(200, { 'content-type': 'application/json' }).end();
      } else {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"id":');
        setImmediate(() => res.socket?.destroy());
      }
    });
  });
  const proxy = new Router();
  proxy.all(/^\/.*/, proxyToServices(new Sidecar(await listen(daprd)), 1000, false));
  const app = createHttpApp({ logger: createLogger('gateway-test', 'silent'), bodyLimitBytes: 64 * 1024, routes: [], readiness: new Readiness(), middleware: [], extraRouters: [proxy], serveMetrics: false });
  gateway = `http://127.0.0.1:${await listen(http.createServer(app.callback()))}`;
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

test.each(['empty-200', 'cut-mid-body'] as const)('an answer cut off (%s) is 503 with Retry-After', async (how) => {
  mode = how;
  const res = await fetch(`${gateway}/products`);
  expect(res.status).toBe(503);
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
});

test('a 204 is passed on as it is', async () => {
  mode = 'no-content';
  const res = await fetch(`${gateway}/products`);
  expect(res.status).toBe(204);
});
