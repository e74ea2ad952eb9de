/**
 * checkout.v4 is v3 in fewer workflow turns (workflows/checkout/combined.ts): every v3 branch,
 * with the same scripted answers of the v3 parts, ends v4 the same way (status, reason, detail
 * and what was compensated) in no more activities, but for the few listed in OTHERWISE.
 */
import { checkoutV3 } from '../../workflows/checkout/v3';
import { checkoutV4 } from '../../workflows/checkout/v4';
import { ACTIVITIES as A } from '../../workflows/checkout/contract';
import { reachedThrough } from '../../workflows/checkout/combined';
import { BRANCHES_V3, BRANCHES_V4, composedV4, type BranchV3Name } from '../support/checkout-branches';
import { count, driveWorkflow } from '../support/fake-workflow';

const v3 = (name: BranchV3Name) => {
  const b = BRANCHES_V3[name];
  return driveWorkflow(checkoutV3, b.input, { instanceId: b.instanceId, script: b.script, wait: b.wait });
};
const v4 = (name: BranchV3Name) => {
  const b = BRANCHES_V4[name];
  return driveWorkflow(checkoutV4, b.input, { instanceId: b.instanceId, script: b.script, wait: b.wait });
};
const WAIT = 'wait:payment|cancel|timer';
const activities = (log: string[]) => log.filter((l) => !l.startsWith('timer:') && !l.startsWith('wait:')).length;

/**
 * Where v4 ends otherwise, on purpose: an unanswered prepare (out of attempts) is named in the
 * detail and unwinds every part it might hold (promotions included: a release of nothing is a
 * no-op); a bug inside a part is an activity failure, retried like any (v3 met it in the
 * workflow's code); an unwind that gives up is one label, as it is one compensation.
 */
const OTHERWISE: Partial<Record<BranchV3Name, object>> = {
  reserve_unavailable: { status: 'failed', reason: 'service_unavailable', detail: 'prepareCheckout failed 6 times: answered 503', compensated: ['promotions_released', 'stock_released'] },
  internal_error: { status: 'failed', reason: 'service_unavailable', compensated: ['promotions_released', 'stock_released'] },
  compensation_gave_up: { status: 'failed', reason: 'payment_declined', compensated: ['checkout_unwound:gave_up'] },
};

describe('checkout.v4 ends every v3 branch as v3 does', () => {
  test.each(Object.keys(BRANCHES_V3) as BranchV3Name[])('%s', async (name) => {
    const [before, after] = [await v3(name), await v4(name)];
    if (OTHERWISE[name]) expect(after.ending).toMatchObject(OTHERWISE[name]!);
    else expect(after.ending).toEqual(before.ending);
    if (name !== 'internal_error') expect(activities(after.log)).toBeLessThanOrEqual(activities(before.log));
  });
});

describe('checkout.v4: fewer turns', () => {
  test('paid from a cart: prepare, the payment, settle — three turns where v3 takes seven', async () => {
    const [before, after] = [await v3('cart_paid'), await v4('cart_paid')];
    expect(after.log).toEqual([A.prepare, WAIT, A.settleV4]);
    expect(before.log).toEqual([A.holdCart, A.reserveStockV2, A.redeemPromotions, A.openPayment, WAIT, A.settle, A.emptyCart]);
  });

  test('out of stock: prepare, one unwind, finish', async () => {
    const { ending, log } = await v4('cart_out_of_stock');
    expect(log).toEqual([A.prepare, A.unwind, A.finish]);
    expect(ending).toMatchObject({ status: 'failed', reason: 'out_of_stock', compensated: ['stock_released', 'cart_released'] });
  });

  test('a zero total settles without a payment and unwinds nothing of one', async () => {
    const { log } = await v4('paid_zero_total');
    expect(log).toEqual([A.prepare, A.settleV4]);
  });

  test('a cart that cannot be emptied in the settle is emptied by a step of its own, with retries', async () => {
    const { ending, log } = await v4('cart_unavailable');
    expect(ending).toMatchObject({ status: 'paid' });
    expect(log.slice(0, 3)).toEqual([A.prepare, WAIT, A.settleV4]);
    expect(count(log, A.emptyCart)).toBe(30); // its compensation-sized budget, as v3
  });

  test('the unwind voids the payment prepare opened, by its id, and every part before it', async () => {
    const { calls } = await v4('declines_exhausted');
    const unwind = calls.find((c) => c.kind === 'activity' && c.name === A.unwind) as { input: unknown };
    expect(unwind.input).toMatchObject({ parts: ['stock', 'promotions', 'payment'], payment_id: 'pay-1' });
  });

  test('an unanswered prepare unwinds the payment the order records, if any', async () => {
    const b = BRANCHES_V3.reserve_unavailable;
    const script = composedV4(b.script, { byId: async () => ({ payment_id: 'pay-9', payment_intent_id: 'pi_9', client_secret: null }) });
    const { ending } = await driveWorkflow(checkoutV4, b.input, { instanceId: b.instanceId, script, wait: b.wait });
    expect(ending).toMatchObject({ status: 'failed', reason: 'service_unavailable', compensated: ['payment_cancelled', 'promotions_released', 'stock_released'] });
  });

  test('what an answered prepare leaves to undo', () => {
    expect(reachedThrough('stock', true, true)).toEqual(['cart', 'stock']);
    expect(reachedThrough('promotions', false, true)).toEqual(['stock', 'promotions']);
    expect(reachedThrough('payment', false, true)).toEqual(['stock', 'promotions']);
    expect(reachedThrough('payment', true, false)).toEqual(['cart', 'stock', 'promotions', 'payment']);
  });
});
