/**
 * Payment reconciliation (apps/order/src/domain/payment-reconciler.ts): an order awaiting a
 * payment whose event never came gets the payment service's recorded outcome raised into its
 * saga; a pending payment is asked again at doubling intervals; an order that moved on is
 * forgotten; a payment service or engine that cannot be reached costs only this pass.
 */
import { PaymentReconciler, type AwaitingPayment, type ReconcilerPorts } from '../../apps/order/src/domain/payment-reconciler';
import { createLogger } from '../../kernel/logger';

const logger = createLogger('payment-reconciler-test', 'silent');

function harness(outcomes: Record<string, 'succeeded' | 'failed' | 'pending' | Error>) {
  const waiting: AwaitingPayment[] = [];
  const asked: string[] = [];
  const raised: Array<{ order: string; status: string }> = [];
  let raiseFails = false;
  const ports: ReconcilerPorts = {
    awaitingPayment: async () => [...waiting],
    payments: {
      recorded: async (paymentId) => {
        asked.push(paymentId);
        const o = outcomes[paymentId];
        if (o instanceof Error) throw o;
        return { outcome: o ?? 'pending', attempt_key: `${paymentId}:1` };
      },
    },
    raise: async (order, outcome) => {
      if (raiseFails) throw new Error('no such instance');
      raised.push({ order: order.id, status: outcome.status });
    },
  };
  const reconciler = new PaymentReconciler(ports, { afterSeconds: 30, maxGapSeconds: 120 }, logger);
  return { waiting, asked, raised, reconciler, failRaise: (v: boolean) => (raiseFails = v) };
}

const order = (id: string): AwaitingPayment => ({ id, payment_id: `pay-${id}`, workflow_run: 1 });

describe('payment reconciliation', () => {
  test('a recorded outcome is raised into the saga, succeeded and failed alike', async () => {
    const h = harness({ 'pay-a': 'succeeded', 'pay-b': 'failed' });
    h.waiting.push(order('a'), order('b'));
    expect(await h.reconciler.pass(0)).toBe(2);
    expect(h.raised).toEqual([{ order: 'a', status: 'succeeded' }, { order: 'b', status: 'failed' }]);
  });

  test('a pending payment is asked again at doubling intervals, capped', async () => {
    const h = harness({});
    h.waiting.push(order('a'));
    const at = [0, 10_000, 30_000, 50_000, 90_000, 150_000, 210_000, 270_000, 330_000];
    for (const t of at) await h.reconciler.pass(t);
    // asked at 0 (next 30 s), 30 s (next +60 s), 90 s (next +120 s, the cap), 210 s, 330 s
    expect(h.asked).toHaveLength(5);
    expect(h.raised).toEqual([]);
  });

  test('an order that left awaiting_payment is forgotten and starts afresh if it comes back', async () => {
    const h = harness({});
    h.waiting.push(order('a'));
    await h.reconciler.pass(0);
    h.waiting.length = 0;
    await h.reconciler.pass(1000);
    h.waiting.push(order('a'));
    await h.reconciler.pass(2000);
    expect(h.asked).toEqual(['pay-a', 'pay-a']);
  });

  test('a payment service that cannot be asked, or an engine that refuses the event, is tried at the next pass', async () => {
    const outcomes: Record<string, 'succeeded' | Error> = { 'pay-a': new Error('payment service away') };
    const h = harness(outcomes);
    h.waiting.push(order('a'));
    expect(await h.reconciler.pass(0)).toBe(0);
    outcomes['pay-a'] = 'succeeded';
    h.failRaise(true);
    expect(await h.reconciler.pass(1000)).toBe(0);
    h.failRaise(false);
    expect(await h.reconciler.pass(2000)).toBe(1);
    expect(h.raised).toEqual([{ order: 'a', status: 'succeeded' }]);
  });
});
