/**
 * The checkout saga's settle step and its re-run after a dead run, without Dapr: a fake
 * WorkflowContext and a small driver run the workflow generator and answer its activities,
 * timers, events and whenAny from a script; the activities run against a fake sidecar.
 */
import { checkout } from '../../workflows/checkout/workflow';
import { checkoutActivities } from '../../workflows/checkout/activities';
import { ACTIVITIES as A, type CheckoutInput, type Ending } from '../../workflows/checkout/contract';
import { SidecarResponse, type Sidecar } from '../../kernel/dapr/sidecar';
import type { OrderStore } from '../../apps/order/src/store/orders';
import { createLogger } from '../../kernel/logger';
import { HttpProblem } from '../../kernel/problem';

type Step = { kind: 'activity'; name: string; input: any } | { kind: 'timer'; seconds: number } | { kind: 'event'; name: string } | { kind: 'any'; tasks: FakeTask[] };

class FakeTask {
  result: unknown;
  constructor(readonly step: Step) {}
  getResult(): unknown {
    return this.result;
  }
}

const ORDER = '0190c0de-0000-7000-8000-000000000001';
const input: CheckoutInput = {
  order_id: ORDER,
  user_id: 'u-1',
  currency: 'USD',
  reservations: [{ sku: 'A-1', quantity: 2 }, { sku: 'B-1', quantity: 1 }],
  items: [],
  coupon_codes: [],
  shipping_minor: 0,
  payment_timeout_seconds: 900,
  reservation_ttl_seconds: 1800,
};

/** An activity's scripted answer: a value, or a throw (transient). Called with its input and the attempt (1-based). */
type Script = Partial<Record<string, (input: any, attempt: number) => unknown>>;
/** What wins the wait for the payment: an event (name + payload) or the timer. */
type Wait = { event: 'payment' | 'cancel'; payload: unknown } | 'timeout';

const happy: Script = {
  [A.reserveStock]: () => ({ ok: true }),
  [A.redeemPromotions]: () => ({ ok: true, subtotal_minor: 5000, discount_minor: 0, shipping_minor: 0, total_minor: 5000, discounts: [] }),
  [A.openPayment]: () => ({ ok: true, payment_id: 'pay-1', intent_id: 'pi_1', status: 'requires_payment' }),
  [A.settle]: () => ({ ok: true }),
  [A.cancelPayment]: () => ({ outcome: 'canceled' }),
  [A.refundPayment]: () => undefined,
  [A.releasePromotions]: () => undefined,
  [A.releaseStock]: () => undefined,
  [A.finish]: () => undefined,
  [A.checkPayment]: () => ({ outcome: 'pending' }),
};

/** Runs the saga to its end; the log names every activity called (with attempts), timer, wait. */
async function drive(instanceId: string, script: Script, wait: Wait | undefined): Promise<{ ending: Ending; log: string[]; calls: Step[] }> {
  const ctx = {
    getWorkflowInstanceId: () => instanceId,
    isReplaying: () => false,
    callActivity: (name: string, activityInput: unknown) => new FakeTask({ kind: 'activity', name, input: activityInput }),
    createTimer: (seconds: number) => new FakeTask({ kind: 'timer', seconds }),
    waitForExternalEvent: (name: string) => new FakeTask({ kind: 'event', name }),
    whenAny: (tasks: FakeTask[]) => new FakeTask({ kind: 'any', tasks }),
  };
  const merged = { ...happy, ...script };
  const attempts = new Map<string, number>();
  const log: string[] = [];
  const calls: Step[] = [];
  const gen = checkout(ctx as never, input);
  let next = await gen.next();
  for (let guard = 0; !next.done; guard++) {
    if (guard > 500) throw new Error(`the saga did not end: ${log.slice(-10).join(', ')}`);
    const task = next.value as FakeTask;
    const step = task.step;
    calls.push(step);
    if (step.kind === 'activity') {
      const attempt = (attempts.get(step.name) ?? 0) + 1;
      attempts.set(step.name, attempt);
      log.push(step.name);
      const answer = merged[step.name];
      if (!answer) throw new Error(`no script for ${step.name}`);
      let value: unknown;
      try {
        value = answer(step.input, attempt);
      } catch (err) {
        next = await gen.throw(err);
        continue;
      }
      next = await gen.next(value);
    } else if (step.kind === 'timer') {
      log.push(`timer:${step.seconds}`);
      next = await gen.next(undefined);
    } else if (step.kind === 'event') {
      // Creating the task is not a yield in the SDK; only whenAny is.
      throw new Error('an event task was yielded on its own');
    } else {
      if (!wait) throw new Error('the saga waited, but this script has no payment outcome');
      const names = step.tasks.map((t) => (t.step.kind === 'event' ? t.step.name : t.step.kind));
      log.push(`wait:${names.join('|')}`);
      const winner = wait === 'timeout' ? step.tasks.find((t) => t.step.kind === 'timer')! : step.tasks.find((t) => t.step.kind === 'event' && t.step.name === wait.event)!;
      if (wait !== 'timeout') winner.result = wait.payload;
      next = await gen.next(winner);
    }
  }
  return { ending: next.value, log, calls };
}

