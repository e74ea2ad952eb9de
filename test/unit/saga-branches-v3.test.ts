/**
 * What checkout.v3 adds over v2 (test/unit/saga-branches.test.ts holds v2's branches), run by
 * the fake driver: a declined card leaves the order waiting for another until its attempts,
 * a cancel or the timeout; each decline is written on the order once; an order placed from a
 * cart holds it, empties it once paid and gives it back otherwise.
 */
import { checkoutV3 } from '../../workflows/checkout/v3';
import { ACTIVITIES as A, type Ending } from '../../workflows/checkout/contract';
import { BRANCHES_V3, CART, type BranchV3Name } from '../support/checkout-branches';
import { count, driveWorkflow, type FakeStep } from '../support/fake-workflow';

const run = (name: BranchV3Name) => {
  const b = BRANCHES_V3[name];
  return driveWorkflow(checkoutV3, b.input, { instanceId: b.instanceId, script: b.script, wait: b.wait });
};
const ORDER = BRANCHES_V3.paid.input.order_id;
const FORWARD = [A.reserveStockV2, A.redeemPromotions, A.openPayment];
const WAIT = 'wait:payment|cancel|timer';
const UNDO_ALL = [A.voidPayment, A.releasePromotions, A.releaseStock, A.finish];
const inputsOf = (calls: FakeStep[], name: string) => calls.filter((c) => c.kind === 'activity' && c.name === name).map((c) => (c as { input: unknown }).input);

const paid = (ending: Ending) => expect(ending).toEqual({ order_id: ORDER, status: 'paid', compensated: [] });

describe('checkout.v3: payment attempts', () => {
  test('two cards declined, the third pays: each decline written on the order, then settled paid', async () => {
    const { ending, log, calls } = await run('declined_then_paid');
    paid(ending);
    expect(log).toEqual([...FORWARD, WAIT, A.recordDecline, WAIT, A.recordDecline, WAIT, A.settle]);
    expect(inputsOf(calls, A.recordDecline)).toEqual([
      { order_id: ORDER, payment_id: 'pay-1', attempt: 1, max_attempts: 3, detail: 'The card was declined.' },
      { order_id: ORDER, payment_id: 'pay-1', attempt: 2, max_attempts: 3, detail: 'The card was declined.' },
    ]);
    // One timer for the whole wait: the payment timeout is not restarted by a decline.
    const timers = calls.flatMap((c) => (c.kind === 'any' ? c.tasks.filter((t) => t.step.kind === 'timer') : []));
    expect(timers).toHaveLength(3);
    expect(new Set(timers).size).toBe(1);
  });

  test('three declines use up the attempts: payment_declined, everything given back', async () => {
    const { ending, log } = await run('declines_exhausted');
    expect(ending).toMatchObject({ status: 'failed', reason: 'payment_declined', compensated: ['payment_cancelled', 'promotions_released', 'stock_released'] });
    expect(count(log, A.recordDecline)).toBe(3);
    expect(log.slice(-4)).toEqual(UNDO_ALL);
  });

  test('a decline delivered twice (the same state of the payment record) counts once', async () => {
    const { ending, log } = await run('decline_redelivered');
    paid(ending);
    expect(count(log, A.recordDecline)).toBe(1);
  });

  test('declined, then cancelled or timed out: the payment is stopped as in v2', async () => {
    const cancelled = await run('declined_then_cancelled');
    expect(cancelled.ending).toMatchObject({ status: 'cancelled' });
    expect(cancelled.log).toEqual([...FORWARD, WAIT, A.recordDecline, WAIT, A.cancelPayment, ...UNDO_ALL]);
    const timedOut = await run('declined_then_timeout');
    expect(timedOut.ending).toMatchObject({ status: 'failed', reason: 'payment_timeout' });
  });

  test('a decline that cannot be written still counts; the next card pays', async () => {
    const { ending, log } = await run('decline_not_recorded');
    paid(ending);
    expect(count(log, A.recordDecline)).toBe(30);
  });

  test('a re-run finding the last attempt declined waits for another card; with no attempt left it fails at once', async () => {
    const waits = await run('rerun_failed_waits');
    paid(waits.ending);
    expect(waits.log).toEqual([...FORWARD, A.checkPayment, WAIT, A.settle]);
    const last = await run('rerun_failed_last_attempt');
    expect(last.ending).toMatchObject({ status: 'failed', reason: 'payment_declined' });
    expect(last.log).toEqual([...FORWARD, A.checkPayment, ...UNDO_ALL]);
  });

  test('v2 behaviour without attempts left over: a single decline per wait, no cart, ends like v2', async () => {
    const { ending } = await run('payment_declined');
    expect(ending).toMatchObject({ status: 'failed', reason: 'payment_declined' });
  });
});

describe('checkout.v3: the cart an order was placed from', () => {
  test('paid: held first, emptied of the ordered lines after the settle', async () => {
    const { ending, log, calls } = await run('cart_paid');
    paid(ending);
    expect(log).toEqual([A.holdCart, ...FORWARD, WAIT, A.settle, A.emptyCart]);
    expect(inputsOf(calls, A.holdCart)).toEqual([{ cart_id: CART, order_id: ORDER, hold_seconds: 900 + 1800 }]);
    expect(inputsOf(calls, A.emptyCart)).toEqual([{ cart_id: CART, order_id: ORDER, lines: BRANCHES_V3.cart_paid.input.reservations }]);
  });

  test('declined for good, or out of stock: the cart is given back last (its lines untouched)', async () => {
    const declined = await run('cart_declined');
    expect(declined.ending).toMatchObject({ status: 'failed', compensated: ['payment_cancelled', 'promotions_released', 'stock_released', 'cart_released'] });
    expect(inputsOf(declined.calls, A.releaseCart)).toEqual([{ cart_id: CART, order_id: ORDER }]);
    const out = await run('cart_out_of_stock');
    expect(out.ending).toMatchObject({ status: 'failed', reason: 'out_of_stock', compensated: ['stock_released', 'cart_released'] });
    expect(out.log).not.toContain(A.emptyCart);
  });

  test('a cart service that cannot be reached changes nothing about the order: it is paid all the same', async () => {
    const { ending, log } = await run('cart_unavailable');
    paid(ending);
    expect(count(log, A.holdCart)).toBe(6);
    expect(count(log, A.emptyCart)).toBe(30);
  });

  test('an order placed from items never touches a cart', async () => {
    const { log } = await run('paid');
    expect(log.filter((l) => [A.holdCart, A.emptyCart, A.releaseCart].includes(l as never))).toEqual([]);
  });
});
