/**
 * Bad input never becomes a 5xx: the kernel's body reader, request-target check and validation
 * answer every malformed request with a 4xx problem+json (type, title, status, detail, and
 * `errors` with JSON pointers where a part of the request is at fault), before a route runs.
 */
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import { createHttpApp } from '../../kernel/http/app';
import { defineRoute } from '../../kernel/http/route';
import { Readiness } from '../../kernel/health';
import { createLogger } from '../../kernel/logger';
import { inspectJson, MAX_JSON_DEPTH, unstorable } from '../../kernel/validation';

let server: http.Server;
let base: string;
const handled: unknown[] = [];

beforeAll(async () => {
  const routes = [
    defineRoute({
      method: 'POST',
      path: '/items',
      summary: 'create',
      access: 'public',
      body: {
        type: 'object',
        properties: {
          name: { type: 'string', maxLength: 100 },
          quantity: { type: 'integer', minimum: 1, maximum: 99 },
          tags: { type: 'array', maxItems: 5, items: { type: 'string', maxLength: 20 } },
          extra: { type: 'object' },
        },
        required: ['name'],
        additionalProperties: false,
      } as const,
      responses: { 201: { description: 'created' } },
      handler: async ({ body }) => {
        handled.push(body);
        return { status: 201, body };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/items/:id',
      summary: 'read',
      access: 'public',
      params: { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'] } as const,
      query: { type: 'object', properties: { q: { type: 'string', maxLength: 100 } }, additionalProperties: false } as const,
      responses: { 200: { description: 'item' } },
      handler: async ({ params, query }) => ({ body: { id: params.id, q: query.q ?? null } }),
    }),
  ];
  const app = createHttpApp({ logger: createLogger('bad-input', 'silent'), bodyLimitBytes: 64 * 1024, routes, readiness: new Readiness() });
  server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

/** Raw HTTP, so that bytes, methods and targets reach the server exactly as written. */
function raw(method: string, target: string, body?: Buffer | string, headers: Record<string, string> = {}): Promise<{ status: number; type: string; body: any }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
    const req = http.request(`${base}${target}`, { method, headers: { ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}), ...headers } });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          // keep the text
        }
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: parsed });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function expectProblem(res: Promise<{ status: number; type: string; body: any }>, status: number, pointer?: string) {
  const answer = await res;
  expect({ status: answer.status, type: answer.type }).toEqual({ status, type: expect.stringContaining('application/problem+json') });
  expect(answer.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String) });
  if (pointer) expect(answer.body.errors?.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
  return answer.body;
}

const post = (body: string | Buffer, headers?: Record<string, string>) => raw('POST', '/items', body, headers);

