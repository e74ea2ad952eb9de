import net from 'node:net';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { serve, type RunningService } from '../../kernel/lifecycle';
import { Readiness } from '../../kernel/health';
import { createLogger } from '../../kernel/logger';

/** Sends raw bytes (no client library would send these) and reads the whole answer. */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(bytes));
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

let running: RunningService;
let port: number;

beforeAll(async () => {
  const app = new Koa();
  app.use((ctx) => {
    ctx.body = 'reached the app';
  });
  running = await serve({ app, port: 0, host: '127.0.0.1', logger: createLogger('test', 'silent'), readiness: new Readiness(), graceMs: 100, handleSignals: false });
  port = (running.server.address() as AddressInfo).port;
});

afterAll(() => running.stop());

test.each([
  ['a NUL in the request target', 'GET /products/\0x HTTP/1.1\r\nHost: x\r\n\r\n', 400],
  ['a raw tab in the request target', 'GET /products/\tx HTTP/1.1\r\nHost: x\r\n\r\n', 400],
  ['a header without a colon', 'GET / HTTP/1.1\r\nHost: x\r\nbroken header\r\n\r\n', 400],
  ['headers over the limit', `GET / HTTP/1.1\r\nHost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
])('%s is answered with a problem+json, before any middleware', async (_what, request, status) => {
  const answer = await raw(port, request);
  const [head, body] = answer.split('\r\n\r\n');
  expect(head).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
  expect(head!.toLowerCase()).toContain('content-type: application/problem+json');
  expect(JSON.parse(body!)).toMatchObject({ status, title: expect.any(String) });
  expect(answer).not.toContain('reached the app');
});
