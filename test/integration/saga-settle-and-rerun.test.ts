/**
 * The checkout saga on the running stack where it settles and where it runs again: a two-line
 * order whose second reservation is gone when the payment arrives gives every unit back (none
 * stays committed) and is refunded; a saga that died after the payment succeeded is run again by
 * the recovery sweep and ends paid from the payment service's record, with no event to wait for.
 */
import pg from 'pg';
import { pgConfig } from '../../kernel/config';
import { api, sidecarHeaders, signUp, signUpAdmin } from '../support/gateway';
import { stockFigures } from '../support/inventory';
import { eventually } from '../support/processes';
import { sendWebhook, stripeEvent } from '../support/stripe';
import { findApp } from '../support/relaunch';

/** The running order app's payment window (ORDER_PAYMENT_TIMEOUT_SECONDS, 900 s unless a suite started it shorter). */
const paymentWindowSeconds = () => Number(findApp('order').app.env.ORDER_PAYMENT_TIMEOUT_SECONDS ?? 900);

const tag = Math.random().toString(36).slice(2, 8).toUpperCase();
const ORDER_SIDECAR = 'http://127.0.0.1:3504';
const address = { recipient: 'Ada Lovelace', line1: '12 Analytical St', city: 'London', postal_code: 'N1 9GU', country: 'GB' };

let db: pg.Pool;
let admin = '';
let carol: { id: string; access: string };
const products: Record<string, { id: string; sku: string }> = {};

async function createProduct(key: string, price: string, stock: number): Promise<void> {
  const sku = `SG${tag}-${key}`;
  const res = await api('POST', '/products', { token: admin, body: { sku, name: `Saga ${key}`, base_price: price, currency: 'USD' } });
  if (res.status !== 201) throw new Error(`create product failed: ${res.status} ${JSON.stringify(res.body)}`);
  products[key] = { id: res.body.id, sku };
  const adjusted = await api('POST', `/inventory/${sku}/adjustments`, { token: admin, body: { location: 'wh-1', delta: stock, reason: 'receiving' } });
  if (adjusted.status !== 201) throw new Error(`stock failed: ${adjusted.status} ${JSON.stringify(adjusted.body)}`);
}

const item = (key: string, quantity: number) => ({ product_id: products[key]!.id, quantity });
const stockOf = (key: string) => stockFigures(products[key]!.sku);
const paymentsOf = async (orderId: string) => (await db.query('SELECT status FROM payments.payments WHERE order_id = $1', [orderId])).rows.map((r) => r.status);

async function orderReaches(id: string, statuses: string[], timeoutMs = 60_000): Promise<any> {
  return eventually(async () => {
    const res = await api('GET', `/orders/${id}`, { token: carol.access });
    if (res.status !== 200) throw new Error(`GET order ${res.status}`);
    if (!statuses.includes(res.body.status)) throw new Error(`order ${id} is ${res.body.status}, waiting for ${statuses.join('|')}`);
    return res.body;
  }, timeoutMs);
}

async function placeAwaiting(items: unknown[]): Promise<any> {
  const placed = await api('POST', '/orders', { token: carol.access, body: { items, shipping_address: address } });
  if (placed.status !== 202) throw new Error(`POST /orders ${placed.status} ${JSON.stringify(placed.body)}`);
  return orderReaches(placed.body.id, ['awaiting_payment']);
}

beforeAll(async () => {
  db = new pg.Pool({ ...pgConfig(), max: 2 });
  admin = (await signUpAdmin('saga-admin')).access;
  carol = await signUp('saga-carol');
  // SKU order is the saga's order: A is committed first, B second.
  await createProduct('A', '20.00', 10);
  await createProduct('B', '5.00', 10);
});

afterAll(async () => {
  await db.end();
});

