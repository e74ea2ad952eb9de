/**
 * The order app's sidecar killed with SIGKILL and started again, the order app left running:
 * the checkout sagas must resume by themselves. The SDK's workflow worker gives up on its
 * GetWorkItems stream at the first error after connecting (it never reconnects), so without
 * the workflow watchdog (kernel/dapr/workflow-watchdog.ts) no saga moves again until the app is
 * restarted, while /readyz kept answering 200. Here: /readyz must be 503 with the `workflows`
 * check failing while the sidecar is down, and every order — some waiting for their payment,
 * some mid-way (pending or reserved) when the sidecar died — ends paid or failed once paid by
 * webhook, with the same order process throughout.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { pgConfig } from '../../kernel/config';
import { api, signUp, signUpAdmin } from '../support/gateway';
import { eventually, waitForOk } from '../support/processes';
import { declineUntilFailed, paymentWebhook } from '../support/stripe';
import { findApp, relaunch, stop } from '../support/relaunch';

const ORDER_READYZ = 'http://127.0.0.1:8004/readyz';
const tag = Math.random().toString(36).slice(2, 8).toUpperCase();
const address = { recipient: 'Ada Lovelace', line1: '12 Analytical St', city: 'London', postal_code: 'N1 9GU', country: 'GB' };

let db: pg.Pool;
let admin = '';
let product = { id: '', sku: '' };

interface Customer {
  access: string;
}

async function getOrder(user: Customer, id: string): Promise<any> {
  const res = await api('GET', `/orders/${id}`, { token: user.access });
  if (res.status !== 200) throw new Error(`GET order ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

function orderReaches(user: Customer, id: string, statuses: string[], timeoutMs: number): Promise<any> {
  return eventually(
    async () => {
      const order = await getOrder(user, id);
      if (!statuses.includes(order.status)) throw new Error(`order ${id} is ${order.status}, waiting for ${statuses.join('|')}`);
      return order;
    },
    timeoutMs,
    `order ${id} ${statuses.join('|')}`,
  );
}


async function readyz(): Promise<{ status: number; body: any } | undefined> {
  try {
    const res = await fetch(ORDER_READYZ, { signal: AbortSignal.timeout(5000) });
    return { status: res.status, body: await res.json() };
  } catch {
    return undefined; // another engineer restarting the app: try again
  }
}

/** Alive and not a zombie (a killed sidecar nobody reaps stays one: kill(pid, 0) still succeeds). */
function running(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] !== 'Z';
  } catch {
    return false;
  }
}

beforeAll(async () => {
  await waitForOk(ORDER_READYZ, 60_000, 'order app');
  db = new pg.Pool({ ...pgConfig(), max: 2 });
  admin = (await signUpAdmin('sidecar-restart-admin')).access;
  const sku = `SR${tag}-MUG`;
  const created = await api('POST', '/products', { token: admin, body: { sku, name: 'Sidecar restart mug', base_price: '12.00', currency: 'USD' } });
  if (created.status !== 201) throw new Error(`create product failed: ${created.status} ${JSON.stringify(created.body)}`);
  product = { id: created.body.id, sku };
  const adjusted = await api('POST', `/inventory/${sku}/adjustments`, { token: admin, body: { location: 'wh-1', delta: 100, reason: 'receiving' } });
  if (adjusted.status !== 201) throw new Error(`stock failed: ${adjusted.status} ${JSON.stringify(adjusted.body)}`);
});

afterAll(async () => {
  await db?.end();
});

