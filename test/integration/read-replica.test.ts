/**
 * Read-your-writes with the read replica (kernel/store/read-replica.ts, the hot standby that
 * scripts/infra/postgres.sh starts): 1,000 times a product is changed and read straight back
 * through the gateway, half the reads sending the X-Consistency-Token the write answered and
 * half sending none; for 200 of them the standby's WAL replay is paused, so it falls behind.
 * Not one read may show an older name. The catalog's own counters prove both paths ran: reads
 * served by the replica while it kept up, reads sent to the primary while it did not. Then the
 * same for a customer's order history while replay is paused again.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { api, signUp, signUpAdmin } from '../support/gateway';
import { ROOT, eventually } from '../support/processes';
import { BERLIN, productInStock } from '../support/shop';

const run = promisify(execFile);
const ROUNDS = 1000;
const PAUSED = { from: 300, to: 500 };

jest.setTimeout(600_000);

async function replay(action: 'pause' | 'resume'): Promise<void> {
  await run('bash', [path.join(ROOT, 'scripts/infra/postgres.sh'), `replica-${action}`], { env: process.env });
}

/** The catalog app's db_reads_routed_total, by target and reason. */
async function routedReads(port = 8001): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^db_reads_routed_total\{([^}]*)\} (\S+)$/gm)) {
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    out[`${labels.target}:${labels.reason}`] = (out[`${labels.target}:${labels.reason}`] ?? 0) + Number(m[2]);
  }
  return out;
}

const delta = (after: Record<string, number>, before: Record<string, number>, key: string) => (after[key] ?? 0) - (before[key] ?? 0);

let admin = '';
afterAll(() => replay('resume'));
beforeAll(async () => {
  if (!process.env.PG_REPLICA_PORT) throw new Error('PG_REPLICA_PORT is not set: the stack runs without its read replica (PG_REPLICA=0)');
  admin = (await signUpAdmin('replica-admin')).access;
});

test('1,000 writes each read straight back: none stale, with replay paused for 200 of them', async () => {
  const sku = `RYW-${Date.now().toString(36).toUpperCase()}`;
  const id = await productInStock(admin, sku, 'RYW 0', '5.00', 1);
  let etag = (await api('GET', `/products/${id}`, { token: admin })).headers.get('etag')!;
  const before = await routedReads();
  const stale: string[] = [];
  let tokens = 0;
  let duringPause: Record<string, number> = {};
  try {
    for (let i = 1; i <= ROUNDS; i++) {
      if (i === PAUSED.from) {
        await replay('pause');
        duringPause = await routedReads();
      }
      if (i === PAUSED.to) {
        duringPause = Object.fromEntries(Object.entries(await routedReads()).map(([k, v]) => [k, v - (duringPause[k] ?? 0)]));
        await replay('resume');
      }
      const written = await api('PATCH', `/products/${id}`, { token: admin, body: { name: `RYW ${i}` }, headers: { 'if-match': etag } });
      if (written.status !== 200) throw new Error(`PATCH ${i}: ${written.status} ${JSON.stringify(written.body)}`);
      etag = written.headers.get('etag')!;
      const token = written.headers.get('x-consistency-token');
      if (token) tokens += 1;
      // Even rounds send the token back; odd rounds send none (the server then reads fresh).
      const read = await api('GET', `/products/${id}`, { token: admin, headers: i % 2 === 0 && token ? { 'x-consistency-token': token } : {} });
      if (read.status !== 200 || read.body.name !== `RYW ${i}`) stale.push(`round ${i}: ${read.status} ${read.body?.name}`);
    }
  } finally {
    await replay('resume');
  }
  const after = await routedReads();
  console.log(`read-replica: ${ROUNDS} write-then-read, ${stale.length} stale; reads by target ${JSON.stringify(Object.fromEntries(Object.keys(after).map((k) => [k, delta(after, before, k)])))}; while paused ${JSON.stringify(duringPause)}`);
  expect(stale).toEqual([]);
  expect(tokens).toBe(ROUNDS);
  // Both paths were taken: the replica served reads while it kept up, the primary while it did not.
  expect(delta(after, before, 'replica:token')).toBeGreaterThan(ROUNDS / 4);
  expect(delta(after, before, 'replica:fresh')).toBeGreaterThan(ROUNDS / 4);
  expect(duringPause['primary:replica_behind'] ?? 0).toBeGreaterThanOrEqual(PAUSED.to - PAUSED.from);
});

test('a malformed consistency token is a 400 problem, at the edge and at the service', async () => {
  const res = await api('GET', '/products?page_size=1', { headers: { 'x-consistency-token': 'not-a-position' } });
  expect(res.status).toBe(400);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
});

test("a customer's new order is in their order history at once, with replay paused", async () => {
  const sku = `RYWO-${Date.now().toString(36).toUpperCase()}`;
  const productId = await productInStock(admin, sku, 'RYW order mug', '7.00', 50);
  const customer = await signUp('replica-orders');
  const before = await routedReads(8004);
  await replay('pause');
  try {
    for (let i = 0; i < 5; i++) {
      const placed = await api('POST', '/orders', {
        token: customer.access,
        body: { items: [{ product_id: productId, quantity: 1 }], shipping_address: BERLIN },
        headers: { 'idempotency-key': `ryw-${sku}-${i}` },
      });
      expect(placed.status).toBe(202);
      const token = placed.headers.get('x-consistency-token');
      expect(token).toBeTruthy();
      const listed = await api('GET', '/orders?limit=10', { token: customer.access, headers: i % 2 === 0 ? { 'x-consistency-token': token! } : {} });
      expect(listed.status).toBe(200);
      expect(listed.body.items.map((o: { id: string }) => o.id)).toContain(placed.body.id);
    }
  } finally {
    await replay('resume');
  }
  // Replay resumed: history reads go to the replica again.
  await eventually(async () => {
    await api('GET', '/orders?limit=10', { token: customer.access });
    return delta(await routedReads(8004), before, 'replica:fresh') > 0;
  }, 30_000, 'order history read from the replica');
});