test('a two-line order whose second reservation is gone at payment ends refunded with BOTH lines back on hand', async () => {
  const before = { A: await stockOf('A'), B: await stockOf('B') };
  const awaiting = await placeAwaiting([item('A', 2), item('B', 1)]);
  expect((await stockOf('A')).reserved - before.A.reserved).toBe(2);

  // B's reservation ends before the customer pays (as if it had expired): released as the order service would.
  const released = await api('POST', `/v1.0/invoke/inventory/method/internal/inventory/${products.B!.sku}/reservations/${awaiting.id}/release`, { base: ORDER_SIDECAR, headers: sidecarHeaders() });
  expect(released.status).toBe(200);

  const res = await sendWebhook(stripeEvent('payment_intent.succeeded', { id: awaiting.payment.intent_id, payment_id: awaiting.payment.payment_id, status: 'succeeded' }, Math.floor(Date.now() / 1000)));
  expect(res.status).toBe(200);
  const failed = await orderReaches(awaiting.id, ['failed']);
  expect(failed.failure_reason).toBe('reservation_expired');
  expect(failed.failure_detail).toContain(products.B!.sku);

  // A was committed, then given back by settle; B was released: nothing lost, nothing held.
  expect(await stockOf('A')).toEqual(before.A);
  expect(await stockOf('B')).toEqual(before.B);
  await eventually(async () => {
    const statuses = await paymentsOf(awaiting.id);
    if (statuses.join() !== 'refunded') throw new Error(`payments are ${statuses.join()}`);
    return true;
  }, 30_000);
  const { rows } = await db.query("SELECT reason, delta_on_hand FROM inventory.ledger WHERE order_id = $1 AND sku = $2 AND reason IN ('commit', 'return') ORDER BY id", [awaiting.id, products.A!.sku]);
  expect(rows.map((r) => [r.reason, Number(r.delta_on_hand)])).toEqual([['commit', -2], ['return', 2]]);
});

test('a saga re-run after its payment succeeded ends paid from the payment record, with no second webhook', async () => {
  const before = await stockOf('A');
  const awaiting = await placeAwaiting([item('A', 1)]);

  // The run dies while it waits; meanwhile the payment succeeds and its event is gone with the
  // dead run (here: the payment service's record changes and no event is sent at all).
  const terminated = await fetch(`${ORDER_SIDECAR}/v1.0/workflows/dapr/${awaiting.id}/terminate`, { method: 'POST', headers: sidecarHeaders() });
  expect(terminated.status).toBe(202);
  await db.query("UPDATE payments.payments SET status = 'succeeded', updated_at = now() WHERE order_id = $1", [awaiting.id]);
  // Quiet for longer than ORDER_STALLED_AFTER_SECONDS: the recovery sweep's next pass runs the saga again.
  await db.query("UPDATE orders.orders SET updated_at = now() - interval '3 hours' WHERE id = $1", [awaiting.id]);

  const paid = await orderReaches(awaiting.id, ['paid', 'failed', 'cancelled'], 90_000);
  expect(paid.status).toBe('paid');
  const { rows } = await db.query('SELECT workflow_run FROM orders.orders WHERE id = $1', [awaiting.id]);
  expect(rows[0].workflow_run).toBeGreaterThan(1);
  // Settled from the payment record, not by the re-run's payment timeout (where cancelling a
  // succeeded intent would also end paid): paid before that window could have ended.
  const history = (await db.query("SELECT event, to_status, at FROM orders.order_events WHERE order_id = $1 AND (event = 'saga_restarted' OR to_status = 'paid') ORDER BY id", [awaiting.id])).rows;
  const restartedAt = history.find((h) => h.event === 'saga_restarted')!.at.getTime();
  const paidAt = history.find((h) => h.to_status === 'paid')!.at.getTime();
  expect(paidAt - restartedAt).toBeLessThan(paymentWindowSeconds() * 1000);
  const after = await stockOf('A');
  expect(before.on_hand - after.on_hand).toBe(1);
  expect(after.reserved).toBe(before.reserved);
  expect(await paymentsOf(awaiting.id)).toEqual(['succeeded']);
});
