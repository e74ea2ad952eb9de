/**
 * POST /orders/{id}/cancel while the saga moves the order: whatever the saga did meanwhile, a
 * cancel that was honoured answers the order's state (200 or 202), one that cannot be is 409,
 * and nothing is a 500. The store, the workflow engine and the payment service are fakes.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'koa';
import { Checkout } from '../../apps/order/src/domain/checkout';
import { orderRoutes } from '../../apps/order/src/http/routes';
import { ReversalRunner } from '../../apps/order/src/domain/reversal-runner';
import type { OrderStatus } from '../../apps/order/src/domain/status';
import type { MoveResult, OrderEvent, OrderRow, OrderStore } from '../../apps/order/src/store/orders';
import type { CheckoutEngine } from '../../workflows/checkout/runtime';
import type { Sidecar } from '../../kernel/dapr/sidecar';
import type { Caller } from '../../kernel/auth/caller';
import type { Reply, Route } from '../../kernel/http/route';
import { createLogger } from '../../kernel/logger';
import { HttpProblem } from '../../kernel/problem';
import { FakeOrderStore } from '../../apps/order/test/fake-orders';

const alice: Caller = { id: randomUUID(), role: 'customer' };

function orderRow(status: OrderStatus, extra: Partial<OrderRow> = {}): OrderRow {
  const now = new Date();
  return {
    id: randomUUID(), user_id: alice.id, status, currency: 'USD', subtotal_minor: 1000, discount_minor: 0, shipping_minor: 0, total_minor: 1000,
    coupon_codes: [], discounts: [], shipping_address: {}, payment_id: status === 'pending' || status === 'reserved' ? null : randomUUID(),
    payment_intent_id: null, client_secret: null, failure_reason: null, failure_detail: null, idempotency_key: null, request_hash: null,
    version: 1, workflow_started_at: now, workflow_run: 1, workflow_name: null, paid_at: null, refunded_minor: 0, created_at: now, updated_at: now, ...extra,
  };
}

/** An in-memory OrderStore with the real state machine and reversals (apps/order/test/fake-orders.ts). */
class FakeOrders extends FakeOrderStore {
  /** What the saga does: settles the order. */
  settle(id: string, status: OrderStatus) {
    this.rows.get(id)!.status = status;
  }
}

class FakeEngine {
  instances = new Map<string, string>();
  raised: Array<{ instance: string; event: string }> = [];
  /** Runs when an event is raised (before it is accepted): a saga moving the order meanwhile. */
  onRaise: (instance: string) => void = () => {};
  reachable = true;
  client = {
    raiseEvent: async (instance: string, event: string) => {
      if (!this.reachable) throw new Error('14 UNAVAILABLE: connect ECONNREFUSED');
      this.onRaise(instance);
      if (!this.instances.has(instance)) throw new Error(`2 UNKNOWN: no such instance exists: ${instance}`);
      this.raised.push({ instance, event });
    },
    getWorkflowState: async (instance: string) => {
      if (!this.reachable) throw new Error('14 UNAVAILABLE: connect ECONNREFUSED');
      return this.instances.has(instance) ? { runtimeStatus: this.instances.get(instance) } : undefined;
    },
    scheduleNewWorkflow: async (_name: string, _input: unknown, instance: string) => {
      this.instances.set(instance, 'RUNNING');
      return instance;
    },
  };
}

let orders: FakeOrders;
let engine: FakeEngine;
let refunds: string[];
/** Runs when the payment service is asked for a refund (a concurrent request, a refusal). */
let onRefund: () => void;
let cancel: Route;
let checkout: Checkout;
let sidecar: Sidecar;

beforeEach(() => {
  orders = new FakeOrders();
  engine = new FakeEngine();
  refunds = [];
  onRefund = () => {};
  sidecar = {
    invokeJson: async (app: string, path: string) => {
      if (app !== 'payment') return {};
      refunds.push(path);
      onRefund();
      return {};
    },
  } as unknown as Sidecar;
  const config = { paymentTimeoutSeconds: 900, reservationTtlSeconds: 1800, shippingFlatMinor: 0, recoveryIntervalMs: 10_000, stalledAfterSeconds: 1200 };
  checkout = new Checkout(orders as unknown as OrderStore, sidecar, engine as unknown as CheckoutEngine, config, createLogger('order-cancel-test', 'silent'));
  cancel = orderRoutes(orders as unknown as OrderStore, checkout, sidecar).find((r) => r.path === '/orders/:id/cancel')!;
});

async function cancelOrder(id: string, caller: Caller = alice): Promise<Reply> {
  return cancel.handler({ params: { id }, body: { reason: 'changed my mind' }, query: {}, caller, ctx: {} as Context });
}

async function refusal(id: string): Promise<HttpProblem> {
  const err = await cancelOrder(id).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(HttpProblem);
  return err as HttpProblem;
}

const statusOf = (reply: Reply) => (reply.body as { status: string }).status;

