import type { AddressInfo } from 'node:net';
import http from 'node:http';
import net from 'node:net';
import pg from 'pg';
import { createHttpApp } from '../../kernel/http/app';
import { defineRoute } from '../../kernel/http/route';
import { Readiness } from '../../kernel/health';
import { createLogger } from '../../kernel/logger';
import { outageOf } from '../../kernel/problem';
import { Sidecar } from '../../kernel/dapr/sidecar';

/**
 * Outages become 503 problem+json with Retry-After, never a 500 "unexpected": PostgreSQL down,
 * restarting or out of connections (SQLSTATE 08xxx, 57P01, 57P03, 53300, refused connects,
 * node-postgres' "Connection terminated"), the sidecar unreachable, the state store behind it
 * failing. Each outage is logged at warn (once per burst), never as an error.
 */
const pgError = (code: string, message: string) => Object.assign(new Error(message), { code, severity: 'FATAL' });
const refused = (port: number) => Object.assign(new Error(`connect ECONNREFUSED 127.0.0.1:${port}`), { code: 'ECONNREFUSED', errno: -111, syscall: 'connect', address: '127.0.0.1', port });

const SYNTHETIC: Record<string, () => unknown> = {
  'admin-shutdown': () => pgError('57P01', 'terminating connection due to administrator command'),
  'cannot-connect-now': () => pgError('57P03', 'the database system is shutting down'),
  'too-many-connections': () => pgError('53300', 'sorry, too many clients already'),
  'connection-failure': () => pgError('08006', 'connection failure'),
  'connection-does-not-exist': () => pgError('08003', 'connection does not exist'),
  'terminated': () => new Error('Connection terminated unexpectedly'),
  'pool-timeout': () => new Error('timeout exceeded when trying to connect'),
  // Node's happy-eyeballs connect to "localhost": an AggregateError without a message.
  'aggregate-refused': () => Object.assign(new AggregateError([refused(5432), refused(5432)], ''), { code: 'ECONNREFUSED' }),
  'state-store': () => new Error('state save statestore/k failed: 500 {"errorCode":"ERR_STATE_SAVE","message":"dial tcp 127.0.0.1:16379: connect: connection refused"}'),
  'wrapped': () => new Error('could not load', { cause: pgError('57P01', 'terminating connection due to administrator command') }),
};

let server: http.Server;
let base: string;
let closedPort: number;
const lines: Array<{ level: string; msg: string; dependency?: string }> = [];

beforeAll(async () => {
  // A port with nothing listening: a real ECONNREFUSED for pg and for the sidecar client.
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));

  const logger = createLogger('unit', 'info');
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    for (const line of String(chunk).split('\n').filter(Boolean)) {
      try {
        lines.push(JSON.parse(line));
      } catch {
        // not a log line
      }
    }
    return true;
  });
  const pool = new pg.Pool({ host: '127.0.0.1', port: closedPort, user: 'x', password: 'x', database: 'x', connectionTimeoutMillis: 2000 });
  const sidecar = new Sidecar(closedPort, '127.0.0.1', undefined);
  const routes = [
    defineRoute({
      method: 'GET',
      path: '/boom/:kind',
      summary: 'fails as asked',
      access: 'public',
      params: { type: 'object', properties: { kind: { type: 'string' } }, required: ['kind'] } as const,
      responses: { 200: { description: 'never' } },
      handler: async ({ params }) => {
        if (params.kind === 'real-pg') await pool.query('SELECT 1');
        if (params.kind === 'real-sidecar') await sidecar.getState('statestore', 'k');
        if (params.kind === 'bug') throw new Error('a plain bug');
        if (params.kind === 'constraint') throw pgError('23505', 'duplicate key value violates unique constraint');
        throw SYNTHETIC[params.kind]!();
      },
    }),
  ];
  const app = createHttpApp({ logger, bodyLimitBytes: 1024, routes, readiness: new Readiness(200) });
  server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  afterAllHooks.push(() => pool.end());
});

const afterAllHooks: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const hook of afterAllHooks) await hook();
  await new Promise((resolve) => server.close(resolve));
  jest.restoreAllMocks();
});

test.each([...Object.keys(SYNTHETIC), 'real-pg', 'real-sidecar'])('%s is a 503 problem with Retry-After, not a 500', async (kind) => {
  const res = await fetch(`${base}/boom/${kind}`);
  expect(res.status).toBe(503);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(5);
  const body = (await res.json()) as { status: number; type: string; detail: string };
  expect(body).toMatchObject({ status: 503, type: 'https://problems.dapr-commerce.dev/dependency-unavailable' });
  expect(body.detail).not.toMatch(/ECONNREFUSED|57P|127\.0\.0\.1|administrator/); // no internals
});

test('the dependency is named: postgres for pg errors, dapr for the sidecar port and the state store', () => {
  expect(outageOf(SYNTHETIC['admin-shutdown']!())?.dependency).toBe('postgres');
  expect(outageOf(SYNTHETIC['too-many-connections']!())?.dependency).toBe('postgres');
  expect(outageOf(refused(3501), 3501)?.dependency).toBe('dapr');
  expect(outageOf(refused(15432), 3501, 0, 15432)?.dependency).toBe('postgres');
  expect(outageOf(refused(9999), 3501, 0, 15432)?.dependency).toBe('dependency');
  expect(outageOf(SYNTHETIC['state-store']!())?.dependency).toBe('dapr');
  expect(outageOf(new Error('a plain bug'))).toBeUndefined();
  expect(outageOf(pgError('23505', 'duplicate key'))).toBeUndefined();
  expect(outageOf(pgError('42P01', 'relation does not exist'))).toBeUndefined();
});

test('bugs and other database errors are still a logged 500', async () => {
  for (const kind of ['bug', 'constraint']) {
    const res = await fetch(`${base}/boom/${kind}`);
    expect(res.status).toBe(500);
    expect(res.headers.get('retry-after')).toBeNull();
  }
  expect(lines.filter((l) => l.level === 'error' && l.msg === 'unhandled error').length).toBeGreaterThanOrEqual(2);
});

test('a burst of outage failures is logged once at warn, never as an error', async () => {
  const started = Date.now();
  await Promise.all(Array.from({ length: 20 }, () => fetch(`${base}/boom/admin-shutdown`)));
  const warns = lines.filter((l) => l.msg === 'dependency unavailable: 503' && l.level === 'warn' && l.dependency === 'postgres');
  // Over a dozen postgres 503s in this file (and 20 more just now): one warn per 5 s window.
  expect(warns.length).toBeGreaterThanOrEqual(1);
  expect(warns.length).toBeLessThanOrEqual(1 + Math.ceil((Date.now() - started) / 5000));
  expect(lines.filter((l) => (l.level === 'error' || l.level === 'fatal') && l.msg !== 'unhandled error')).toEqual([]);
  expect(lines.filter((l) => l.msg === 'unhandled error').length).toBe(2); // the bug and the constraint only
});

test('readiness names the failed dependency and why, even when the error has no message', async () => {
  const readiness = new Readiness(200)
    .add('postgres', async () => {
      throw SYNTHETIC['aggregate-refused']!();
    })
    .add('statestore', async () => undefined);
  const report = await readiness.check();
  expect(report.ready).toBe(false);
  expect(report.checks.postgres).toMatchObject({ ok: false });
  expect(report.checks.postgres!.error).toMatch(/ECONNREFUSED/);
  expect(report.checks.statestore).toMatchObject({ ok: true });
});
