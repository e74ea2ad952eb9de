/**
 * Checkout end to end through the gateway: POST /orders starts the order saga (a Dapr
 * workflow in the order app) that reserves stock (inventory actors), redeems coupons
 * (promotions), opens a Stripe PaymentIntent (payment, stripe-mock) and waits for the payment
 * webhook. Every outcome is checked against the other services' own records: stock on hand
 * and reserved, coupon redemptions, payment rows and stripe-mock's request log.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { pgConfig } from '../../kernel/config';
import { api, sidecarHeaders, signUp, signUpAdmin, type JsonResponse } from '../support/gateway';
import { stockFigures } from '../support/inventory';
import { eventually, waitForOk } from '../support/processes';
import { declineCard, declinesOf, declineUntilFailed, intentCreationsFor, paymentWebhook } from '../support/stripe';
import { findApp, relaunch, stop, type Captured } from '../support/relaunch';

const tag = Math.random().toString(36).slice(2, 8).toUpperCase();
const SETTLED = ['paid', 'fulfilled', 'cancelled', 'failed', 'refunded'];
const address = { recipient: 'Ada Lovelace', line1: '12 Analytical St', city: 'London', postal_code: 'N1 9GU', country: 'GB' };

let db: pg.Pool;
let admin = '';
let alice: { id: string; access: string };
let bob: { id: string; access: string };
const products: Record<string, { id: string; sku: string }> = {};
const promotionIds: string[] = [];

async function createProduct(key: string, price: string, stock: number): Promise<void> {
  const sku = `CO${tag}-${key}`;
  const res = await api('POST', '/products', { token: admin, body: { sku, name: `Checkout ${key}`, base_price: price, currency: 'USD' } });
  if (res.status !== 201) throw new Error(`create product failed: ${res.status} ${JSON.stringify(res.body)}`);
  products[key] = { id: res.body.id, sku };
  if (stock > 0) {
    const adjusted = await api('POST', `/inventory/${sku}/adjustments`, { token: admin, body: { location: 'wh-1', delta: stock, reason: 'receiving' } });
    if (adjusted.status !== 201) throw new Error(`stock failed: ${adjusted.status} ${JSON.stringify(adjusted.body)}`);
  }
}

async function createCoupon(code: string, usageLimit: number | null, basisPoints = 1000): Promise<string> {
  const res = await api('POST', '/promotions', {
    token: admin,
    body: { code, name: `Checkout ${code}`, condition: { currency: 'USD' }, action: { type: 'percentage', basis_points: basisPoints }, usage_limit: usageLimit },
  });
  if (res.status !== 201) throw new Error(`create promotion failed: ${res.status} ${JSON.stringify(res.body)}`);
  promotionIds.push(res.body.id);
  return res.body.id;
}

const item = (key: string, quantity: number) => ({ product_id: products[key]!.id, quantity });

function placeOrder(user: { access: string }, items: unknown[], options: { key?: string; coupons?: string[] } = {}): Promise<JsonResponse> {
  return api('POST', '/orders', {
    token: user.access,
    body: { items, shipping_address: address, ...(options.coupons ? { coupon_codes: options.coupons } : {}) },
    headers: options.key ? { 'idempotency-key': options.key } : {},
  });
}

async function getOrder(user: { access: string }, id: string): Promise<any> {
  const res = await api('GET', `/orders/${id}`, { token: user.access });
  if (res.status !== 200) throw new Error(`GET order ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Polls the order until its status is one of `statuses`. */
function orderReaches(user: { access: string }, id: string, statuses: string[], timeoutMs = 60_000): Promise<any> {
  return eventually(async () => {
    const order = await getOrder(user, id);
    if (!statuses.includes(order.status)) throw new Error(`order ${id} is ${order.status}, waiting for ${statuses.join('|')}`);
    return order;
  }, timeoutMs);
}

/** Cancels an order before payment and waits until its saga has given everything back. */
async function cancelAndSettle(user: { access: string }, id: string): Promise<void> {
  const res = await api('POST', `/orders/${id}/cancel`, { token: user.access, body: {} });
  if (res.status !== 202 && res.status !== 409) throw new Error(`cancel ${res.status} ${JSON.stringify(res.body)}`);
  await orderReaches(user, id, SETTLED);
}

const stockOf = (key: string) => stockFigures(products[key]!.sku);

