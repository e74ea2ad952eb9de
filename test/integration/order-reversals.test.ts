/**
 * Cancels after payment, returns and their races, end to end through the gateway and checked
 * against the other services' own records (stock on hand, coupon redemptions, payment rows):
 * a paid order cancelled gives back its money, its stock and its coupon use; a cancel racing a
 * fulfil has exactly one winner; a cancel whose order app is killed mid-way resumes and
 * finishes; a return refunds its lines' share once per Idempotency-Key.
 */
import pg from 'pg';
import { pgConfig } from '../../kernel/config';
import { api, signUp, signUpAdmin, type JsonResponse } from '../support/gateway';
import { stockFigures } from '../support/inventory';
import { eventually, waitForOk } from '../support/processes';
import { sendWebhook, stripeEvent } from '../support/stripe';
import { findApp, relaunch, stop } from '../support/relaunch';

const tag = Math.random().toString(36).slice(2, 8).toUpperCase();
const address = { recipient: 'Ada Lovelace', line1: '12 Analytical St', city: 'London', postal_code: 'N1 9GU', country: 'GB' };

let db: pg.Pool;
let admin = '';
let alice: { id: string; access: string };
const products: Record<string, { id: string; sku: string }> = {};
const promotionIds: string[] = [];

async function createProduct(key: string, price: string, stock: number): Promise<void> {
  const sku = `RV${tag}-${key}`;
  const res = await api('POST', '/products', { token: admin, body: { sku, name: `Reversal ${key}`, base_price: price, currency: 'USD' } });
  if (res.status !== 201) throw new Error(`create product failed: ${res.status} ${JSON.stringify(res.body)}`);
  products[key] = { id: res.body.id, sku };
  const adjusted = await api('POST', `/inventory/${sku}/adjustments`, { token: admin, body: { location: 'wh-1', delta: stock, reason: 'receiving' } });
  if (adjusted.status !== 201) throw new Error(`stock failed: ${adjusted.status} ${JSON.stringify(adjusted.body)}`);
}

async function createCoupon(code: string): Promise<string> {
  const res = await api('POST', '/promotions', {
    token: admin,
    body: { code, name: `Reversal ${code}`, condition: { currency: 'USD' }, action: { type: 'percentage', basis_points: 1000 }, usage_limit: 100 },
  });
  if (res.status !== 201) throw new Error(`create promotion failed: ${res.status} ${JSON.stringify(res.body)}`);
  promotionIds.push(res.body.id);
  return res.body.id;
}

const item = (key: string, quantity: number) => ({ product_id: products[key]!.id, quantity });

