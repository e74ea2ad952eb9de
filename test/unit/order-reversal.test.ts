/**
 * Cancels after payment, refunds and returns as one state machine (apps/order/src/domain/reversal.ts
 * and reversal-runner.ts): what each request becomes, the order of the steps, and a run that
 * stops anywhere resuming where it was. The store and the other services are fakes.
 */
import { canMove } from '../../apps/order/src/domain/status';
import { nextStep, planCancel, planFullRefund, planReturn, restockOf, retryDelaySeconds, type Reversal } from '../../apps/order/src/domain/reversal';
import { ReversalRunner } from '../../apps/order/src/domain/reversal-runner';
import type { OrderLine } from '../../apps/order/src/domain/pricing';
import type { OrderStore } from '../../apps/order/src/store/orders';
import type { Sidecar } from '../../kernel/dapr/sidecar';
import { createLogger } from '../../kernel/logger';
import { HttpProblem } from '../../kernel/problem';
import { FakeOrderStore, fakeOrderRow } from '../../apps/order/test/fake-orders';

const line = (sku: string, quantity: number, unit: number): OrderLine => ({ product_id: `p-${sku}`, sku, name: sku, quantity, unit_price_minor: unit, line_total_minor: unit * quantity });
const earlierOf = (...rs: Array<Pick<Reversal, 'lines' | 'amount_minor'>>) => rs;

describe('the order state machine after payment', () => {
  test('paid → cancelling → cancelled; nothing ships from cancelling and a shipped order is not cancelled', () => {
    expect(canMove('paid', 'cancelling')).toBe(true);
    expect(canMove('cancelling', 'cancelled')).toBe(true);
    expect(canMove('cancelling', 'fulfilled')).toBe(false);
    expect(canMove('cancelling', 'paid')).toBe(false);
    expect(canMove('fulfilled', 'cancelling')).toBe(false);
    expect(canMove('fulfilled', 'cancelled')).toBe(false);
    expect(canMove('paid', 'cancelled')).toBe(false); // only through cancelling: the refund, restock and coupons come first
    expect(canMove('fulfilled', 'refunded')).toBe(true);
    expect(canMove('cancelled', 'cancelling')).toBe(false);
  });
});