async function redemptionsOf(promotionId: string, orderId?: string): Promise<number> {
  const { rows } = await db.query(
    "SELECT count(*)::int AS n FROM promotions.redemptions WHERE promotion_id = $1 AND status = 'redeemed' AND ($2::text IS NULL OR order_id::text = $2)",
    [promotionId, orderId ?? null],
  );
  return rows[0].n;
}

async function paymentsOf(orderId: string): Promise<Array<{ status: string; amount_minor: string; refund_requested_minor: string | null }>> {
  return (await db.query('SELECT status, amount_minor, refund_requested_minor FROM payments.payments WHERE order_id = $1', [orderId])).rows;
}

beforeAll(async () => {
  db = new pg.Pool({ ...pgConfig(), max: 4 });
  admin = (await signUpAdmin('checkout-admin')).access;
  [alice, bob] = await Promise.all([signUp('checkout-alice'), signUp('checkout-bob')]);
  await createProduct('MUG', '25.00', 100);
  await createProduct('TEE', '10.00', 3);
  await createProduct('CAP', '7.50', 100);
  await createProduct('SOLD', '5.00', 0);
});

afterAll(async () => {
  for (const id of promotionIds) await api('PATCH', `/promotions/${id}`, { token: admin, body: { active: false }, headers: { 'if-match': '*' } });
  await db.end();
});