async function getOrder(id: string): Promise<any> {
  const res = await api('GET', `/orders/${id}`, { token: alice.access });
  if (res.status !== 200) throw new Error(`GET order ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

function orderReaches(id: string, statuses: string[], timeoutMs = 60_000): Promise<any> {
  return eventually(async () => {
    const order = await getOrder(id);
    if (!statuses.includes(order.status)) throw new Error(`order ${id} is ${order.status}, waiting for ${statuses.join('|')}; reversals ${JSON.stringify(order.reversals?.map((r: any) => r.last_error))}`);
    return order;
  }, timeoutMs);
}

/** Places an order and pays it (the Stripe webhook), waiting until it is paid. */
async function paidOrder(items: unknown[], coupons?: string[]): Promise<any> {
  const placed = await api('POST', '/orders', { token: alice.access, body: { items, shipping_address: address, ...(coupons ? { coupon_codes: coupons } : {}) } });
  if (placed.status !== 202) throw new Error(`place ${placed.status} ${JSON.stringify(placed.body)}`);
  const awaiting = await orderReaches(placed.body.id, ['awaiting_payment']);
  const event = stripeEvent('payment_intent.succeeded', { id: awaiting.payment.intent_id, payment_id: awaiting.payment.payment_id, status: 'succeeded' }, Math.floor(Date.now() / 1000));
  const res = await sendWebhook(event);
  if (res.status !== 200) throw new Error(`webhook ${res.status} ${JSON.stringify(res.body)}`);
  return orderReaches(placed.body.id, ['paid']);
}

const stockOf = (key: string) => stockFigures(products[key]!.sku);

async function redemptionsOf(promotionId: string, orderId: string): Promise<number> {
  const { rows } = await db.query("SELECT count(*)::int AS n FROM promotions.redemptions WHERE promotion_id = $1 AND status = 'redeemed' AND order_id::text = $2", [promotionId, orderId]);
  return rows[0].n;
}

async function paymentsOf(orderId: string): Promise<Array<{ status: string; amount_minor: string; refund_requested_minor: string | null; refunded_minor: string | null }>> {
  return (await db.query('SELECT status, amount_minor, refund_requested_minor, refunded_minor FROM payments.payments WHERE order_id = $1', [orderId])).rows;
}

const cancel = (id: string) => api('POST', `/orders/${id}/cancel`, { token: alice.access, body: { reason: 'changed my mind' } });
const fulfil = (id: string) => api('POST', `/orders/${id}/fulfill`, { token: admin });
const returns = (id: string, key: string | undefined, body: unknown) => api('POST', `/orders/${id}/returns`, { token: admin, body, headers: key ? { 'idempotency-key': key } : {} });

beforeAll(async () => {
  db = new pg.Pool({ ...pgConfig(), max: 4 });
  admin = (await signUpAdmin('reversal-admin')).access;
  alice = await signUp('reversal-alice');
  await createProduct('TEN', '20.00', 10);
  await createProduct('MUG', '25.00', 100);
  await createProduct('CAP', '7.50', 100);
});

afterAll(async () => {
  for (const id of promotionIds) await api('PATCH', `/promotions/${id}`, { token: admin, body: { active: false }, headers: { 'if-match': '*' } });
  await db.end();
});

describe('cancel after payment', () => {
  test('an order of 3 units, paid then cancelled: refunded, the 3 units back on hand, the coupon use released', async () => {
    const code = `ACC${tag}`;
    const promotion = await createCoupon(code);
    const order = await paidOrder([item('TEN', 3)], [code]);
    expect(await stockOf('TEN')).toMatchObject({ on_hand: 7, reserved: 0 });
    expect(await redemptionsOf(promotion, order.id)).toBe(1);

    const cancelled = await cancel(order.id);
    expect([200, 202]).toContain(cancelled.status);
    const ended = cancelled.status === 200 ? cancelled.body : await orderReaches(order.id, ['cancelled']);
    expect(ended).toMatchObject({ status: 'cancelled', refunded_minor: order.total_minor, total_minor: 5400 });
    expect(ended.reversals).toEqual([expect.objectContaining({ kind: 'cancel', amount_minor: 5400, refunded: true, restocked: [products.TEN!.sku], promotions_released: true })]);
    expect(ended.history.filter((h: any) => h.to_status).map((h: any) => h.to_status)).toEqual(['pending', 'reserved', 'awaiting_payment', 'paid', 'cancelling', 'cancelled']);

    expect(await stockOf('TEN')).toMatchObject({ on_hand: 10, reserved: 0 });
    expect(await redemptionsOf(promotion, order.id)).toBe(0);
    expect(await paymentsOf(order.id)).toEqual([expect.objectContaining({ status: 'refunded', refund_requested_minor: '5400' })]);

    // Repeats answer the cancelled order; nothing is refunded or restocked twice.
    const again = await Promise.all([cancel(order.id), cancel(order.id)]);
    expect(again.map((a) => [a.status, a.body.status])).toEqual([[200, 'cancelled'], [200, 'cancelled']]);
    expect(await stockOf('TEN')).toMatchObject({ on_hand: 10 });
    expect((await fulfil(order.id)).status).toBe(409);
  });

  test('a cancel racing a fulfil: exactly one wins, and an order is never both refunded and shipped', async () => {
    const orders = await Promise.all(Array.from({ length: 6 }, () => paidOrder([item('CAP', 1)])));
    const winners: string[] = [];
    for (const [i, order] of orders.entries()) {
      // One sent 0–40 ms after the other, each way round, so that either can take the row first.
      const later = <T>(ms: number, send: () => Promise<T>) => new Promise((r) => setTimeout(r, ms)).then(send);
      const [c, f] = i < 3
        ? await Promise.all([cancel(order.id), later((i % 3) * 20, () => fulfil(order.id))])
        : await Promise.all([later((i % 3) * 20, () => cancel(order.id)), fulfil(order.id)]);
      const cancelWon = c.status === 200 || c.status === 202;
      const fulfilWon = f.status === 200;
      winners.push(cancelWon ? 'cancel' : 'fulfil');
      expect({ cancel: c.status, fulfil: f.status, one_winner: cancelWon !== fulfilWon }).toEqual({ cancel: c.status, fulfil: f.status, one_winner: true });
      expect(cancelWon ? f.status : c.status).toBe(409);
      const [payment] = await paymentsOf(order.id);
      if (fulfilWon) {
        expect((await getOrder(order.id)).status).toBe('fulfilled');
        expect(payment).toMatchObject({ status: 'succeeded', refund_requested_minor: null });
      } else {
        expect(['cancelling', 'cancelled']).toContain((await getOrder(order.id)).status);
        expect((await orderReaches(order.id, ['cancelled'])).refunded_minor).toBe(order.total_minor);
        expect((await paymentsOf(order.id))[0]).toMatchObject({ status: 'refunded' });
        // A fulfil after the cancel won is refused too.
        expect((await fulfil(order.id)).status).toBe(409);
      }
    }
    console.log(`cancel racing fulfil, winners: ${winners.join(', ')}`);
  });
});

describe('returns', () => {
  test("a return refunds the lines' share once per Idempotency-Key and restocks what was chosen", async () => {
    const code = `RET${tag}`;
    await createCoupon(code);
    const order = await paidOrder([item('MUG', 2), item('CAP', 1)], [code]);
    expect(order).toMatchObject({ subtotal_minor: 5750, total_minor: 5175 });
    expect((await fulfil(order.id)).body.status).toBe('fulfilled');
    const mugBefore = await stockOf('MUG');
    const capBefore = await stockOf('CAP');

    expect((await returns(order.id, undefined, { items: [{ sku: products.MUG!.sku, quantity: 1 }] })).status).toBe(428);
    expect((await returns(order.id, `too-many-${tag}`, { items: [{ sku: products.MUG!.sku, quantity: 3 }] })).status).toBe(422);

    const key = `ret-${tag}`;
    const body = { items: [{ sku: products.MUG!.sku, quantity: 1, restock: true }, { sku: products.CAP!.sku, quantity: 1, restock: false }], reason: 'one mug chipped, the cap lost' };
    const first = await returns(order.id, key, body);
    expect([201, 202]).toContain(first.status);
    // 5175 paid for goods worth 5750: the mug (2500) and the cap (750) are 3250 of it → 5175 × 3250 / 5750 = 2925.
    expect(first.body.return).toMatchObject({ kind: 'return', amount_minor: 2925 });
    const done = first.status === 201 ? first.body.order : await eventually(async () => {
      const o = await getOrder(order.id);
      if (!o.reversals[0].completed_at) throw new Error(`return not done: ${o.reversals[0].last_error}`);
      return o;
    }, 60_000);
    expect(done).toMatchObject({ status: 'fulfilled', refunded_minor: 2925 });
    expect((await stockOf('MUG')).on_hand - mugBefore.on_hand).toBe(1);
    expect((await stockOf('CAP')).on_hand).toBe(capBefore.on_hand);
    expect(await paymentsOf(order.id)).toEqual([expect.objectContaining({ status: 'succeeded', refund_requested_minor: '2925' })]);

    const repeat = await returns(order.id, key, body);
    expect(repeat.status).toBe(200);
    expect(repeat.body.return.id).toBe(first.body.return.id);
    expect((await returns(order.id, key, { items: [{ sku: products.MUG!.sku, quantity: 1 }] })).status).toBe(422);
    // The payment service takes one refund per payment: a second refund is refused, with nothing done.
    const second = await returns(order.id, `ret2-${tag}`, { items: [{ sku: products.MUG!.sku, quantity: 1, restock: false }] });
    expect(second.status).toBe(409);
    expect(second.body.code).toBe('one_refund_per_payment');
    expect((await stockOf('MUG')).on_hand - mugBefore.on_hand).toBe(1);
    // A shipped order is returned, not cancelled.
    expect((await cancel(order.id)).status).toBe(409);
  });
});

describe('a crash in the middle of cancelling', () => {
  test('the order app and its sidecar killed while the refund is under way: after the restart the cancel resumes and finishes once', async () => {
    const code = `CRASH${tag}`;
    const promotion = await createCoupon(code);
    const order = await paidOrder([item('MUG', 3)], [code]);
    const before = await stockOf('MUG');

    // Hold the payment row: the payment service's refund waits on it, so the cancel is caught mid-way.
    const hold = await db.connect();
    let answer: Promise<JsonResponse> | undefined;
    try {
      await hold.query('BEGIN');
      await hold.query('SELECT id FROM payments.payments WHERE order_id = $1 FOR UPDATE', [order.id]);
      answer = cancel(order.id);
      const opened = await eventually(async () => {
        const { rows } = await db.query('SELECT r.id, r.refunded_at, r.completed_at, o.status FROM orders.order_reversals r JOIN orders.orders o ON o.id = r.order_id WHERE r.order_id = $1', [order.id]);
        if (!rows[0]) throw new Error('no reversal yet');
        return rows[0];
      }, 10_000);
      expect(opened).toMatchObject({ status: 'cancelling', refunded_at: null, completed_at: null });
      await new Promise((r) => setTimeout(r, 300));

      const running = findApp('order');
      await Promise.all([stop(running.app, 'SIGKILL'), stop(running.sidecar, 'SIGKILL')]);
      await hold.query('COMMIT'); // the payment service goes on with the refund of a caller that is gone
      relaunch(running.sidecar, 'order-daprd-after-cancel-crash');
      relaunch(running.app, 'order-app-after-cancel-crash');
      await waitForOk('http://127.0.0.1:8004/readyz', 60_000, 'order app');
    } finally {
      await hold.query('ROLLBACK').catch(() => undefined);
      hold.release();
    }
    await answer?.catch(() => undefined); // the request died with the app

    // The recovery sweep takes the reversal over once the dead runner's lease (30 s) ran out.
    const ended = await orderReaches(order.id, ['cancelled'], 110_000);
    expect(ended.refunded_minor).toBe(order.total_minor);
    expect(ended.reversals).toEqual([expect.objectContaining({ kind: 'cancel', refunded: true, promotions_released: true, completed_at: expect.any(String) })]);
    expect((await stockOf('MUG')).on_hand - before.on_hand).toBe(3);
    expect(await redemptionsOf(promotion, order.id)).toBe(0);
    expect(await paymentsOf(order.id)).toEqual([expect.objectContaining({ status: 'refunded', refund_requested_minor: String(order.total_minor) })]);
  }, 180_000);
});
