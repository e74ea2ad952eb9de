/**
 * checkout.v4's combined activities (workflows/checkout/combined.ts) against a fake sidecar:
 * prepare calls the services in v3's order and leaves the order awaiting payment; unwind tries
 * every part before it reports a failure, so one service down does not hold up the others.
 */
import { checkoutActivities } from '../../workflows/checkout/activities';
import { ACTIVITIES as A } from '../../workflows/checkout/contract';
import type { OrderPort } from '../../workflows/checkout/ports';
import { paymentLookup } from '../../apps/order/src/events/payment-events';
import { createLogger } from '../../kernel/logger';
import { fakeSidecar, type FakeAnswer } from '../support/fake-sidecar';
import { CART, ORDER } from '../support/checkout-branches';

const PAY = '0190c0de-0000-7000-8000-0000000000aa';
const actx = {} as never;
const logger = createLogger('saga-test', 'silent');
const reservations = [{ sku: 'A-1', quantity: 2 }, { sku: 'B-1', quantity: 1 }];

function over(answer: (app: string, path: string) => FakeAnswer, recorded?: string) {
  const { sidecar, calls } = fakeSidecar(answer);
  const moves: string[] = [];
  const orders: OrderPort = { move: async (_id, to) => (moves.push(to), { ok: true }), byId: async () => (recorded ? { payment_id: recorded, payment_intent_id: null, client_secret: null } : undefined), note: async () => undefined };
  return { activities: checkoutActivities({ sidecar, orders, payments: paymentLookup(sidecar), logger }), calls: () => calls.map((c) => `${c.app} ${c.path}`), moves };
}

const good = (app: string, path: string): FakeAnswer => {
  if (app === 'promotions' && path.endsWith('/redeem')) return { status: 200, body: { subtotal_minor: 5000, discount_minor: 0, total_minor: 5000, free_shipping: false, redemptions: [] } };
  if (app === 'payment' && path.endsWith('/intents')) return { status: 200, body: { payment_id: PAY, intent_id: 'pi_1', client_secret: 'pi_1_secret', status: 'requires_payment_method' } };
  return { status: 200, body: {} };
};
const prepareInput = { order_id: ORDER, user_id: 'u-1', currency: 'USD', reservations, items: [], coupon_codes: [], shipping_minor: 0, ttl_seconds: 1800, hold_seconds: 2700, cart_id: CART };

test('prepare: the cart held, every line reserved, the coupons redeemed, the payment opened, in one activity', async () => {
  const { activities, calls, moves } = over(good);
  await expect(activities[A.prepare](actx, prepareInput)).resolves.toEqual({ ok: true, subtotal_minor: 5000, discount_minor: 0, shipping_minor: 0, total_minor: 5000, discounts: [], payment_id: PAY });
  expect(calls()).toEqual([
    `cart /internal/carts/${encodeURIComponent(CART)}/checkout`,
    'inventory /internal/inventory/A-1/reservations',
    'inventory /internal/inventory/B-1/reservations',
    'promotions /internal/promotions/redeem',
    'payment /internal/payments/intents',
  ]);
  expect(moves).toEqual(['reserved', 'awaiting_payment']);
});

test('prepare: a line out of stock refuses, naming what may hold something; nothing after it is called', async () => {
  const { activities, calls } = over((app, path) => (path.includes('B-1') ? { status: 409, body: { available: 0 } } : good(app, path)));
  await expect(activities[A.prepare](actx, prepareInput)).resolves.toMatchObject({ ok: false, reason: 'out_of_stock', reached: ['cart', 'stock'] });
  expect(calls().some((c) => c.startsWith('promotions') || c.startsWith('payment'))).toBe(false);
});

test('prepare: a service down throws (the whole activity is retried; each part is idempotent by order)', async () => {
  const { activities } = over((app, path) => (app === 'payment' ? { status: 503, body: { detail: 'down' } } : good(app, path)));
  await expect(activities[A.prepare](actx, prepareInput)).rejects.toThrow(/payment/);
});

test('prepare: a cart that cannot be reached does not stop the checkout (the hold placed with the order stands)', async () => {
  const { activities } = over((app, path) => (app === 'cart' ? { status: 503, body: { detail: 'down' } } : good(app, path)));
  await expect(activities[A.prepare](actx, prepareInput)).resolves.toMatchObject({ ok: true, payment_id: PAY });
});

const unwindInput = { order_id: ORDER, reservations, cart_id: CART, parts: ['cart', 'stock', 'promotions', 'payment'] as const };

test('unwind: the payment the order records voided, then the promotions, the stock and the cart, newest first', async () => {
  const { activities, calls } = over(good, PAY);
  await expect(activities[A.unwind](actx, { ...unwindInput, parts: [...unwindInput.parts] })).resolves.toEqual({ undone: ['payment_cancelled', 'promotions_released', 'stock_released', 'cart_released'] });
  expect(calls()).toEqual([
    `payment /internal/payments/${PAY}/cancel`,
    'promotions /internal/promotions/release',
    `inventory /internal/inventory/A-1/reservations/${ORDER}/release`,
    `inventory /internal/inventory/B-1/reservations/${ORDER}/release`,
    `cart /internal/carts/${encodeURIComponent(CART)}/checkout/release`,
  ]);
});

test('unwind: with promotions down, the stock and the cart are still given back before it throws', async () => {
  const { activities, calls } = over((app, path) => (app === 'promotions' ? { status: 503, body: { detail: 'down' } } : good(app, path)));
  await expect(activities[A.unwind](actx, { ...unwindInput, parts: ['cart', 'stock', 'promotions'] })).rejects.toThrow(/promotions/);
  expect(calls().filter((c) => c.includes('/release'))).toHaveLength(4);
});

test('unwind: only the parts it is given; no payment recorded, none voided', async () => {
  const { activities, calls } = over(good);
  await expect(activities[A.unwind](actx, { ...unwindInput, parts: ['stock', 'payment'] })).resolves.toEqual({ undone: ['stock_released'] });
  expect(calls().every((c) => c.startsWith('inventory'))).toBe(true);
});

test('settle.v4: committed, paid, and the cart emptied in the same activity; a cart down is left to the saga', async () => {
  const totals = { subtotal_minor: 5000, discount_minor: 0, shipping_minor: 0, total_minor: 5000, discounts: [] };
  const ok = over(good);
  await expect(ok.activities[A.settleV4](actx, { order_id: ORDER, reservations, totals, cart_id: CART })).resolves.toEqual({ ok: true, cart_emptied: true });
  expect(ok.moves).toEqual(['paid']);
  const cartDown = over((app, path) => (app === 'cart' ? { status: 503, body: { detail: 'down' } } : good(app, path)));
  await expect(cartDown.activities[A.settleV4](actx, { order_id: ORDER, reservations, totals, cart_id: CART })).resolves.toEqual({ ok: true, cart_emptied: false });
  expect(cartDown.moves).toEqual(['paid']);
});