describe('planning a reversal', () => {
  const paid = { id: 'o1', status: 'paid' as const, payment_id: 'pay1', subtotal_minor: 10_000, total_minor: 9_500, shipping_minor: 500 };
  const lines = [line('A', 3, 2_000), line('B', 1, 4_000)];

  test('a cancel refunds what was paid, restocks every line and releases the coupons; the order goes cancelling', () => {
    const plan = planCancel(paid, lines, []);
    expect(plan).toEqual({
      ok: true,
      reversal: {
        kind: 'cancel', payment_id: 'pay1', amount_minor: 9_500, release_promotions: true, target_status: 'cancelled', move_to: 'cancelling',
        lines: [{ sku: 'A', quantity: 3, restock: true }, { sku: 'B', quantity: 1, restock: true }],
      },
    });
  });

  test('a cancel of a shipped or already cancelling order is refused (a shipped one is returned)', () => {
    expect(planCancel({ ...paid, status: 'fulfilled' }, lines, [])).toMatchObject({ ok: false, status: 409, code: 'not_cancellable' });
    expect(planCancel({ ...paid, status: 'cancelling' }, lines, [])).toMatchObject({ ok: false, status: 409 });
  });

  test('a fully discounted order is cancelled with no refund but still restocked and released', () => {
    const plan = planCancel({ ...paid, payment_id: null, total_minor: 0 }, lines, []);
    expect(plan.ok && plan.reversal).toMatchObject({ amount_minor: 0, release_promotions: true, lines: [{ sku: 'A', quantity: 3 }, { sku: 'B', quantity: 1 }] });
  });

  test("a return refunds the lines' share of what was paid for goods, rounded down, in integer minor units", () => {
    // goods paid = 9 500 − 500 shipping = 9 000 for a subtotal of 10 000: 2 of A (4 000) → 3 600.
    const plan = planReturn({ ...paid, status: 'fulfilled' }, lines, [], { items: [{ sku: 'A', quantity: 2, restock: true }] });
    expect(plan.ok && plan.reversal).toMatchObject({ kind: 'return', amount_minor: 3_600, lines: [{ sku: 'A', quantity: 2, restock: true }], target_status: null, release_promotions: false });
    const odd = planReturn({ ...paid, total_minor: 10_000 - 333, shipping_minor: 0 }, [line('A', 3, 3_333), line('C', 1, 1)], [], { items: [{ sku: 'A', quantity: 1, restock: false }] });
    // 9 667 × 3 333 / 10 000 = 3 222.0111 → 3 222
    expect(odd.ok && odd.reversal.amount_minor).toBe(3_222);
  });

  test('the return that brings everything back refunds what is left (shipping included) and ends the order refunded', () => {
    const plan = planReturn({ ...paid, payment_id: null, total_minor: 0 }, lines, earlierOf({ lines: [{ sku: 'A', quantity: 3, restock: true }], amount_minor: 0 }), { items: [{ sku: 'B', quantity: 1, restock: false }] });
    expect(plan.ok && plan.reversal).toMatchObject({ amount_minor: 0, target_status: 'refunded' });
    const all = planReturn({ ...paid, status: 'fulfilled' }, lines, [], { items: [{ sku: 'A', quantity: 3, restock: true }, { sku: 'B', quantity: 1, restock: true }] });
    expect(all.ok && all.reversal).toMatchObject({ amount_minor: 9_500, target_status: 'refunded' });
  });

  test('never more units than are left, never a SKU the order does not have', () => {
    expect(planReturn(paid, lines, [], { items: [{ sku: 'A', quantity: 4, restock: true }] })).toMatchObject({ ok: false, status: 422, code: 'too_many' });
    expect(planReturn(paid, lines, earlierOf({ lines: [{ sku: 'A', quantity: 2, restock: false }], amount_minor: 0 }), { items: [{ sku: 'A', quantity: 2, restock: false }] })).toMatchObject({ ok: false, code: 'too_many' });
    expect(planReturn(paid, lines, [], { items: [{ sku: 'Z', quantity: 1, restock: true }] })).toMatchObject({ ok: false, status: 422, code: 'unknown_sku' });
    expect(planReturn({ ...paid, status: 'cancelled' }, lines, [], { items: [{ sku: 'A', quantity: 1, restock: true }] })).toMatchObject({ ok: false, status: 409 });
  });

  test('the payment service takes one refund per payment: a second refund is refused up front, nothing is half done', () => {
    const earlier = earlierOf({ lines: [{ sku: 'A', quantity: 1, restock: true }], amount_minor: 1_800 });
    expect(planReturn(paid, lines, earlier, { items: [{ sku: 'B', quantity: 1, restock: true }] })).toMatchObject({ ok: false, status: 409, code: 'one_refund_per_payment' });
    expect(planCancel(paid, lines, earlier)).toMatchObject({ ok: false, status: 409, code: 'one_refund_per_payment' });
  });

  test('the inventory takes one return per SKU and order: a second restock of a SKU is refused; without restock it is fine', () => {
    const earlier = earlierOf({ lines: [{ sku: 'A', quantity: 1, restock: true }], amount_minor: 0 });
    const free = { ...paid, payment_id: null, total_minor: 0 };
    expect(planReturn(free, lines, earlier, { items: [{ sku: 'A', quantity: 1, restock: true }] })).toMatchObject({ ok: false, status: 409, code: 'already_restocked' });
    expect(planReturn(free, lines, earlier, { items: [{ sku: 'A', quantity: 1, restock: false }] }).ok).toBe(true);
    // A cancel after a return restocks only what was not restocked yet.
    const cancel = planCancel(free, lines, earlier);
    expect(cancel.ok && cancel.reversal.lines).toEqual([{ sku: 'A', quantity: 2, restock: false }, { sku: 'B', quantity: 1, restock: true }]);
  });

  test('a full refund of a shipped order returns everything left without restock', () => {
    const plan = planFullRefund({ ...paid, status: 'fulfilled' }, lines, []);
    expect(plan.ok && plan.reversal).toMatchObject({ kind: 'refund', amount_minor: 9_500, target_status: 'refunded', lines: [{ sku: 'A', quantity: 3, restock: false }, { sku: 'B', quantity: 1, restock: false }] });
  });

  test('steps run refund → restock (per SKU, in SKU order) → coupons → complete', () => {
    const r = { amount_minor: 100, payment_id: 'p', refunded_at: null, lines: [{ sku: 'B', quantity: 1, restock: true }, { sku: 'A', quantity: 2, restock: true }, { sku: 'C', quantity: 1, restock: false }], restocked: [] as string[], release_promotions: true, promotions_released_at: null };
    expect(nextStep(r)).toEqual({ step: 'refund' });
    expect(nextStep({ ...r, refunded_at: new Date() } as never)).toEqual({ step: 'restock', sku: 'A', quantity: 2 });
    expect(nextStep({ ...r, refunded_at: new Date(), restocked: ['A'] } as never)).toEqual({ step: 'restock', sku: 'B', quantity: 1 });
    expect(nextStep({ ...r, refunded_at: new Date(), restocked: ['A', 'B'] } as never)).toEqual({ step: 'release_promotions' });
    expect(nextStep({ ...r, refunded_at: new Date(), restocked: ['A', 'B'], promotions_released_at: new Date() } as never)).toEqual({ step: 'complete' });
    expect(restockOf(r.lines)).toEqual([{ sku: 'A', quantity: 2 }, { sku: 'B', quantity: 1 }]);
    expect([1, 2, 3, 10, 20].map(retryDelaySeconds)).toEqual([2, 4, 8, 300, 300]);
  });
});

