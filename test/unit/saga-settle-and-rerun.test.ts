/**
 * Version 1 of the checkout saga (`checkout`, kept registered for orders in flight on it) driven
 * by the fake WorkflowContext (test/support/fake-workflow.ts), and the settle and checkPayment
 * activities against a fake sidecar. Every branch of the latest version: saga-branches.test.ts.
 */
import { checkout } from '../../workflows/checkout/v1';
import { checkoutActivities } from '../../workflows/checkout/activities';
import { ACTIVITIES as A } from '../../workflows/checkout/contract';
import { paymentLookup } from '../../apps/order/src/events/payment-events';
import type { OrderPort } from '../../workflows/checkout/ports';
import type { Sidecar } from '../../kernel/dapr/sidecar';
import { createLogger } from '../../kernel/logger';
import { count, driveWorkflow, type Wait } from '../support/fake-workflow';
import { fakeSidecar } from '../support/fake-sidecar';
import { happy, input, ORDER, RERUN, succeeded } from '../support/checkout-branches';

const drive = (instanceId: string, script: Parameters<typeof driveWorkflow>[2]['script'], wait?: Wait) =>
  driveWorkflow(checkout, input, { instanceId, script: { ...happy, ...script }, wait });

describe('checkout v1 still runs as it did (orders in flight at the deploy of v2 replay on it)', () => {
  test('a settle that fails 10 times after the payment ends paid, never refunded', async () => {
    const outage = (_: unknown, attempt: number) => {
      if (attempt <= 10) throw new Error('inventory answered 503');
      return { ok: true };
    };
    const { ending, log } = await drive(ORDER, { [A.settle]: outage }, succeeded);
    expect(ending.status).toBe('paid');
    expect(count(log, A.settle)).toBe(11);
    expect(log).not.toContain(A.refundPayment);
  });

  test('a settle refused for good refunds the payment and releases everything, with v1 activities', async () => {
    const { ending, log } = await drive(ORDER, { [A.settle]: () => ({ ok: false, reason: 'reservation_expired', detail: 'B-1: expired' }) }, succeeded);
    expect(ending).toMatchObject({ status: 'failed', reason: 'reservation_expired', compensated: ['payment_refunded', 'promotions_released', 'stock_released'] });
    expect(log).toEqual([A.reserveStock, A.redeemPromotions, A.openPayment, 'wait:payment|cancel|timer', A.settle, A.refundPayment, A.releasePromotions, A.releaseStock, A.finish]);
  });

  test('a cancel while waiting cancels the intent once and ends cancelled', async () => {
    const { ending, log } = await drive(ORDER, {}, { event: 'cancel', payload: { by: 'u-1' } });
    expect(ending).toMatchObject({ status: 'cancelled', compensated: ['payment_cancelled', 'promotions_released', 'stock_released'] });
    expect(count(log, A.cancelPayment)).toBe(1);
  });

  test('a re-run whose payment already succeeded settles without waiting', async () => {
    const { ending, log } = await drive(RERUN, { [A.checkPayment]: () => ({ outcome: 'succeeded' }) });
    expect(ending.status).toBe('paid');
    expect(log).toEqual([A.reserveStock, A.redeemPromotions, A.openPayment, A.checkPayment, A.settle]);
  });
});

function fakeOrders() {
  const moves: Array<{ id: string; to: string }> = [];
  const orders: OrderPort = { move: async (id, to) => (moves.push({ id, to }), { ok: true }), byId: async () => undefined, note: async () => undefined };
  return { orders, moves };
}

const activitiesOver = (sidecar: Sidecar, orders: OrderPort = fakeOrders().orders) => checkoutActivities({ sidecar, orders, payments: paymentLookup(sidecar), logger });

const logger = createLogger('saga-test', 'silent');
const actx = {} as never;
const totals = { subtotal_minor: 5000, discount_minor: 0, shipping_minor: 0, total_minor: 5000, discounts: [] };

