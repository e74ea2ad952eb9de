/**
 * PostgreSQL down is an outage, not a bug: a catalog read and a write through the gateway
 * answer 503 problem+json with Retry-After (never 500 "unexpected"), the catalog's /readyz says
 * which dependency failed, and everything works again once PostgreSQL is back.
 *
 * This stops the stack's PostgreSQL for a few seconds (scripts/infra/postgres.sh stop), which
 * every service feels; it is always started again (finally, and afterAll as a safety net).
 * Waits are for conditions, never fixed sleeps.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { api, signUpAdmin } from '../support/gateway';
import { ROOT, eventually } from '../support/processes';

const CATALOG_APP = 'http://127.0.0.1:8001';
const tag = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`.toUpperCase();
const postgres = (command: 'stop' | 'start') =>
  execFileSync('bash', [path.join(ROOT, 'scripts/infra/postgres.sh'), command], { cwd: ROOT, stdio: 'pipe', timeout: 90_000 });

let admin = '';
let productId = '';
let stopped = false;

async function readiness(): Promise<{ status: number; checks: Record<string, { ok: boolean; error?: string }> }> {
  const res = await fetch(`${CATALOG_APP}/readyz`, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, checks: ((await res.json()) as { checks: Record<string, { ok: boolean; error?: string }> }).checks };
}

const read = () => api('GET', `/products/${productId}`, { headers: { 'cache-control': 'no-cache' } });
const write = (name: string) => api('POST', '/products', { token: admin, body: { sku: `OUTAGE${tag}-${name}`, name: `Outage ${name}`, base_price: 1 } });

function expectOutage(res: Awaited<ReturnType<typeof api>>): void {
  expect({ status: res.status, body: res.body }).toMatchObject({ status: 503, body: { status: 503 } });
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(5);
}

beforeAll(async () => {
  admin = (await signUpAdmin('outage-pg')).access;
  const created = await write('BEFORE');
  expect(created.status).toBe(201);
  productId = created.body.id;
  expect((await read()).status).toBe(200);
  expect((await readiness()).status).toBe(200);
});

afterAll(() => {
  if (stopped) postgres('start');
});

test('PostgreSQL stopped: catalog reads and writes are 503 with Retry-After, /readyz names postgres; back after the restart', async () => {
  const outage: Array<Awaited<ReturnType<typeof api>>> = [];
  try {
    stopped = true;
    postgres('stop');
    const report = await eventually(async () => {
      const r = await readiness();
      return r.status === 503 && !r.checks.postgres?.ok ? r : undefined;
    }, 15_000, 'catalog readiness reporting postgres down');
    expect(report.checks.postgres!.error).toBeTruthy();
    outage.push(await read(), await write('DURING'));
  } finally {
    postgres('start');
    stopped = false;
  }
  for (const res of outage) expectOutage(res);

  // Back: the catalog reconnects by itself (the pool makes new connections).
  await eventually(async () => (await readiness()).status === 200, 60_000, 'catalog ready again');
  const again = await eventually(async () => {
    const res = await read();
    return res.status === 200 ? res : undefined;
  }, 30_000, 'a catalog read through the gateway');
  expect(again.body).toMatchObject({ id: productId });
  const after = await eventually(async () => {
    const res = await write('AFTER');
    return res.status === 201 ? res : undefined;
  }, 30_000, 'a catalog write through the gateway');
  expect(after.body).toMatchObject({ name: 'Outage AFTER' });
}, 180_000);
