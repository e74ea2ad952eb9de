import type { AddressInfo } from 'node:net';
import http from 'node:http';
import { createHttpApp } from '../../kernel/http/app';
import { defineRoute } from '../../kernel/http/route';
import { Readiness } from '../../kernel/health';
import { createLogger } from '../../kernel/logger';
import { HttpProblem } from '../../kernel/problem';
import type { IdempotencyStore } from '../../kernel/http/idempotency';

/** The same first-write semantics as the Dapr state store, in memory (a shared map: several apps, one Redis). */
function memoryStore(map = new Map<string, unknown>(), secret?: string): IdempotencyStore & { size(): number } {
  return {
    secret,
    create: async (key, record) => (map.has(key) ? false : (map.set(key, structuredClone(record)), true)),
    read: async (key) => structuredClone(map.get(key)) as never,
    finish: async (key, record) => void map.set(key, structuredClone(record)),
    replace: async (key, expected, record) => ((map.get(key) as { sealed?: string } | undefined)?.sealed === expected.sealed ? (map.set(key, structuredClone(record)), true) : false),
    forget: async (key) => void map.delete(key),
    size: () => map.size,
  };
}

let server: http.Server;
let base: string;
let executions = 0;
let release: (() => void) | undefined;

beforeAll(async () => {
  const routes = [
    defineRoute({
      method: 'POST',
      path: '/things',
      summary: 'create',
      access: 'public',
      body: { type: 'object', properties: { n: { type: 'integer' }, slow: { type: 'boolean' }, fail: { enum: ['4xx', '5xx'] } }, additionalProperties: false } as const,
      responses: {},
      handler: async ({ body }) => {
        executions += 1;
        if (body.slow) await new Promise<void>((resolve) => (release = resolve));
        if (body.fail === '4xx') throw new HttpProblem(409, 'conflict');
        if (body.fail === '5xx') throw new Error('boom');
        return { status: 201, body: { n: body.n, execution: executions }, headers: { location: `/things/${executions}` } };
      },
    }),
  ];
  const app = createHttpApp({ logger: createLogger('idem', 'silent'), bodyLimitBytes: 4096, routes, readiness: new Readiness(), idempotency: memoryStore() });
  server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const post = (body: object, key?: string) =>
  fetch(`${base}/things`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
    body: JSON.stringify(body),
  });

describe('Idempotency-Key on mutating requests', () => {
  test('a repeat returns the first answer without running again', async () => {
    const first = await post({ n: 1 }, 'key-1');
    const again = await post({ n: 1 }, 'key-1');
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(await again.json()).toEqual(await first.json());
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    expect(again.headers.get('idempotent-replayed')).toBe('true');
  });

  test('the same key with a different body is 422', async () => {
    await post({ n: 2 }, 'key-2');
    const res = await post({ n: 3 }, 'key-2');
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });

  test('a repeat while the first is still running is 409 with Retry-After', async () => {
    const slow = post({ slow: true }, 'key-3');
    await new Promise((r) => setTimeout(r, 50));
    const during = await post({ slow: true }, 'key-3');
    expect(during.status).toBe(409);
    expect(during.headers.get('retry-after')).toBe('1');
    release!();
    expect((await slow).status).toBe(201);
  });

  test('a client error is replayed; a server error lets the client retry', async () => {
    const before = executions;
    expect((await post({ fail: '4xx' }, 'key-4')).status).toBe(409);
    const replay = await post({ fail: '4xx' }, 'key-4');
    expect(replay.status).toBe(409);
    expect(replay.headers.get('content-type')).toContain('application/problem+json');
    expect(executions - before).toBe(1);
    expect((await post({ fail: '5xx' }, 'key-5')).status).toBe(500);
    expect((await post({ fail: '5xx' }, 'key-5')).status).toBe(500);
    expect(executions - before).toBe(3);
  });

  test('two guests (different X-Cart-Id) with the same key and body do not share an answer', async () => {
    const before = executions;
    const asGuest = (cart: string) =>
      fetch(`${base}/things`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'same-key', 'x-cart-id': cart },
        body: '{"n":7}',
      });
    expect((await asGuest('cart-a')).headers.get('idempotent-replayed')).toBeNull();
    expect((await asGuest('cart-b')).headers.get('idempotent-replayed')).toBeNull();
    expect((await asGuest('cart-a')).headers.get('idempotent-replayed')).toBe('true');
    expect(executions - before).toBe(2);
  });

  test('requests without a key run every time; a malformed key is 400', async () => {
    const before = executions;
    await post({ n: 9 });
    await post({ n: 9 });
    expect(executions - before).toBe(2);
    expect((await post({ n: 9 }, 'bad key with spaces')).status).toBe(400);
  });
});