describe('JSON bodies', () => {
  test('NUL in a string at any depth, or in a property name, is a 400 with its pointer', async () => {
    await expectProblem(post('{"name":"a\\u0000b"}'), 400, '/body/name');
    await expectProblem(post('{"name":"x","extra":{"deep":[{"k":"\\u0000"}]}}'), 400, '/body/extra/deep/0/k');
    await expectProblem(post('{"name":"x","extra":{"a\\u0000":1}}'), 400, '/body/extra/a\u0000');
    expect(handled).toEqual([]);
  });

  test('an unpaired surrogate is a 400; other control characters are stored as sent', async () => {
    await expectProblem(post('{"name":"\\ud800"}'), 400, '/body/name');
    await expectProblem(post('{"name":"x\\udc00y"}'), 400, '/body/name');
    const ok = await post(JSON.stringify({ name: 'tab\tnew\nline\u001b[31m\u007f 😀' }));
    expect(ok.status).toBe(201);
    expect(ok.body.name).toBe('tab\tnew\nline\u001b[31m\u007f 😀');
  });

  test('10,000 nested arrays are a 400, not a stack overflow', async () => {
    const body = await expectProblem(post(`{"name":"x","extra":{"a":${'['.repeat(10_000)}${']'.repeat(10_000)}}}`), 400);
    expect(body.errors[0].detail).toMatch(/deeper/);
    expect(inspectJson(JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)))).toHaveLength(1);
    expect(inspectJson({ a: [[[{ b: 'ok' }]]] })).toEqual([]);
    let nested: unknown = 'leaf';
    for (let i = 0; i < MAX_JSON_DEPTH; i += 1) nested = [nested];
    expect(inspectJson(nested)).toEqual([]);
    expect(inspectJson([nested])).toHaveLength(1);
  });

  test('invalid JSON, bytes that are not UTF-8, the wrong media type or a compressed body are clean 4xx', async () => {
    await expectProblem(post('{"name":'), 400);
    await expectProblem(post('{"name": tru}'), 400);
    await expectProblem(post(Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d])), 400);
    await expectProblem(post('name=x', { 'content-type': 'application/x-www-form-urlencoded' }), 415);
    await expectProblem(post('{"name":"x"}', { 'content-type': 'text/plain' }), 415);
    await expectProblem(post('{"name":"x"}', { 'content-encoding': 'gzip' }), 415);
  });

  test('an empty body, a body that is not an object, wrong types, extra properties, numbers out of range: 400 with pointers', async () => {
    await expectProblem(raw('POST', '/items', undefined, { 'content-type': 'application/json', 'content-length': '0' }), 400, '/body/name');
    await expectProblem(post('[]'), 400, '/body');
    await expectProblem(post('"text"'), 400, '/body');
    await expectProblem(post('null'), 400, '/body');
    await expectProblem(post('{"name":1,"quantity":"2"}'), 400, '/body/quantity');
    await expectProblem(post('{"name":"x","quantity":1e309}'), 400, '/body/quantity');
    await expectProblem(post('{"name":"x","quantity":-1}'), 400, '/body/quantity');
    await expectProblem(post('{"name":"x","a/b~c":1}'), 400, '/body/a~1b~0c');
    await expectProblem(post('{"name":"x","__proto__":{"admin":true}}'), 400, '/body/__proto__');
  });

  test('a huge string is a 400 (schema) or a 413 (body limit), and a problem lists at most 50 violations', async () => {
    await expectProblem(post(JSON.stringify({ name: 'x'.repeat(10_000) })), 400, '/body/name');
    await expectProblem(post(JSON.stringify({ name: 'x'.repeat(100_000) })), 413);
    const many = await expectProblem(post(JSON.stringify({ name: 'x', tags: Array.from({ length: 2000 }, () => 1) })), 400);
    expect(many.errors.length).toBeLessThanOrEqual(50);
  });
});

describe('request targets', () => {
  test('a malformed percent-escape in the path is a 400, on a route and off one', async () => {
    await expectProblem(raw('GET', '/items/%E0%A4%A'), 400, '/path/2');
    await expectProblem(raw('GET', '/items/%zz'), 400, '/path/2');
    await expectProblem(raw('GET', '/nowhere/%C0%AF'), 400, '/path/2');
    await expectProblem(raw('POST', '/items%', '{"name":"x"}'), 400);
  });

  test('NUL or another control character in a path segment is a 400; other escapes decode', async () => {
    await expectProblem(raw('GET', '/items/%00'), 400, '/path/2');
    await expectProblem(raw('GET', '/items/a%01b'), 400, '/path/2');
    await expectProblem(raw('GET', '/items/a%7F'), 400, '/path/2');
    const ok = await raw('GET', '/items/caf%C3%A9%20%E2%9C%93');
    expect(ok).toMatchObject({ status: 200, body: { id: 'café ✓' } });
  });

  test('a malformed escape or a NUL in the query is a 400 pointing at the parameter; tabs are accepted', async () => {
    await expectProblem(raw('GET', '/items/a?q=%zz'), 400, '/query/q');
    await expectProblem(raw('GET', '/items/a?q=%E0%A4%A'), 400, '/query/q');
    await expectProblem(raw('GET', '/items/a?q=x%00y'), 400, '/query/q');
    await expectProblem(raw('GET', '/items/a?%zz=1'), 400, '/query');
    await expectProblem(raw('GET', '/items/a?nope=1'), 400, '/query/nope');
    expect(await raw('GET', '/items/a?q=a%09b+c')).toMatchObject({ status: 200, body: { q: 'a\tb c' } });
  });

  test('an unknown method is a 405 problem, not a 501', async () => {
    await expectProblem(raw('PROPFIND', '/items'), 405);
  });

  test('unstorable() names what is wrong', () => {
    expect(unstorable('fine\ttext')).toBeUndefined();
    expect(unstorable('a\u0000')).toMatch(/NUL/);
    expect(unstorable('\ud83d')).toMatch(/surrogate/);
    expect(unstorable('\ud83d\ude00')).toBeUndefined();
  });
});