describe('placing orders', () => {
  test('a happy order ends paid: stock committed, the coupon counted once, one payment', async () => {
    const code = `HAPPY${tag}`;
    const promotion = await createCoupon(code, 100);
    const [mugBefore, capBefore] = [await stockOf('MUG'), await stockOf('CAP')];

    const placed = await placeOrder(alice, [item('MUG', 2), item('CAP', 1)], { coupons: [code], key: `happy-${tag}` });
    expect(placed.status).toBe(202);
    expect(placed.headers.get('location')).toBe(`/orders/${placed.body.id}`);
    expect(placed.body).toMatchObject({ status: 'pending', user_id: alice.id, currency: 'USD', subtotal: '57.50' });
    expect(placed.body.items.map((i: any) => [i.sku, i.quantity, i.unit_price])).toEqual([
      [products.MUG!.sku, 2, '25.00'],
      [products.CAP!.sku, 1, '7.50'],
    ]);
    // The customer sees their own order at once, in the list too.
    const list = await api('GET', '/orders', { token: alice.access });
    expect(list.body.items.map((o: any) => o.id)).toContain(placed.body.id);

    const awaiting = await orderReaches(alice, placed.body.id, ['awaiting_payment']);
    expect(awaiting).toMatchObject({ subtotal_minor: 5750, discount_minor: 575, total_minor: 5175, total: '51.75' });
    expect(awaiting.payment.client_secret).toEqual(expect.any(String));
    expect((await stockOf('MUG')).reserved - mugBefore.reserved).toBe(2);

    await paymentWebhook(awaiting, 'succeeded');
    const paid = await orderReaches(alice, placed.body.id, ['paid']);
    expect(paid.paid_at).toEqual(expect.any(String));
    expect(paid.payment.client_secret).toBeNull();
    expect(paid.history.filter((h: any) => h.to_status).map((h: any) => h.to_status)).toEqual(['pending', 'reserved', 'awaiting_payment', 'paid']);

    const [mugAfter, capAfter] = [await stockOf('MUG'), await stockOf('CAP')];
    expect(mugBefore.on_hand - mugAfter.on_hand).toBe(2);
    expect(capBefore.on_hand - capAfter.on_hand).toBe(1);
    expect(mugAfter.reserved).toBe(mugBefore.reserved);
    expect(await redemptionsOf(promotion)).toBe(1);
    expect(await paymentsOf(placed.body.id)).toEqual([expect.objectContaining({ status: 'succeeded', amount_minor: '5175' })]);

    // A duplicate webhook changes nothing.
    await paymentWebhook(awaiting, 'succeeded');
    await new Promise((r) => setTimeout(r, 500));
    expect((await getOrder(alice, placed.body.id)).status).toBe('paid');
  });

  test('a declined card leaves the order awaiting payment, the attempt on the order; the next card pays it', async () => {
    const placed = await placeOrder(alice, [item('MUG', 1)]);
    const awaiting = await orderReaches(alice, placed.body.id, ['awaiting_payment']);
    const declined = await declineCard(() => getOrder(alice, placed.body.id), awaiting);
    expect(declined.status).toBe('awaiting_payment');
    expect(declined.payment.client_secret).toBeTruthy(); // to confirm the same intent with another card
    expect(declined.payment.attempts).toEqual([expect.objectContaining({ outcome: 'declined', attempt: 1, detail: 'The card was declined.' })]);
    await paymentWebhook(declined, 'succeeded');
    const paid = await orderReaches(alice, placed.body.id, ['paid']);
    expect(paid.payment.attempts.map((a: any) => a.outcome)).toEqual(['declined', 'succeeded']);
    expect((await paymentsOf(placed.body.id)).map((p) => p.status)).toEqual(['succeeded']);
  });

  test('cards declined until the attempts are used up: failed; stock and coupon are restored and the intent is canceled', async () => {
    const code = `DECL${tag}`;
    const promotion = await createCoupon(code, 100);
    const before = await stockOf('MUG');
    const placed = await placeOrder(alice, [item('MUG', 3)], { coupons: [code] });
    const awaiting = await orderReaches(alice, placed.body.id, ['awaiting_payment']);
    expect(await redemptionsOf(promotion, placed.body.id)).toBe(1);

    await declineUntilFailed(() => getOrder(alice, placed.body.id), awaiting);
    const failed = await orderReaches(alice, placed.body.id, ['failed']);
    expect(declinesOf(failed)).toBe(Number(findApp('order').app.env.ORDER_PAYMENT_MAX_ATTEMPTS ?? 5));
    expect(failed.failure_reason).toBe('payment_declined');
    expect(await stockOf('MUG')).toEqual(before);
    expect(await redemptionsOf(promotion)).toBe(0);
    expect((await paymentsOf(placed.body.id)).map((p) => p.status)).toEqual(['canceled']);
  });

  test('an out-of-stock line fails the order; the other lines are released, no coupon or payment is taken', async () => {
    const code = `OOS${tag}`;
    const promotion = await createCoupon(code, 100);
    const [mugBefore, teeBefore] = [await stockOf('MUG'), await stockOf('TEE')];
    const placed = await placeOrder(bob, [item('MUG', 1), item('TEE', 4)], { coupons: [code] });
    expect(placed.status).toBe(202);
    const failed = await orderReaches(bob, placed.body.id, ['failed']);
    expect(failed.failure_reason).toBe('out_of_stock');
    expect(failed.failure_detail).toContain(products.TEE!.sku);
    expect(await stockOf('MUG')).toEqual(mugBefore);
    expect(await stockOf('TEE')).toEqual(teeBefore);
    expect(await redemptionsOf(promotion)).toBe(0);
    expect(await paymentsOf(placed.body.id)).toEqual([]);

    const never = await placeOrder(bob, [item('SOLD', 1)]);
    expect((await orderReaches(bob, never.body.id, ['failed'])).failure_reason).toBe('out_of_stock');
  });

  test('20 concurrent POSTs with one Idempotency-Key make one order and one PaymentIntent', async () => {
    const key = `same-${randomUUID()}`;
    const answers = await Promise.all(Array.from({ length: 20 }, () => placeOrder(bob, [item('CAP', 1)], { key })));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(202));
    const ids = new Set(answers.map((a) => a.body.id));
    expect(ids.size).toBe(1);
    const [id] = [...ids] as [string];
    expect((await db.query('SELECT count(*)::int AS n FROM orders.orders WHERE user_id = $1 AND idempotency_key = $2', [bob.id, key])).rows[0].n).toBe(1);

    await orderReaches(bob, id, ['awaiting_payment']);
    expect(await paymentsOf(id)).toHaveLength(1);
    const creations = intentCreationsFor(id);
    if (creations !== undefined) expect(creations).toBe(1);

    // A later repeat answers the same order; the same key for another order is refused.
    const repeat = await placeOrder(bob, [item('CAP', 1)], { key });
    expect(repeat.status).toBe(202);
    expect(repeat.body.id).toBe(id);
    expect(repeat.headers.get('idempotent-replayed')).toBe('true');
    const other = await placeOrder(bob, [item('CAP', 2)], { key });
    expect(other.status).toBe(422);
    expect(other.headers.get('content-type')).toContain('application/problem+json');
    // Another customer's identical key is their own order.
    const alices = await placeOrder(alice, [item('CAP', 1)], { key });
    expect(alices.body.id).not.toBe(id);
    await cancelAndSettle(bob, id);
    await cancelAndSettle(alice, alices.body.id);
  });

  test('a coupon with a global limit of 3 is redeemed by exactly 3 of 12 concurrent orders', async () => {
    const code = `LIM${tag}`;
    const promotion = await createCoupon(code, 3, 500);
    const customers = await Promise.all(Array.from({ length: 12 }, (_, i) => signUp(`checkout-limit-${i}`)));
    const placed = await Promise.all(customers.map((c) => placeOrder(c, [item('CAP', 1)], { coupons: [code] })));
    expect(placed.map((p) => p.status)).toEqual(Array(12).fill(202));
    const outcomes = await Promise.all(placed.map((p, i) => orderReaches(customers[i]!, p.body.id, ['awaiting_payment', 'failed'])));
    expect(outcomes.filter((o) => o.status === 'awaiting_payment')).toHaveLength(3);
    expect(outcomes.filter((o) => o.status === 'failed').map((o) => o.failure_reason)).toEqual(Array(9).fill('coupon_unavailable'));
    expect(await redemptionsOf(promotion)).toBe(3);
    for (const [i, o] of outcomes.entries()) if (o.status === 'awaiting_payment') await cancelAndSettle(customers[i]!, o.id);
  });

  test('bad requests get problem+json 4xx; other customers’ orders are not found', async () => {
    const bad = await api('POST', '/orders', { token: alice.access, body: { items: [], shipping_address: address } });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect((await api('POST', '/orders', { token: alice.access, body: { items: [item('MUG', 1)] } })).status).toBe(400);
    expect((await api('POST', '/orders', { body: { items: [item('MUG', 1)], shipping_address: address } })).status).toBe(401);
    const unknown = await placeOrder(alice, [{ product_id: randomUUID(), quantity: 1 }]);
    expect(unknown.status).toBe(422);
    const wrongSku = await placeOrder(alice, [{ ...item('MUG', 1), sku: 'NOT-A-VARIANT' }]);
    expect(wrongSku.status).toBe(422);
    const forBob = await api('POST', '/orders', { token: alice.access, body: { user_id: bob.id, items: [item('MUG', 1)], shipping_address: address } });
    expect(forBob.status).toBe(403);
    expect((await api('GET', `/orders/${randomUUID()}`, { token: alice.access })).status).toBe(404);
    expect((await api('GET', '/orders/not-a-uuid', { token: alice.access })).status).toBe(400);
    expect((await api('GET', '/orders?cursor=garbage', { token: alice.access })).status).toBe(400);
    const mine = await placeOrder(alice, [item('CAP', 1)]);
    expect((await api('GET', `/orders/${mine.body.id}`, { token: bob.access })).status).toBe(404);
    expect((await api('POST', `/orders/${mine.body.id}/cancel`, { token: bob.access, body: {} })).status).toBe(404);
    expect((await api('POST', `/orders/${mine.body.id}/fulfill`, { token: alice.access })).status).toBe(403);
    await cancelAndSettle(alice, mine.body.id);
  });
});