test('the order sidecar killed and started again: /readyz says so meanwhile, and every saga resumes without restarting the app', async () => {
  const customers = await Promise.all(Array.from({ length: 8 }, (_, i) => signUp(`sidecar-restart-${tag}-${i}`)));
  const place = (c: Customer) => api('POST', '/orders', { token: c.access, body: { items: [{ product_id: product.id, quantity: 1 }], shipping_address: address } });

  // Four sagas waiting for their payment...
  const waiting = await Promise.all(customers.slice(0, 4).map(place));
  expect(waiting.map((p) => p.status)).toEqual(Array(4).fill(202));
  await Promise.all(waiting.map((p, i) => orderReaches(customers[i]!, p.body.id, ['awaiting_payment'], 60_000)));
  // ...and four just started when the sidecar dies.
  const midway = await Promise.all(customers.slice(4).map(place));
  expect(midway.map((p) => p.status)).toEqual(Array(4).fill(202));
  const placed = [...waiting, ...midway];

  const before = findApp('order');
  try {
    await stop(before.sidecar, 'SIGKILL');
    const atKill = (await db.query('SELECT status FROM orders.orders WHERE id = ANY($1::uuid[])', [placed.map((p) => p.body.id)])).rows.map((r) => r.status);
    console.log(`order statuses when the order sidecar was killed: ${atKill.sort().join(', ')}`);

    // While it is down the app says it is not ready, and why: its workflow worker has no stream.
    const down = await eventually(async () => {
      const r = await readyz();
      return r?.status === 503 && r.body.checks.workflows?.ok === false ? r : undefined;
    }, 30_000, '/readyz 503 with the workflows check failing');
    console.log(`while the sidecar is down: workflows check says "${down.body.checks.workflows.error}"`);
    // The watchdog keeps trying (with back-off) while nothing answers: let it fail a few times.
    const retried = await eventually(async () => {
      const r = await readyz();
      const attempts = Number(/(\d+) attempts to reconnect/.exec(r?.body.checks.workflows?.error ?? '')?.[1] ?? 0);
      return r?.status === 503 && attempts >= 4 ? r : undefined;
    }, 30_000, 'the watchdog retrying');
    console.log(`before the sidecar comes back: "${retried.body.checks.workflows.error}"`);
  } finally {
    // Leave the stack as it was found, whatever happened above.
    if (!running(before.sidecar.pid)) relaunch(before.sidecar, 'order-daprd-after-sidecar-kill');
  }

  // Back: ready again, the workflows check included, and the same order process.
  const back = await eventually(async () => {
    const r = await readyz();
    return r?.status === 200 && r.body.checks.workflows?.ok === true ? r : undefined;
  }, 90_000, '/readyz 200 with the workflows check passing');
  expect(back.body.ready).toBe(true);
  expect(findApp('order').sidecar.pid).not.toBe(before.sidecar.pid);
  expect(findApp('order').app.pid).toBe(before.app.pid);

  // Every saga reaches its payment step again and, paid (or declined) by webhook, ends.
  const awaiting = await Promise.all(placed.map((p, i) => orderReaches(customers[i]!, p.body.id, ['awaiting_payment'], 120_000)));
  await Promise.all(awaiting.map((o, i) => (i % 2 === 0 ? paymentWebhook(o, 'succeeded') : declineUntilFailed(() => getOrder(customers[i]!, o.id), o))));
  const ends = await Promise.all(placed.map((p, i) => orderReaches(customers[i]!, p.body.id, ['paid', 'failed'], 120_000)));
  const outcomes = ends.map((o) => (o.status === 'paid' ? 'paid' : `failed:${o.failure_reason}`));
  const expected = ends.map((_, i) => (i % 2 === 0 ? 'paid' : 'failed:payment_declined'));
  // An order app started with a short payment window (checkout.test.ts runs one) may time some out first.
  const window = Number(before.app.env.ORDER_PAYMENT_TIMEOUT_SECONDS ?? 900);
  if (window >= 120) expect(outcomes).toEqual(expected);
  else outcomes.forEach((o, i) => expect([expected[i], 'failed:payment_timeout']).toContain(o));
  expect(findApp('order').app.pid).toBe(before.app.pid);

  // Stock: the paid ones committed, the failed ones released (nothing left reserved).
  const stock = (await api('GET', `/inventory/${product.sku}`)).body;
  expect(stock).toMatchObject({ on_hand: 100 - outcomes.filter((o) => o === 'paid').length, reserved: 0 });
}, 400_000);