describe('the settle activity loses no stock', () => {
  test('line 2 expired: line 1, committed already, is returned to inventory before the refusal', async () => {
    const { sidecar, calls } = fakeSidecar((_app, path) => {
      if (path.includes('/B-1/') && path.endsWith('/commit')) return { status: 410, body: { detail: 'The reservation expired; its stock was returned.' } };
      if (path.endsWith('/returns')) return { status: 201, body: { quantity: 2 } };
      return { status: 200, body: {} };
    });
    const { orders, moves } = fakeOrders();
    const outcome = await activitiesOver(sidecar, orders)[A.settle](actx, { order_id: ORDER, reservations: input.reservations, totals });
    expect(outcome).toMatchObject({ ok: false, reason: 'reservation_expired' });
    expect(calls.map((c) => [c.app, c.path, c.body])).toEqual([
      ['inventory', `/internal/inventory/A-1/reservations/${ORDER}/commit`, undefined],
      ['inventory', `/internal/inventory/B-1/reservations/${ORDER}/commit`, undefined],
      ['inventory', '/internal/inventory/A-1/returns', { order_id: ORDER, quantity: 2 }],
    ]);
    expect(moves).toEqual([]);
  });

  test('a return that fails for a moment throws (the saga retries: commits repeat as no-ops, the return is made again)', async () => {
    let returns = 0;
    const { sidecar } = fakeSidecar((_app, path) => {
      if (path.includes('/B-1/') && path.endsWith('/commit')) return { status: 409, body: { detail: 'The reservation was released.' } };
      if (path.endsWith('/returns')) return ++returns === 1 ? { status: 503, body: { detail: 'down' } } : { status: 200, body: { replayed: true } };
      return { status: 200, body: { replayed: true } };
    });
    const settle = activitiesOver(sidecar)[A.settle];
    await expect(settle(actx, { order_id: ORDER, reservations: input.reservations, totals })).rejects.toThrow(/503/);
    await expect(settle(actx, { order_id: ORDER, reservations: input.reservations, totals })).resolves.toMatchObject({ ok: false, reason: 'reservation_expired' });
    expect(returns).toBe(2);
  });

  test('every line committed: the order is paid and nothing is returned', async () => {
    const { sidecar, calls } = fakeSidecar(() => ({ status: 200, body: {} }));
    const { orders, moves } = fakeOrders();
    await expect(activitiesOver(sidecar, orders)[A.settle](actx, { order_id: ORDER, reservations: input.reservations, totals })).resolves.toEqual({ ok: true });
    expect(calls.filter((c) => c.path.endsWith('/returns'))).toEqual([]);
    expect(moves).toEqual([{ id: ORDER, to: 'paid' }]);
  });
});

describe('the checkPayment activity', () => {
  const check = (status: number, body?: unknown) => {
    const { sidecar, calls } = fakeSidecar(() => ({ status, body }));
    return { run: () => activitiesOver(sidecar)[A.checkPayment](actx, { payment_id: 'pay-1' }), calls };
  };
  test.each([
    ['succeeded', 'succeeded'],
    ['refunded', 'succeeded'],
    ['failed', 'failed'],
    ['requires_payment', 'pending'],
    ['processing', 'pending'],
  ])('a payment recorded %s is %s', async (status, outcome) => {
    const { run, calls } = check(200, { id: 'pay-1', order_id: ORDER, status, amount_minor: 5000, currency: 'USD' });
    await expect(run()).resolves.toEqual({ outcome });
    expect(calls).toEqual([{ app: 'payment', path: '/internal/payments/pay-1', body: undefined }]);
  });
  test('an unknown payment is pending; an outage throws (retried)', async () => {
    await expect(check(404, { detail: 'no' }).run()).resolves.toEqual({ outcome: 'pending' });
    await expect(check(503, { detail: 'down' }).run()).rejects.toThrow();
  });
});