describe('after checkout', () => {
  test('cancel before payment releases everything; after payment it refunds; shipped orders cannot be cancelled', async () => {
    const code = `CANC${tag}`;
    const promotion = await createCoupon(code, 100);
    const before = await stockOf('CAP');
    const early = await placeOrder(alice, [item('CAP', 2)], { coupons: [code] });
    await orderReaches(alice, early.body.id, ['awaiting_payment']);
    const cancelling = await api('POST', `/orders/${early.body.id}/cancel`, { token: alice.access, body: { reason: 'changed my mind' } });
    expect(cancelling.status).toBe(202);
    const cancelled = await orderReaches(alice, early.body.id, ['cancelled']);
    expect(cancelled.history.map((h: any) => h.event)).toContain('cancel_requested');
    expect(await stockOf('CAP')).toEqual(before);
    expect(await redemptionsOf(promotion)).toBe(0);
    expect((await paymentsOf(early.body.id)).map((p) => p.status)).toEqual(['canceled']);

    const late = await placeOrder(alice, [item('CAP', 1)]);
    await paymentWebhook(await orderReaches(alice, late.body.id, ['awaiting_payment']), 'succeeded');
    await orderReaches(alice, late.body.id, ['paid']);
    const refunded = await api('POST', `/orders/${late.body.id}/cancel`, { token: alice.access, body: {} });
    expect(refunded.status).toBe(200);
    expect(refunded.body.status).toBe('cancelled');
    expect((await paymentsOf(late.body.id))[0]).toMatchObject({ status: 'refunded' });
    expect((await api('POST', `/orders/${late.body.id}/cancel`, { token: alice.access, body: {} })).status).toBe(200);

    const shipped = await placeOrder(alice, [item('CAP', 1)]);
    await paymentWebhook(await orderReaches(alice, shipped.body.id, ['awaiting_payment']), 'succeeded');
    await orderReaches(alice, shipped.body.id, ['paid']);
    expect((await api('POST', `/orders/${shipped.body.id}/fulfill`, { token: admin })).body.status).toBe('fulfilled');
    expect((await api('POST', `/orders/${shipped.body.id}/cancel`, { token: alice.access, body: {} })).status).toBe(409);
    const refund = await api('POST', `/orders/${shipped.body.id}/refund`, { token: admin, body: { reason: 'damaged' } });
    expect(refund.body.status).toBe('refunded');
    expect((await api('POST', `/orders/${shipped.body.id}/fulfill`, { token: admin })).status).toBe(409);
  });
});