describe('Idempotency records never keep tokens in plain form', () => {
  const ACCESS = 'eyJhbGciOiJFZERTQSJ9.access-token-value.signature';
  const REFRESH = 'refresh-token-value-0123456789abcdefghij';
  const PASSWORD_SENT = 'correct horse battery staple';
  const redis = new Map<string, unknown>();
  const servers: http.Server[] = [];
  let signIns = 0;
  let limited = true;

  /** A sign-in-like route (its answer is credentials) and one that is rate-limited once, on an app over `redis`. */
  async function start(secret: string): Promise<string> {
    const routes = [
      defineRoute({
        method: 'POST',
        path: '/sign-in',
        summary: 'tokens',
        access: 'public',
        body: { type: 'object', properties: { password: { type: 'string' } }, additionalProperties: false } as const,
        responses: {},
        handler: async () => {
          signIns += 1;
          return { body: { access_token: ACCESS, refresh_token: REFRESH, n: signIns }, headers: { 'cache-control': 'no-store' } };
        },
      }),
      defineRoute({
        method: 'POST',
        path: '/limited',
        summary: '429 once',
        access: 'public',
        responses: {},
        handler: async () => {
          if (limited) {
            limited = false;
            throw new HttpProblem(429, 'slow down', { headers: { 'retry-after': '7' } });
          }
          return { status: 201, body: { ok: true } };
        },
      }),
    ];
    const app = createHttpApp({ logger: createLogger('idem-seal', 'silent'), bodyLimitBytes: 4096, routes, readiness: new Readiness(), idempotency: memoryStore(redis, secret) });
    const srv = http.createServer(app.callback());
    servers.push(srv);
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  }

  const send = (url: string, path: string, key: string, body?: object) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'idempotency-key': key, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });

  afterAll(async () => {
    await Promise.all(servers.map((srv) => new Promise((resolve) => srv.close(resolve))));
  });

  test('the stored record holds neither the tokens, the password, the key nor the caller; a repeat still gets the tokens', async () => {
    const url = await start('server-secret-one');
    const key = 'sign-in-key-1';
    const first = await send(url, '/sign-in', key, { password: PASSWORD_SENT });
    expect(first.status).toBe(200);
    const again = await send(url, '/sign-in', key, { password: PASSWORD_SENT });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(await first.json());
    expect(signIns).toBe(1);

    const stored = JSON.stringify([...redis.entries()]);
    expect(redis.size).toBeGreaterThan(0);
    for (const secret of [ACCESS, REFRESH, 'access-token-value', PASSWORD_SENT, key, 'anonymous', '/sign-in']) {
      expect(stored.includes(secret) ? secret : null).toBeNull();
    }
    // The fingerprint (an unsalted hash of the request, password included) is not stored in the clear either.
    expect(stored).not.toMatch(/[0-9a-f]{64}/);
  });

  test('the same key with another body is still 422', async () => {
    const url = await start('server-secret-one');
    await send(url, '/sign-in', 'sign-in-key-2', { password: PASSWORD_SENT });
    expect((await send(url, '/sign-in', 'sign-in-key-2', { password: 'another guess' })).status).toBe(422);
  });

  test('a record sealed under another server secret is not opened, and the request is not run again (409)', async () => {
    const one = await start('server-secret-one');
    const two = await start('server-secret-two');
    expect((await send(one, '/sign-in', 'sign-in-key-3', { password: PASSWORD_SENT })).status).toBe(200);
    const before = signIns;
    const elsewhere = await send(two, '/sign-in', 'sign-in-key-3', { password: PASSWORD_SENT });
    expect(elsewhere.status).toBe(409);
    expect(elsewhere.headers.get('content-type')).toContain('application/problem+json');
    expect(signIns).toBe(before);
  });

  test('a 429 is not kept: the repeat with the same key runs', async () => {
    const url = await start('server-secret-one');
    const first = await send(url, '/limited', 'limited-key');
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('7');
    const again = await send(url, '/limited', 'limited-key');
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
  });
});

