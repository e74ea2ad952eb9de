/**
 * The recovery sweep and hollow saga instances (workflows/checkout/runtime.ts isHollow): found
 * by the full chaos run, an order app killed as it scheduled a saga left an instance that
 * answered PENDING (no creation time) for ever and never ran; the sweep took it for a live saga
 * and the order stayed pending. Now such an instance is terminated and the saga runs again
 * under a new instance id, whether the order was marked started or not; a live one is left alone.
 */
import { randomUUID } from 'node:crypto';
import { Checkout } from '../../apps/order/src/domain/checkout';
import type { OrderRow, OrderStore } from '../../apps/order/src/store/orders';
import type { OrderStatus } from '../../apps/order/src/domain/status';
import { isHollow, stillRunning, type CheckoutEngine } from '../../workflows/checkout/runtime';
import type { Sidecar } from '../../kernel/dapr/sidecar';
import { createLogger } from '../../kernel/logger';
import { FakeOrderStore } from '../../apps/order/test/fake-orders';
import { WorkflowRuntimeStatus } from '@dapr/dapr';

const ZERO = new Date('0001-01-01T00:00:00Z');

function orderRow(status: OrderStatus, started: boolean): OrderRow {
  const now = new Date();
  return {
    id: randomUUID(), user_id: randomUUID(), status, currency: 'USD', subtotal_minor: 1000, discount_minor: 0, shipping_minor: 0, total_minor: 1000,
    coupon_codes: [], discounts: [], shipping_address: {}, payment_id: null, payment_intent_id: null, client_secret: null, failure_reason: null, failure_detail: null,
    idempotency_key: null, request_hash: null, version: 1, workflow_started_at: started ? now : null, workflow_run: 1, workflow_name: null, paid_at: null,
    refunded_minor: 0, created_at: now, updated_at: now,
  };
}

class Engine {
  states = new Map<string, { runtimeStatus: WorkflowRuntimeStatus; createdAt: Date }>();
  scheduled: string[] = [];
  terminated: string[] = [];
  client = {
    getWorkflowState: async (id: string) => this.states.get(id),
    scheduleNewWorkflow: async (_name: string, _input: unknown, id: string) => {
      this.scheduled.push(id);
      this.states.set(id, { runtimeStatus: WorkflowRuntimeStatus.RUNNING, createdAt: new Date() });
      return id;
    },
    terminateWorkflow: async (id: string) => void this.terminated.push(id),
    raiseEvent: async () => undefined,
  };
}

let orders: FakeOrderStore;
let engine: Engine;
let checkout: Checkout;

beforeEach(() => {
  orders = new FakeOrderStore();
  engine = new Engine();
  const config = { paymentTimeoutSeconds: 900, reservationTtlSeconds: 1800, shippingFlatMinor: 0 };
  checkout = new Checkout(orders as unknown as OrderStore, {} as Sidecar, engine as unknown as CheckoutEngine, config, createLogger('saga-recovery-test', 'silent'));
});

describe('hollow saga instances', () => {
  test('PENDING without a creation time is hollow; PENDING with one, or RUNNING, is not', () => {
    expect(isHollow({ runtimeStatus: WorkflowRuntimeStatus.PENDING, createdAt: ZERO })).toBe(true);
    expect(isHollow({ runtimeStatus: WorkflowRuntimeStatus.PENDING, createdAt: new Date(0) })).toBe(true);
    expect(isHollow({ runtimeStatus: WorkflowRuntimeStatus.PENDING, createdAt: new Date() })).toBe(false);
    expect(isHollow({ runtimeStatus: WorkflowRuntimeStatus.RUNNING, createdAt: ZERO })).toBe(false);
    expect(stillRunning({ runtimeStatus: WorkflowRuntimeStatus.PENDING, createdAt: ZERO })).toBe(false);
    expect(stillRunning({ runtimeStatus: WorkflowRuntimeStatus.PENDING, createdAt: new Date() })).toBe(true);
    expect(stillRunning({ runtimeStatus: WorkflowRuntimeStatus.PENDING, createdAt: new Date() }, true)).toBe(false);
  });

  test('an order never marked started whose instance is hollow: terminated, and run again as <id>~2', async () => {
    const order = orders.add(orderRow('pending', false));
    engine.states.set(order.id, { runtimeStatus: WorkflowRuntimeStatus.PENDING, createdAt: ZERO });
    const swept = await checkout.recover(1200);
    expect(swept.restarted).toBe(1);
    expect(engine.terminated).toEqual([order.id]);
    expect(engine.scheduled).toEqual([`${order.id}~2`]);
    expect((await orders.byId(order.id))!.workflow_started_at).not.toBeNull();
  });

  test('an order marked started, pending for a while, whose instance is hollow: run again without waiting for the stalled time', async () => {
    const order = orders.add(orderRow('pending', true));
    orders.quiet.add(order.id);
    engine.states.set(order.id, { runtimeStatus: WorkflowRuntimeStatus.PENDING, createdAt: ZERO });
    await checkout.recover(1200);
    expect(engine.scheduled).toEqual([`${order.id}~2`]);
    // The new run is live: the next pass leaves it alone.
    await checkout.recover(1200);
    expect(engine.scheduled).toEqual([`${order.id}~2`]);
  });

  test('a live saga is left alone, pending or running; one still PENDING past the stalled time is run again', async () => {
    const running = orders.add(orderRow('pending', true));
    const fresh = orders.add(orderRow('pending', false));
    orders.quiet.add(running.id);
    engine.states.set(running.id, { runtimeStatus: WorkflowRuntimeStatus.RUNNING, createdAt: new Date() });
    engine.states.set(fresh.id, { runtimeStatus: WorkflowRuntimeStatus.PENDING, createdAt: new Date() });
    await checkout.recover(1200);
    expect(engine.scheduled).toEqual([]);
    expect((await orders.byId(fresh.id))!.workflow_started_at).not.toBeNull();

    engine.states.set(running.id, { runtimeStatus: WorkflowRuntimeStatus.PENDING, createdAt: new Date() });
    await checkout.recover(1200);
    expect(engine.scheduled).toEqual([`${running.id}~2`]);
  });
});
