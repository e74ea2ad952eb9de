/**
 * checkout.v2's own activities against a fake sidecar: voidPayment (the one payment
 * compensation, idempotent for every repeat) and reserveStock.v2 (a line this order committed
 * already counts as held, for a re-run after a settle that died part-way).
 */
import { checkoutActivities } from '../../workflows/checkout/activities';
import { ACTIVITIES as A } from '../../workflows/checkout/contract';
import type { OrderPort } from '../../workflows/checkout/ports';
import { paymentLookup } from '../../apps/order/src/events/payment-events';
import { createLogger } from '../../kernel/logger';
import { fakeSidecar, type FakeAnswer } from '../support/fake-sidecar';
import { input, ORDER } from '../support/checkout-branches';

const PAY = '0190c0de-0000-7000-8000-0000000000aa';
const actx = {} as never;
const logger = createLogger('saga-test', 'silent');

function over(answer: (app: string, path: string) => FakeAnswer) {
  const { sidecar, calls } = fakeSidecar(answer);
  const moves: string[] = [];
  const orders: OrderPort = { move: async (_id, to) => (moves.push(to), { ok: true }), byId: async () => undefined, note: async () => undefined };
  return { activities: checkoutActivities({ sidecar, orders, payments: paymentLookup(sidecar), logger }), calls, moves };
}

describe('voidPayment undoes a payment whatever became of it', () => {
  const cancelPath = `/internal/payments/${PAY}/cancel`;
  const refundPath = `/internal/payments/${PAY}/refund`;
  const voidWith = (cancel: FakeAnswer, refund: FakeAnswer = { status: 200, body: { status: 'refunded' } }) => {
    const { activities, calls } = over((_app, path) => (path === cancelPath ? cancel : refund));
    return { run: () => activities[A.voidPayment](actx, { payment_id: PAY }), paths: () => calls.map((c) => c.path) };
  };

  test('not succeeded: cancelled (and a repeat on a canceled payment is the same 200)', async () => {
    const { run, paths } = voidWith({ status: 200, body: { id: PAY, status: 'canceled' } });
    await expect(run()).resolves.toEqual({ outcome: 'canceled' });
    await expect(run()).resolves.toEqual({ outcome: 'canceled' });
    expect(paths()).toEqual([cancelPath, cancelPath]);
  });

  test('unknown to the payment service: nothing to undo', async () => {
    await expect(voidWith({ status: 404, body: { detail: 'No payment.' } }).run()).resolves.toEqual({ outcome: 'none' });
  });

  test('succeeded: the cancel is refused with the status, so it is refunded', async () => {
    const { run, paths } = voidWith({ status: 409, body: { status: 'succeeded', detail: 'refund it instead' } });
    await expect(run()).resolves.toEqual({ outcome: 'refunded' });
    expect(paths()).toEqual([cancelPath, refundPath]);
  });

  test('refunded already (a repeat after the refund): done, no second refund', async () => {
    const { run, paths } = voidWith({ status: 409, body: { status: 'refunded' } });
    await expect(run()).resolves.toEqual({ outcome: 'refunded' });
    expect(paths()).toEqual([cancelPath]);
  });

  test.each<[string, FakeAnswer, FakeAnswer | undefined]>([
    ['the payment service is down', { status: 503, body: { detail: 'down' } }, undefined],
    ['the intent is still being created (409 with Retry-After)', { status: 409, body: { detail: 'retry' }, headers: { 'retry-after': '1' } }, undefined],
    ['Stripe refused the cancel (409 without a status)', { status: 409, body: { detail: 'Stripe refused to cancel' } }, undefined],
    ['the refund failed for a moment', { status: 409, body: { status: 'succeeded' } }, { status: 503, body: { detail: 'down' } }],
  ])('%s: thrown, so the saga retries it', async (_name, cancel, refund) => {
    await expect(voidWith(cancel, refund).run()).rejects.toThrow();
  });
});

describe('reserveStock.v2', () => {
  const reserve = (answer: (sku: string) => FakeAnswer) => {
    const o = over((_app, path) => answer(path.split('/')[3]!));
    return { ...o, run: () => o.activities[A.reserveStockV2](actx, { order_id: ORDER, reservations: input.reservations, ttl_seconds: 1800 }) };
  };
  const committed: FakeAnswer = { status: 409, body: { type: 'https://problems.dapr-commerce.dev/reservation-committed', detail: 'The reservation is already committed.', reason: 'committed' } };

  test('a re-run after a partial settle: the line committed already counts as held, the order is reserved', async () => {
    const { run, calls, moves } = reserve((sku) => (sku === 'A-1' ? committed : { status: 201, body: { status: 'active' } }));
    await expect(run()).resolves.toEqual({ ok: true });
    expect(calls.map((c) => c.path)).toEqual(['/internal/inventory/A-1/reservations', '/internal/inventory/B-1/reservations']);
    expect(moves).toEqual(['reserved']);
  });

  test('a repeat answered 200 with the reservation committed (how inventory answers it today) is held too', async () => {
    await expect(reserve(() => ({ status: 200, body: { status: 'committed', replayed: true } })).run()).resolves.toEqual({ ok: true });
  });

  test('out of stock is still a refusal', async () => {
    const { run } = reserve((sku) => (sku === 'B-1' ? { status: 409, body: { type: 'https://problems.dapr-commerce.dev/insufficient-stock', available: 0 } } : { status: 201, body: {} }));
    await expect(run()).resolves.toMatchObject({ ok: false, reason: 'out_of_stock', detail: 'Only 0 of B-1 available; 1 wanted.' });
  });

  test('v1 reserveStock keeps its behaviour: a committed line is out of stock', async () => {
    const o = over(() => committed);
    await expect(o.activities[A.reserveStock](actx, { order_id: ORDER, reservations: input.reservations, ttl_seconds: 1800 })).resolves.toMatchObject({ ok: false, reason: 'out_of_stock' });
  });
});