describe('POST /orders/{id}/cancel while the saga moves the order', () => {
  test('before payment: the cancel is raised into the running saga and answered 202', async () => {
    const order = orders.add(orderRow('awaiting_payment'));
    engine.instances.set(order.id, 'RUNNING');
    const reply = await cancelOrder(order.id);
    expect(reply.status).toBe(202);
    expect(engine.raised).toEqual([{ instance: order.id, event: 'cancel' }]);
    expect((await orders.history(order.id)).map((e) => e.event)).toEqual(['cancel_requested']);
  });

  test('an earlier cancel finished and its saga is gone: 200 with the cancelled order, not a 500', async () => {
    const order = orders.add(orderRow('awaiting_payment'));
    // The saga ends the order cancelled and its instance is purged while this request raises.
    engine.onRaise = () => orders.settle(order.id, 'cancelled');
    const reply = await cancelOrder(order.id);
    expect(reply.status ?? 200).toBe(200);
    expect(statusOf(reply)).toBe('cancelled');
    expect(refunds).toEqual([]);
  });

  test('the payment won the race (the saga settled it paid): the order is refunded and cancelled, 200', async () => {
    const order = orders.add(orderRow('awaiting_payment'));
    engine.instances.set(order.id, 'COMPLETED');
    engine.onRaise = () => orders.settle(order.id, 'paid');
    const reply = await cancelOrder(order.id);
    expect(reply.status ?? 200).toBe(200);
    expect(statusOf(reply)).toBe('cancelled');
    expect(refunds).toEqual([`/internal/payments/${order.payment_id}/refund`]);
  });

  test('the saga failed the order meanwhile (timeout): 409 naming its state', async () => {
    const order = orders.add(orderRow('awaiting_payment'));
    engine.onRaise = () => orders.settle(order.id, 'failed');
    const problem = await refusal(order.id);
    expect(problem.status).toBe(409);
    expect(problem.extensions).toMatchObject({ order_status: 'failed' });
  });

  test('a saga not started yet: the cancel is recorded (202) and raised as soon as the saga starts', async () => {
    const order = orders.add(orderRow('pending', { workflow_started_at: null }));
    const reply = await cancelOrder(order.id);
    expect(reply.status).toBe(202);
    expect(engine.raised).toEqual([]);
    // The recovery sweep starts it: the recorded cancel goes in with it.
    await checkout.recover(1200);
    expect(engine.raised).toEqual([{ instance: order.id, event: 'cancel' }]);
  });

  test('a cancel recorded while the engine was away (503) is raised by the recovery sweep, once a minute at most', async () => {
    const order = orders.add(orderRow('awaiting_payment'));
    engine.instances.set(order.id, 'RUNNING');
    engine.reachable = false;
    expect((await refusal(order.id)).status).toBe(503);
    expect(engine.raised).toEqual([]);
    engine.reachable = true;
    await checkout.recover(1200);
    await checkout.recover(1200);
    expect(engine.raised).toEqual([{ instance: order.id, event: 'cancel' }]);
  });

  test('the sweep moved the saga to a new run meanwhile: the cancel goes to that run', async () => {
    const order = orders.add(orderRow('reserved'));
    engine.onRaise = (instance) => {
      if (instance === order.id) {
        orders.rows.get(order.id)!.workflow_run = 2;
        engine.instances.set(`${order.id}~2`, 'RUNNING');
      }
    };
    const reply = await cancelOrder(order.id);
    expect(reply.status).toBe(202);
    expect(engine.raised).toEqual([{ instance: `${order.id}~2`, event: 'cancel' }]);
  });

  test('the workflow engine cannot be reached for a started saga: 503 with Retry-After, the cancel recorded', async () => {
    const order = orders.add(orderRow('awaiting_payment'));
    engine.instances.set(order.id, 'RUNNING');
    engine.reachable = false;
    const problem = await refusal(order.id);
    expect(problem.status).toBe(503);
    expect(problem.headers['retry-after']).toBeDefined();
    expect((await orders.history(order.id)).map((e) => e.event)).toEqual(['cancel_requested']);
  });

  test('after payment: refunded and cancelled (200); a repeat answers the cancelled order (200)', async () => {
    const order = orders.add(orderRow('paid'));
    expect(statusOf(await cancelOrder(order.id))).toBe('cancelled');
    const again = await cancelOrder(order.id);
    expect(again.status ?? 200).toBe(200);
    expect(statusOf(again)).toBe('cancelled');
    expect(refunds).toHaveLength(1);
  });

  test('after payment, a fulfil took the order row first: 409 naming its state, nothing refunded', async () => {
    const order = orders.add(orderRow('paid'));
    orders.onLock = (id) => {
      if (orders.rows.get(id)!.status === 'paid') orders.settle(id, 'fulfilled');
    };
    const problem = await refusal(order.id);
    expect(problem.status).toBe(409);
    expect(problem.extensions).toMatchObject({ order_status: 'fulfilled' });
    expect(refunds).toEqual([]);
  });

  test('after payment, the payment service refuses the refund for now (a concurrent request holds it): 202 cancelling, not a 500; the sweep finishes it', async () => {
    const order = orders.add(orderRow('paid'));
    onRefund = () => {
      throw new HttpProblem(502, 'payment /internal/payments/…/refund: a request with this key is in progress');
    };
    const reply = await cancelOrder(order.id);
    expect(reply.status).toBe(202);
    expect(statusOf(reply)).toBe('cancelling');
    onRefund = () => {};
    await new ReversalRunner(orders as unknown as OrderStore, sidecar, createLogger('order-cancel-test', 'silent')).resume();
    expect((await orders.byId(order.id))!.status).toBe('cancelled');
    const again = await cancelOrder(order.id);
    expect(again.status ?? 200).toBe(200);
    expect(statusOf(again)).toBe('cancelled');
  });

  test('shipped orders are a 409; a fully discounted paid order is cancelled without a refund', async () => {
    expect((await refusal(orders.add(orderRow('fulfilled')).id)).status).toBe(409);
    const free = orders.add(orderRow('paid', { payment_id: null, total_minor: 0 }));
    expect(statusOf(await cancelOrder(free.id))).toBe('cancelled');
    expect(refunds).toEqual([]);
  });

  test("another customer's order is a 404", async () => {
    const order = orders.add(orderRow('awaiting_payment'));
    const problem = await cancelOrder(order.id, { id: randomUUID(), role: 'customer' }).then(() => undefined, (e: unknown) => e as HttpProblem);
    expect(problem?.status).toBe(404);
  });
});