describe('throughput (printed)', () => {
  test('60 checkouts by 10 concurrent customers: orders/s and latency from POST to paid', async () => {
    const customers = await Promise.all(Array.from({ length: 10 }, (_, i) => signUp(`checkout-load-${i}`)));
    const before = await stockOf('MUG');
    const perCustomer = 6;
    const latencies: number[] = [];
    const poll = async (user: { access: string }, id: string, status: string) => {
      for (;;) {
        const order = await getOrder(user, id);
        if (order.status === status) return order;
        if (SETTLED.includes(order.status)) throw new Error(`order ${id} ended ${order.status}: ${order.failure_detail}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const started = Date.now();
    await Promise.all(
      customers.map(async (customer) => {
        for (let i = 0; i < perCustomer; i++) {
          const t0 = Date.now();
          const placed = await placeOrder(customer, [item('MUG', 1)], { key: `load-${randomUUID()}` });
          if (placed.status !== 202) throw new Error(`POST /orders ${placed.status}`);
          await paymentWebhook(await poll(customer, placed.body.id, 'awaiting_payment'), 'succeeded');
          await poll(customer, placed.body.id, 'paid');
          latencies.push(Date.now() - t0);
        }
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)];
    console.log(`checkout: ${latencies.length} orders in ${seconds.toFixed(1)} s = ${(latencies.length / seconds).toFixed(1)} orders/s; POST→paid p50 ${at(50)} ms, p95 ${at(95)} ms, max ${at(100)} ms`);
    const after = await stockOf('MUG');
    expect(before.on_hand - after.on_hand).toBe(latencies.length);
    expect(after.reserved).toBe(before.reserved);
  });
});

describe('timeouts and crashes (the order app restarted with a 6 s payment timeout)', () => {
  let original: { app: Captured; sidecar: Captured };

  beforeAll(async () => {
    original = findApp('order');
    await stop(original.app);
    relaunch({ ...original.app, env: { ...original.app.env, ORDER_PAYMENT_TIMEOUT_SECONDS: '6', ORDER_RECOVERY_INTERVAL_MS: '1000', ORDER_STALLED_AFTER_SECONDS: '8' } }, 'order-app-short-timeout');
    await waitForOk('http://127.0.0.1:8004/readyz', 60_000, 'order app');
  });

  afterAll(async () => {
    const now = findApp('order');
    await stop(now.app);
    relaunch(original.app, 'order-app-restored');
    await waitForOk('http://127.0.0.1:8004/readyz', 60_000, 'order app');
  });

  test('an unpaid order times out: failed, stock and coupon restored, intent canceled; a late payment is refunded', async () => {
    const code = `TIME${tag}`;
    const promotion = await createCoupon(code, 100);
    const before = await stockOf('MUG');
    const placed = await placeOrder(bob, [item('MUG', 1)], { coupons: [code] });
    const awaiting = await orderReaches(bob, placed.body.id, ['awaiting_payment']);
    const failed = await orderReaches(bob, placed.body.id, ['failed'], 60_000);
    expect(failed.failure_reason).toBe('payment_timeout');
    expect(await stockOf('MUG')).toEqual(before);
    expect(await redemptionsOf(promotion)).toBe(0);
    expect((await paymentsOf(placed.body.id)).map((p) => p.status)).toEqual(['canceled']);

    // Stripe reports a success anyway (it raced the cancel): the customer is refunded, the order stays failed.
    await db.query("UPDATE payments.payments SET status = 'processing' WHERE order_id = $1", [placed.body.id]);
    await paymentWebhook(awaiting, 'succeeded');
    await eventually(async () => {
      const [payment] = await paymentsOf(placed.body.id);
      if (payment?.status !== 'refunded') throw new Error(`payment is ${payment?.status}`);
      return true;
    }, 30_000);
    const after = await getOrder(bob, placed.body.id);
    expect(after.status).toBe('failed');
    expect(after.history.map((h: any) => h.event)).toContain('late_payment_refunded');
  });

  test('killing the order app and its sidecar mid-checkout: every order still ends settled, stock and payments consistent', async () => {
    const before = await stockOf('CAP');
    const customers = await Promise.all(Array.from({ length: 8 }, (_, i) => signUp(`checkout-crash-${i}`)));
    const placed = await Promise.all(customers.map((c) => placeOrder(c, [item('CAP', 1)])));
    expect(placed.map((p) => p.status)).toEqual(Array(8).fill(202));
    // Pay the first half as soon as they can be paid, while the crash happens.
    const paying = placed.slice(0, 4).map(async (p, i) => paymentWebhook(await orderReaches(customers[i]!, p.body.id, ['awaiting_payment']), 'succeeded'));

    const running = findApp('order');
    await Promise.all([stop(running.app, 'SIGKILL'), stop(running.sidecar, 'SIGKILL')]);
    const atCrash = (await db.query('SELECT status FROM orders.orders WHERE id = ANY($1::uuid[])', [placed.map((p) => p.body.id)])).rows.map((r) => r.status);
    console.log(`order statuses when the order app and its sidecar were killed: ${atCrash.sort().join(', ')}`);
    relaunch(running.sidecar, 'order-daprd-after-crash');
    relaunch(running.app, 'order-app-after-crash');
    await Promise.all(paying);

    const ends = await Promise.all(placed.map((p, i) => orderReaches(customers[i]!, p.body.id, SETTLED, 90_000)));
    expect(ends.slice(0, 4).map((o) => o.status)).toEqual(['paid', 'paid', 'paid', 'paid']);
    expect(ends.slice(4).map((o) => [o.status, o.failure_reason])).toEqual(Array(4).fill(['failed', 'payment_timeout']));

    const after = await stockOf('CAP');
    expect(before.on_hand - after.on_hand).toBe(4);
    expect(after.reserved).toBe(before.reserved);
    for (const o of ends) {
      const payments = await paymentsOf(o.id);
      expect(payments).toHaveLength(1);
      expect(payments[0]!.status).toBe(o.status === 'paid' ? 'succeeded' : 'canceled');
    }
  });

  test('the recovery sweep starts a saga that never started, and runs again one whose workflow was terminated', async () => {
    // An order saved by a process that stopped before starting its saga.
    const before = await stockOf('MUG');
    const orphan = randomUUID();
    await db.query(
      `INSERT INTO orders.orders (id, user_id, status, currency, subtotal_minor, total_minor, created_at, updated_at)
       VALUES ($1, $2, 'pending', 'USD', 2500, 2500, now() - interval '1 minute', now() - interval '1 minute')`,
      [orphan, bob.id],
    );
    await db.query(
      `INSERT INTO orders.order_lines (order_id, line_no, product_id, sku, name, quantity, unit_price_minor, line_total_minor) VALUES ($1, 1, $2, $3, 'Checkout MUG', 1, 2500, 2500)`,
      [orphan, products.MUG!.id, products.MUG!.sku],
    );
    await orderReaches(bob, orphan, ['awaiting_payment'], 30_000);

    // A saga that died: its workflow terminated from outside while it waited for the payment.
    const placed = await placeOrder(bob, [item('MUG', 1)]);
    await orderReaches(bob, placed.body.id, ['awaiting_payment']);
    const terminated = await fetch(`http://127.0.0.1:3504/v1.0/workflows/dapr/${placed.body.id}/terminate`, { method: 'POST', headers: sidecarHeaders() });
    expect(terminated.status).toBe(202);

    const ends = await Promise.all([orphan, placed.body.id].map((id) => orderReaches(bob, id, SETTLED, 60_000)));
    expect(ends.map((o) => [o.status, o.failure_reason])).toEqual([['failed', 'payment_timeout'], ['failed', 'payment_timeout']]);
    expect(await stockOf('MUG')).toEqual(before);
    for (const o of ends) expect((await paymentsOf(o.id)).map((p) => p.status)).toEqual(['canceled']);
  });
});