describe('a record whose last write fails (the state store restarting)', () => {
  test('is written in the background: the repeat gets the stored answer, never a day of 409s, and the work ran once', async () => {
    const map = new Map<string, unknown>();
    const inner = memoryStore(map);
    let failFinishes = 1;
    const flaky: IdempotencyStore = {
      ...inner,
      finish: async (key, record) => {
        if (failFinishes-- > 0) throw new Error('state save statestore/k failed: 500 redis down');
        return inner.finish(key, record);
      },
    };
    let runs = 0;
    const route = defineRoute({
      method: 'POST', path: '/flaky', summary: 'create', access: 'public', responses: {},
      handler: async () => ({ status: 201, body: { run: ++runs } }),
    });
    const app = createHttpApp({ logger: createLogger('idem', 'silent'), bodyLimitBytes: 4096, routes: [route], readiness: new Readiness(), idempotency: flaky });
    const flakyServer = http.createServer(app.callback());
    await new Promise<void>((resolve) => flakyServer.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(flakyServer.address() as AddressInfo).port}/flaky`;
    const send = () => fetch(url, { method: 'POST', headers: { 'idempotency-key': 'flaky-1' } });
    try {
      const first = await send();
      expect(first.status).toBe(503); // the answer could not be stored: retry
      expect(first.headers.get('retry-after')).not.toBeNull();
      let again = await send();
      for (let i = 0; i < 50 && again.status === 409; i++) {
        expect(again.headers.get('retry-after')).not.toBeNull();
        await new Promise((resolve) => setTimeout(resolve, 100));
        again = await send();
      }
      expect(again.status).toBe(201);
      expect(await again.json()).toEqual({ run: 1 });
      expect(runs).toBe(1);
    } finally {
      await new Promise((resolve) => flakyServer.close(resolve));
    }
  });
});

describe('a key whose request died (its process killed mid-request)', () => {
  const lease = process.env.IDEMPOTENCY_LEASE_MS;
  beforeAll(() => void (process.env.IDEMPOTENCY_LEASE_MS = '300'));
  afterAll(() => void (lease === undefined ? delete process.env.IDEMPOTENCY_LEASE_MS : (process.env.IDEMPOTENCY_LEASE_MS = lease)));

  /** One app on a shared store; `dies` makes its handler hang and its renewals stop, as a killed process's would. */
  async function appOn(map: Map<string, unknown>, dies: boolean) {
    const inner = memoryStore(map);
    // A dead process writes nothing more: no renewal, no answer.
    const store: IdempotencyStore = dies ? { ...inner, finish: async () => undefined, replace: async () => false } : inner;
    let runs = 0;
    const route = defineRoute({
      method: 'POST', path: '/pay', summary: 'create', access: 'public', responses: {},
      handler: async () => {
        runs++;
        if (dies) await new Promise(() => undefined);
        return { status: 201, body: { run: runs } };
      },
    });
    const app = createHttpApp({ logger: createLogger('idem', 'silent'), bodyLimitBytes: 4096, routes: [route], readiness: new Readiness(), idempotency: store });
    const server = http.createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/pay`;
    return { send: (signal?: AbortSignal) => fetch(url, { method: 'POST', headers: { 'idempotency-key': 'died-1' }, signal }), runs: () => runs, close: () => new Promise((r) => server.close(r)) };
  }

  test('is 409 while its lease runs, then the repeat takes it over, runs once, and later repeats replay', async () => {
    const map = new Map<string, unknown>();
    const dead = await appOn(map, true);
    const alive = await appOn(map, false);
    const abandoned = new AbortController();
    try {
      void dead.send(abandoned.signal).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 50));
      expect((await alive.send()).status).toBe(409); // the lease still runs: maybe alive
      let answer = await alive.send();
      for (let i = 0; i < 50 && answer.status === 409; i++) {
        await new Promise((r) => setTimeout(r, 50));
        answer = await alive.send();
      }
      expect(answer.status).toBe(201);
      expect(alive.runs()).toBe(1);
      const replay = await alive.send();
      expect(replay.status).toBe(201);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(alive.runs()).toBe(1);
    } finally {
      abandoned.abort();
      await Promise.all([dead.close(), alive.close()]);
    }
  });

  test('a request that is still running keeps its key past the lease (it renews it)', async () => {
    const map = new Map<string, unknown>();
    const inner = memoryStore(map);
    let finishSlow: (() => void) | undefined;
    const route = defineRoute({
      method: 'POST', path: '/slow', summary: 'create', access: 'public', responses: {},
      handler: async () => {
        await new Promise<void>((resolve) => (finishSlow = resolve));
        return { status: 201, body: {} };
      },
    });
    const app = createHttpApp({ logger: createLogger('idem', 'silent'), bodyLimitBytes: 4096, routes: [route], readiness: new Readiness(), idempotency: inner });
    const server = http.createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slow`;
    const send = () => fetch(url, { method: 'POST', headers: { 'idempotency-key': 'slow-1' } });
    try {
      const first = send();
      await new Promise((r) => setTimeout(r, 1000)); // three leases
      expect((await send()).status).toBe(409);
      finishSlow!();
      expect((await first).status).toBe(201);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