const count = (log: string[], name: string) => log.filter((l) => l === name).length;

describe('settle keeps trying with the compensation budget', () => {
  test('a settle that fails 10 times after the payment (an inventory outage) ends paid, never refunded', async () => {
    const { ending, log } = await drive(ORDER, {
      [A.settle]: (_, attempt) => {
        if (attempt <= 10) throw new Error('inventory answered 503');
        return { ok: true };
      },
    }, { event: 'payment', payload: { status: 'succeeded', payment_id: 'pay-1' } });
    expect(ending.status).toBe('paid');
    expect(count(log, A.settle)).toBe(11);
    expect(log).not.toContain(A.refundPayment);
    expect(log).not.toContain(A.finish);
  });

  test('a settle refused for good (a line expired) refunds the payment and releases everything', async () => {
    const { ending, log } = await drive(ORDER, {
      [A.settle]: () => ({ ok: false, reason: 'reservation_expired', detail: 'B-1: expired' }),
    }, { event: 'payment', payload: { status: 'succeeded', payment_id: 'pay-1' } });
    expect(ending).toMatchObject({ status: 'failed', reason: 'reservation_expired', compensated: ['payment_refunded', 'promotions_released', 'stock_released'] });
    expect(log.slice(log.indexOf(A.settle))).toEqual([A.settle, A.refundPayment, A.releasePromotions, A.releaseStock, A.finish]);
  });
});

describe('a re-run asks the payment service before it waits', () => {
  const rerun = `${ORDER}~2`;

  test('the payment already succeeded: the re-run settles paid without waiting for an event', async () => {
    const { ending, log, calls } = await drive(rerun, { [A.checkPayment]: () => ({ outcome: 'succeeded' }) }, undefined);
    expect(ending.status).toBe('paid');
    expect(log).toEqual([A.reserveStock, A.redeemPromotions, A.openPayment, A.checkPayment, A.settle]);
    expect(calls.find((c) => c.kind === 'activity' && c.name === A.checkPayment)).toMatchObject({ input: { payment_id: 'pay-1' } });
  });

  test('the payment already failed: the re-run ends failed (declined) and gives everything back at once', async () => {
    const { ending, log } = await drive(rerun, { [A.checkPayment]: () => ({ outcome: 'failed' }) }, undefined);
    expect(ending).toMatchObject({ status: 'failed', reason: 'payment_declined', compensated: ['payment_cancelled', 'promotions_released', 'stock_released'] });
    expect(log).not.toContain(A.settle);
    expect(log.some((l) => l.startsWith('wait:'))).toBe(false);
  });

  test('no outcome yet: the re-run waits for the event as a first run does', async () => {
    const { ending, log } = await drive(rerun, {}, { event: 'payment', payload: { status: 'succeeded', payment_id: 'pay-1' } });
    expect(ending.status).toBe('paid');
    expect(log).toEqual([A.reserveStock, A.redeemPromotions, A.openPayment, A.checkPayment, 'wait:payment|cancel|timer', A.settle]);
  });

  test('the payment service cannot be reached: the re-run still waits for the event', async () => {
    const { ending, log } = await drive(rerun, {
      [A.checkPayment]: () => {
        throw new Error('payment answered 503');
      },
    }, { event: 'payment', payload: { status: 'succeeded', payment_id: 'pay-1' } });
    expect(ending.status).toBe('paid');
    expect(count(log, A.checkPayment)).toBe(6);
    expect(log).toContain('wait:payment|cancel|timer');
  });

  test('a first run does not ask (its steps, and so the replay of runs in flight, are unchanged)', async () => {
    const { ending, log } = await drive(ORDER, {}, { event: 'payment', payload: { status: 'succeeded', payment_id: 'pay-1' } });
    expect(ending.status).toBe('paid');
    expect(log).toEqual([A.reserveStock, A.redeemPromotions, A.openPayment, 'wait:payment|cancel|timer', A.settle]);
  });
});