describe('running a reversal', () => {
  let orders: FakeOrderStore;
  let calls: string[];
  let fail: (app: string, path: string) => unknown;
  let runner: ReversalRunner;

  beforeEach(() => {
    orders = new FakeOrderStore();
    calls = [];
    fail = () => undefined;
    const sidecar = {
      invokeJson: async (app: string, path: string, init: { body?: string }) => {
        const err = fail(app, path);
        if (err) throw err;
        calls.push(`${app} ${path} ${init.body ?? ''}`);
        return {};
      },
    } as unknown as Sidecar;
    runner = new ReversalRunner(orders as unknown as OrderStore, sidecar, createLogger('order-reversal-test', 'silent'));
  });

  async function openCancel(id: string) {
    const opened = await orders.openReversal(id, { kind: 'cancel', idempotency_key: null, request_hash: null, requested_by: 'u', reason: null, plan: planCancel });
    if (!opened.ok) throw new Error(opened.detail);
    return opened.reversal;
  }

  test('a cancel of 3 units refunds, restocks and releases, then ends cancelled with the refunded amount', async () => {
    const order = orders.add(fakeOrderRow('paid', { total_minor: 2_700, subtotal_minor: 3_000 }), [line('MUG', 3, 1_000)]);
    const r = await openCancel(order.id);
    expect((await orders.byId(order.id))!.status).toBe('cancelling');
    const result = await runner.run(r.id);
    expect(result).toMatchObject({ done: true, order: { status: 'cancelled', refunded_minor: 2_700 } });
    expect(calls).toEqual([
      `payment /internal/payments/${order.payment_id}/refund {"amount_minor":2700}`,
      `inventory /internal/inventory/MUG/returns {"order_id":"${order.id}","quantity":3}`,
      `promotions /internal/promotions/release {"order_id":"${order.id}"}`,
    ]);
  });

  test('a step that fails leaves the order cancelling; the sweep resumes from that step, without repeating the done ones', async () => {
    const order = orders.add(fakeOrderRow('paid'), [line('A', 1, 500), line('B', 2, 250)]);
    const r = await openCancel(order.id);
    // The inventory has no returns route yet for B (404), or is down.
    fail = (app, path) => (app === 'inventory' && path.includes('/B/') ? new HttpProblem(404, 'no route') : undefined);
    expect(await runner.run(r.id)).toMatchObject({ done: false });
    expect((await orders.byId(order.id))!.status).toBe('cancelling');
    const stuck = (await orders.reversal(r.id))!;
    expect(stuck).toMatchObject({ attempts: 1, restocked: ['A'], completed_at: null });
    expect(stuck.refunded_at).not.toBeNull();
    expect(stuck.last_error).toContain('restock B');

    fail = () => undefined;
    calls = [];
    expect(await runner.resume()).toEqual({ resumed: 1, completed: 1 });
    expect(calls).toEqual([`inventory /internal/inventory/B/returns {"order_id":"${order.id}","quantity":2}`, `promotions /internal/promotions/release {"order_id":"${order.id}"}`]);
    expect((await orders.byId(order.id))!.status).toBe('cancelled');
    expect(await runner.resume()).toEqual({ resumed: 0, completed: 0 });
  });

  test('a runner that died after a call but before recording it: the next run repeats that call (idempotent at its owner) and finishes', async () => {
    const order = orders.add(fakeOrderRow('paid'), [line('A', 1, 1_000)]);
    const r = await openCancel(order.id);
    // The process dies right after the refund answered: the step was never recorded, the lease is held.
    const done = orders.reversalStepDone.bind(orders);
    orders.reversalStepDone = async () => {
      throw new Error('killed');
    };
    await runner.run(r.id).catch(() => undefined);
    orders.reversalStepDone = done;
    orders.claimed.add(r.id); // the dead runner's lease…
    expect(await runner.resume()).toEqual({ resumed: 0, completed: 0 });
    orders.expireLeases(); // …runs out
    calls = [];
    expect(await runner.resume()).toEqual({ resumed: 1, completed: 1 });
    expect(calls[0]).toBe(`payment /internal/payments/${order.payment_id}/refund {"amount_minor":1000}`);
    expect((await orders.byId(order.id))!).toMatchObject({ status: 'cancelled', refunded_minor: 1_000 });
  });

  test('a fulfil and a cancel of one order: whichever takes the row first wins, the other is refused', async () => {
    const a = orders.add(fakeOrderRow('paid'), [line('A', 1, 1_000)]);
    await openCancel(a.id);
    expect((await orders.move(a.id, 'fulfilled')).ok).toBe(false);
    const b = orders.add(fakeOrderRow('paid'), [line('A', 1, 1_000)]);
    expect((await orders.move(b.id, 'fulfilled')).ok).toBe(true);
    const opened = await orders.openReversal(b.id, { kind: 'cancel', idempotency_key: null, request_hash: null, requested_by: 'u', reason: null, plan: planCancel });
    expect(opened).toMatchObject({ ok: false, status: 409 });
  });

  test('one open reversal at a time; a repeat of the same key is the same return, another body with it is 422', async () => {
    const order = orders.add(fakeOrderRow('fulfilled', { total_minor: 1_000, subtotal_minor: 1_000 }), [line('A', 2, 500)]);
    const ask = (key: string, quantity: number) =>
      orders.openReversal(order.id, { kind: 'return', idempotency_key: key, request_hash: `q${quantity}`, requested_by: 'admin', reason: null, plan: (o, l, e) => planReturn(o, l, e, { items: [{ sku: 'A', quantity, restock: false }] }) });
    const first = await ask('k1', 1);
    expect(first).toMatchObject({ ok: true, created: true, reversal: { amount_minor: 500 } });
    expect(await ask('k2', 1)).toMatchObject({ ok: false, status: 409, code: 'reversal_in_progress' });
    expect(await ask('k1', 1)).toMatchObject({ ok: true, created: false });
    expect(await ask('k1', 2)).toMatchObject({ ok: false, status: 422 });
    await runner.run((first as { reversal: Reversal }).reversal.id);
    expect((await orders.byId(order.id))!).toMatchObject({ status: 'fulfilled', refunded_minor: 500 });
    expect(await ask('k2', 1)).toMatchObject({ ok: false, status: 409, code: 'one_refund_per_payment' });
  });
});
