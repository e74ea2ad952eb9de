import type { AddressInfo } from 'node:net';
import http from 'node:http';
import { createHttpApp } from '../../kernel/http/app';
import { defineRoute } from '../../kernel/http/route';
import { Readiness } from '../../kernel/health';
import { createLogger } from '../../kernel/logger';
import { HttpProblem } from '../../kernel/problem';

let server: http.Server;
let base: string;
let dependencyUp = true;
const logged: string[] = [];

beforeAll(async () => {
  const logger = createLogger('unit', 'debug');
  // Capture log lines to prove secrets never reach them.
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    logged.push(String(chunk));
    return true;
  });
  const readiness = new Readiness(200).add('dependency', async () => {
    if (!dependencyUp) throw new Error('down');
  });
  const routes = [
    defineRoute({
      method: 'POST',
      path: '/items',
      summary: 'create',
      access: 'public',
      body: {
        type: 'object',
        properties: { sku: { type: 'string', minLength: 1 }, quantity: { type: 'integer', minimum: 1 } },
        required: ['sku', 'quantity'],
        additionalProperties: false,
      } as const,
      responses: { 201: { description: 'created' } },
      handler: async ({ body, ctx }) => {
        ctx.state.log.info({ password: 'hunter2-secret', token: 'eyJ.secret.token' }, 'creating');
        return { status: 201, body: { sku: body.sku, quantity: body.quantity } };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/items/:id',
      summary: 'read',
      access: 'public',
      params: { type: 'object', properties: { id: { type: 'string', format: 'uuid' } }, required: ['id'] } as const,
      responses: { 200: { description: 'item' } },
      handler: async ({ params }) => {
        if (params.id.startsWith('0')) throw new HttpProblem(409, 'conflict here');
        if (params.id.startsWith('f')) throw new Error('database exploded: password=abc');
        return { body: { id: params.id } };
      },
    }),
  ];
  const app = createHttpApp({ logger, bodyLimitBytes: 1024, routes, readiness });
  server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  jest.restoreAllMocks();
  await new Promise((resolve) => server.close(resolve));
});

const post = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  fetch(`${base}/items`, { method: 'POST', headers, body });

async function expectProblem(res: Response, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  const body = (await res.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ status, title: expect.any(String), type: expect.any(String) });
  return body;
}

describe('the HTTP skeleton every service shares', () => {
  test('a valid request passes validation and gets a request id', async () => {
    const res = await post('{"sku":"A-1","quantity":2}');
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ sku: 'A-1', quantity: 2 });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('keeps a well-formed incoming request id and replaces a hostile one', async () => {
    const kept = await fetch(`${base}/healthz`, { headers: { 'x-request-id': 'abc-123' } });
    expect(kept.headers.get('x-request-id')).toBe('abc-123');
    const replaced = await fetch(`${base}/healthz`, { headers: { 'x-request-id': 'a b<script>' } });
    expect(replaced.headers.get('x-request-id')).not.toBe('a b<script>');
  });

  test('malformed JSON is a 400 problem', async () => {
    await expectProblem(await post('{"sku":'), 400);
  });

  test('schema violations list every error with a JSON pointer', async () => {
    const body = await expectProblem(await post('{"quantity":0,"colour":"red"}'), 400);
    const pointers = (body.errors as Array<{ pointer: string }>).map((e) => e.pointer).sort();
    expect(pointers).toEqual(['/body/colour', '/body/quantity', '/body/sku']);
  });

  test('a body that is not JSON is 415, an oversized one 413', async () => {
    await expectProblem(await post('sku=a', { 'content-type': 'text/plain' }), 415);
    await expectProblem(await post(JSON.stringify({ sku: 'x'.repeat(2000), quantity: 1 })), 413);
  });

  test('bad path parameters are 400, unknown routes 404, wrong methods 405', async () => {
    await expectProblem(await fetch(`${base}/items/not-a-uuid`), 400);
    await expectProblem(await fetch(`${base}/nothing-here`), 404);
    await expectProblem(await fetch(`${base}/items`, { method: 'GET' }), 405);
  });

  test('a thrown HttpProblem keeps its status; an unexpected error is a 500 that leaks nothing', async () => {
    await expectProblem(await fetch(`${base}/items/0d6a2c6e-1a4e-4c1e-9d2a-1c2b3d4e5f60`), 409);
    const body = await expectProblem(await fetch(`${base}/items/fd6a2c6e-1a4e-4c1e-9d2a-1c2b3d4e5f60`), 500);
    expect(JSON.stringify(body)).not.toContain('exploded');
  });

  test('secrets in logged objects are redacted', async () => {
    await post('{"sku":"A-2","quantity":1}');
    const text = logged.join('');
    expect(text).toContain('creating');
    expect(text).not.toContain('hunter2-secret');
    expect(text).not.toContain('eyJ.secret.token');
  });

  test('readiness follows the dependencies; liveness does not', async () => {
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    dependencyUp = false;
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { checks: Record<string, { ok: boolean }> }).checks.dependency!.ok).toBe(false);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    dependencyUp = true;
  });

  test('exposes Prometheus metrics with the request histogram', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toContain('http_server_request_duration_seconds_bucket');
    expect(text).toContain('route="/items"');
  });
});