/** A sidecar that answers inventory and payment calls from a table, recording every call. */
function fakeSidecar(answer: (app: string, path: string, body: any) => { status: number; body?: unknown }) {
  const calls: Array<{ app: string; path: string; body: any }> = [];
  const invoke = async (app: string, path: string, init: { body?: string } = {}) => {
    const body = init.body ? JSON.parse(init.body) : undefined;
    calls.push({ app, path, body });
    const a = answer(app, path, body);
    return new SidecarResponse(a.status, { 'content-type': 'application/json' }, Buffer.from(a.body === undefined ? '' : JSON.stringify(a.body)));
  };
  const invokeJson = async (app: string, path: string, init: { body?: string } = {}) => {
    const res = await invoke(app, path, init);
    const text = await res.text();
    if (!res.ok) throw new HttpProblem(res.status, text);
    return JSON.parse(text);
  };
  return { sidecar: { invoke, invokeJson } as unknown as Sidecar, calls };
}

function fakeOrders() {
  const moves: Array<{ id: string; to: string }> = [];
  const orders = { move: async (id: string, to: string) => (moves.push({ id, to }), { ok: true }) } as unknown as OrderStore;
  return { orders, moves };
}

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
    const outcome = await checkoutActivities({ sidecar, orders, logger })[A.settle](actx, { order_id: ORDER, reservations: input.reservations, totals });
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
    const settle = checkoutActivities({ sidecar, orders: fakeOrders().orders, logger })[A.settle];
    await expect(settle(actx, { order_id: ORDER, reservations: input.reservations, totals })).rejects.toThrow(/503/);
    await expect(settle(actx, { order_id: ORDER, reservations: input.reservations, totals })).resolves.toMatchObject({ ok: false, reason: 'reservation_expired' });
    expect(returns).toBe(2);
  });

  test('every line committed: the order is paid and nothing is returned', async () => {
    const { sidecar, calls } = fakeSidecar(() => ({ status: 200, body: {} }));
    const { orders, moves } = fakeOrders();
    await expect(checkoutActivities({ sidecar, orders, logger })[A.settle](actx, { order_id: ORDER, reservations: input.reservations, totals })).resolves.toEqual({ ok: true });
    expect(calls.filter((c) => c.path.endsWith('/returns'))).toEqual([]);
    expect(moves).toEqual([{ id: ORDER, to: 'paid' }]);
  });
});

describe('the checkPayment activity', () => {
  const check = (status: number, body?: unknown) => {
    const { sidecar, calls } = fakeSidecar(() => ({ status, body }));
    return { run: () => checkoutActivities({ sidecar, orders: fakeOrders().orders, logger })[A.checkPayment](actx, { payment_id: 'pay-1' }), calls };
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
