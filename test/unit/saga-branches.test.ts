/**
 * Every branch of checkout.v2 run by the fake driver (test/support/checkout-branches.ts): the
 * ending, the compensations (newest first, with their labels), and `finish` written for every
 * ending that is not paid.
 */
import { checkoutV2 } from '../../workflows/checkout/v2';
import { ACTIVITIES as A, type Ending } from '../../workflows/checkout/contract';
import { BRANCHES, input, type BranchName } from '../support/checkout-branches';
import { count, driveWorkflow, type FakeStep } from '../support/fake-workflow';

const run = (name: BranchName) => {
  const b = BRANCHES[name];
  return driveWorkflow(checkoutV2, input, { instanceId: b.instanceId, script: b.script, wait: b.wait });
};

const FORWARD = [A.reserveStockV2, A.redeemPromotions, A.openPayment];
const WAIT = 'wait:payment|cancel|timer';
const COMPENSATED_ALL = ['payment_cancelled', 'promotions_released', 'stock_released'];
const UNDO_ALL = [A.voidPayment, A.releasePromotions, A.releaseStock, A.finish];

/** Activities only (no timers, no waits). */
const activities = (log: string[]) => log.filter((l) => !l.startsWith('timer:') && !l.startsWith('wait:'));

function expectFinished(ending: Ending, calls: FakeStep[]) {
  const last = calls[calls.length - 1];
  expect(last).toEqual({ kind: 'activity', name: A.finish, input: ending });
}

function expectPaid(ending: Ending, log: string[]) {
  expect(ending).toEqual({ order_id: input.order_id, status: 'paid', compensated: [] });
  expect(log).not.toContain(A.finish);
  expect(log).not.toContain(A.voidPayment);
}

describe('checkout.v2 ends paid', () => {
  test('the payment succeeds: reserve, redeem, open, wait, settle', async () => {
    const { ending, log, calls } = await run('paid');
    expectPaid(ending, log);
    expect(log).toEqual([...FORWARD, WAIT, A.settle]);
    expect(calls[0]).toMatchObject({ name: A.reserveStockV2, input: { order_id: input.order_id, reservations: input.reservations, ttl_seconds: 1800 } });
  });

  test('a zero total settles without a payment', async () => {
    const { ending, log } = await run('paid_zero_total');
    expectPaid(ending, log);
    expect(log).toEqual([A.reserveStockV2, A.redeemPromotions, A.settle]);
  });

  test('a settle that fails 10 times after the payment (an inventory outage) ends paid, never refunded', async () => {
    const { ending, log } = await run('paid_after_settle_outage');
    expectPaid(ending, log);
    expect(count(log, A.settle)).toBe(11);
  });

  test.each(['cancel_finds_paid', 'timeout_finds_paid'] as const)('%s: stopping the payment finds it succeeded, so the order settles paid', async (name) => {
    const { ending, log } = await run(name);
    expectPaid(ending, log);
    expect(log).toEqual([...FORWARD, WAIT, A.cancelPayment, A.settle]);
  });
});

describe('checkout.v2 compensates newest first and finishes the order', () => {
  test('out of stock: only the stock is released', async () => {
    const { ending, log, calls } = await run('out_of_stock');
    expect(ending).toMatchObject({ status: 'failed', reason: 'out_of_stock', compensated: ['stock_released'] });
    expect(log).toEqual([A.reserveStockV2, A.releaseStock, A.finish]);
    expect(calls[1]).toMatchObject({ name: A.releaseStock, input: { order_id: input.order_id, reservations: input.reservations } });
    expectFinished(ending, calls);
  });

  test('inventory unreachable: 6 attempts with durable timers between, then service_unavailable and the stock released', async () => {
    const { ending, log, calls } = await run('reserve_unavailable');
    expect(ending).toMatchObject({ status: 'failed', reason: 'service_unavailable', compensated: ['stock_released'] });
    expect(ending.detail).toMatch(/reserveStock\.v2 failed 6 times/);
    expect(log).toEqual([
      A.reserveStockV2, 'timer:1', A.reserveStockV2, 'timer:2', A.reserveStockV2, 'timer:4', A.reserveStockV2, 'timer:8', A.reserveStockV2, 'timer:16', A.reserveStockV2,
      A.releaseStock, A.finish,
    ]);
    expectFinished(ending, calls);
  });

  test.each(['coupon_unavailable', 'coupon_invalid'] as const)('%s: promotions released, then stock', async (reason) => {
    const { ending, log, calls } = await run(reason);
    expect(ending).toMatchObject({ status: 'failed', reason, compensated: ['promotions_released', 'stock_released'] });
    expect(log).toEqual([A.reserveStockV2, A.redeemPromotions, A.releasePromotions, A.releaseStock, A.finish]);
    expectFinished(ending, calls);
  });

  test('an unexpected answer is an internal_error, compensated like any refusal', async () => {
    const { ending, calls } = await run('internal_error');
    expect(ending).toMatchObject({ status: 'failed', reason: 'internal_error', compensated: ['promotions_released', 'stock_released'] });
    expectFinished(ending, calls);
  });

  test('payment refused at open: nothing to void (no payment id), promotions and stock released', async () => {
    const { ending, log, calls } = await run('payment_refused');
    expect(ending).toMatchObject({ status: 'failed', reason: 'payment_refused', compensated: ['promotions_released', 'stock_released'] });
    expect(log).toEqual([...FORWARD, A.releasePromotions, A.releaseStock, A.finish]);
    expectFinished(ending, calls);
  });

  test('payment declined: the payment is voided, then promotions, then stock', async () => {
    const { ending, log, calls } = await run('payment_declined');
    expect(ending).toMatchObject({ status: 'failed', reason: 'payment_declined', detail: 'The card was declined.', compensated: COMPENSATED_ALL });
    expect(log).toEqual([...FORWARD, WAIT, ...UNDO_ALL]);
    expect(calls.find((c) => c.kind === 'activity' && c.name === A.voidPayment)).toMatchObject({ input: { payment_id: 'pay-1' } });
    expectFinished(ending, calls);
  });

  test('cancel while waiting: the payment is stopped first, the order ends cancelled (the void repeats idempotently)', async () => {
    const { ending, log, calls } = await run('cancelled');
    expect(ending).toMatchObject({ status: 'cancelled', detail: 'Cancelled by u-1 before payment.', compensated: COMPENSATED_ALL });
    expect(ending.reason).toBeUndefined();
    expect(log).toEqual([...FORWARD, WAIT, A.cancelPayment, ...UNDO_ALL]);
    expectFinished(ending, calls);
  });

  test('timeout: the payment is stopped first, the order ends payment_timeout', async () => {
    const { ending, log, calls } = await run('timeout');
    expect(ending).toMatchObject({ status: 'failed', reason: 'payment_timeout', detail: 'No payment within 900 s.', compensated: COMPENSATED_ALL });
    expect(log).toEqual([...FORWARD, WAIT, A.cancelPayment, ...UNDO_ALL]);
    expectFinished(ending, calls);
  });

  test('the payment cannot be stopped (30 attempts): service_unavailable, and the compensation voids it again', async () => {
    const { ending, log } = await run('cancel_payment_unavailable');
    expect(ending).toMatchObject({ status: 'failed', reason: 'service_unavailable', compensated: COMPENSATED_ALL });
    expect(count(log, A.cancelPayment)).toBe(30);
    expect(activities(log).slice(-4)).toEqual(UNDO_ALL);
  });

  test('settle refused (a line expired): the payment is refunded, then promotions and stock released', async () => {
    const { ending, log, calls } = await run('settle_refused');
    expect(ending).toMatchObject({ status: 'failed', reason: 'reservation_expired', compensated: ['payment_refunded', 'promotions_released', 'stock_released'] });
    expect(log.slice(log.indexOf(A.settle))).toEqual([A.settle, ...UNDO_ALL]);
    expectFinished(ending, calls);
  });

  test('a compensation out of attempts is recorded `:gave_up`; the older ones still run and the order is finished', async () => {
    const { ending, log, calls } = await run('compensation_gave_up');
    expect(ending).toMatchObject({ status: 'failed', reason: 'payment_declined', compensated: ['payment_cancelled', 'promotions_released:gave_up', 'stock_released'] });
    expect(count(log, A.releasePromotions)).toBe(30);
    expect(activities(log).slice(-2)).toEqual([A.releaseStock, A.finish]);
    expectFinished(ending, calls);
  });
});

describe('a re-run (`<order>~<run>`) asks the payment service before it waits', () => {
  test('already succeeded: settles paid without waiting', async () => {
    const { ending, log, calls } = await run('rerun_paid');
    expectPaid(ending, log);
    expect(log).toEqual([...FORWARD, A.checkPayment, A.settle]);
    expect(calls.find((c) => c.kind === 'activity' && c.name === A.checkPayment)).toMatchObject({ input: { payment_id: 'pay-1' } });
  });

  test('already failed: ends payment_declined and gives everything back at once', async () => {
    const { ending, log, calls } = await run('rerun_failed');
    expect(ending).toMatchObject({ status: 'failed', reason: 'payment_declined', compensated: COMPENSATED_ALL });
    expect(log).toEqual([...FORWARD, A.checkPayment, ...UNDO_ALL]);
    expectFinished(ending, calls);
  });

  test('no outcome yet: waits for the event as a first run does', async () => {
    const { ending, log } = await run('rerun_pending');
    expectPaid(ending, log);
    expect(log).toEqual([...FORWARD, A.checkPayment, WAIT, A.settle]);
  });

  test('the payment service cannot be reached: still waits for the event', async () => {
    const { ending, log } = await run('rerun_unreachable');
    expectPaid(ending, log);
    expect(count(log, A.checkPayment)).toBe(6);
    expect(log).toContain(WAIT);
  });

  test('a first run does not ask', async () => {
    const { log } = await run('paid');
    expect(log).not.toContain(A.checkPayment);
  });
});
