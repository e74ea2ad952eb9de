/**
 * Placing an order and keeping its saga alive: the order row is written first (pending, so the
 * customer sees it at once), then the checkout workflow is started under the order's id. A
 * sweep starts sagas that never started (the process stopped in between) and restarts those
 * whose workflow died; the saga's steps are idempotent, so running one again is safe.
 */
import { createHash, randomUUID } from 'node:crypto';
import { WorkflowRuntimeStatus } from '@dapr/dapr';
import type { Caller } from '../../../../kernel/auth/caller';
import type { Sidecar } from '../../../../kernel/dapr/sidecar';
import type { Logger } from '../../../../kernel/logger';
import { HttpProblem } from '../../../../kernel/problem';
import { ProductReader } from '../../../catalog/src/client';
import { CHECKOUT_WORKFLOW, EVENTS, type CheckoutInput } from '../../../../workflows/checkout/contract';
import type { CheckoutEngine } from '../../../../workflows/checkout/runtime';
import type { OrderConfig } from '../config';
import type { OrderLine } from './pricing';
import { orderIdFor, priceOrder, reservationsOf, type RequestedItem } from './pricing';
import type { OrderRow, OrderStore } from '../store/orders';

/** The workflow instance of an order's saga: the order id, then `<id>~<run>` for each re-run. */
export function instanceIdOf(order: Pick<OrderRow, 'id' | 'workflow_run'>): string {
  return order.workflow_run > 1 ? `${order.id}~${order.workflow_run}` : order.id;
}
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export interface PlaceOrder {
  user_id?: string;
  items: RequestedItem[];
  shipping_address: Record<string, unknown>;
  coupon_codes?: string[];
}

export class Checkout {
  private readonly products: ProductReader;

  constructor(
    private readonly orders: OrderStore,
    private readonly sidecar: Sidecar,
    private readonly engine: CheckoutEngine,
    private readonly config: OrderConfig,
    private readonly logger: Logger,
  ) {
    this.products = new ProductReader(sidecar);
  }

  /**
   * One order per (customer, Idempotency-Key): the id is derived from the pair and the insert
   * is ON CONFLICT DO NOTHING, so concurrent repeats all answer the same order and only the
   * request that inserted it starts the saga.
   */
  async place(caller: Caller, request: PlaceOrder, idempotencyKey: string | undefined): Promise<{ order: OrderRow; created: boolean }> {
    const userId = request.user_id ?? caller.id;
    if (userId !== caller.id && caller.role !== 'admin') throw new HttpProblem(403, 'Customers place orders for themselves only.');
    const requestHash = sha256(JSON.stringify({ ...request, user_id: userId }));
    const id = idempotencyKey ? orderIdFor(userId, idempotencyKey, sha256) : randomUUID();

    const earlier = idempotencyKey ? await this.orders.byId(id) : undefined;
    if (earlier) return { order: sameRequest(earlier, requestHash), created: false };

    const products = await Promise.all(request.items.map((item) => this.products.read(item.product_id)));
    const priced = priceOrder(request.items, products);
    if (!priced.ok) throw new HttpProblem(422, priced.detail, { extensions: { item: priced.item } });

    const { order, created } = await this.orders.create({
      id,
      user_id: userId,
      currency: priced.currency,
      lines: priced.lines,
      subtotal_minor: priced.subtotal_minor,
      shipping_minor: this.config.shippingFlatMinor,
      coupon_codes: request.coupon_codes ?? [],
      shipping_address: request.shipping_address,
      idempotency_key: idempotencyKey ?? null,
      request_hash: requestHash,
    });
    if (!created) return { order: sameRequest(order, requestHash), created };
    try {
      await this.start(order, priced.lines);
    } catch (err) {
      // The order is saved: the recovery sweep starts its saga shortly.
      this.logger.error({ err, order_id: id }, 'checkout saga not started; the sweep will start it');
    }
    return { order, created };
  }

  inputOf(order: OrderRow, lines: OrderLine[]): CheckoutInput {
    return {
      order_id: order.id,
      user_id: order.user_id,
      currency: order.currency.trim(),
      reservations: reservationsOf(lines),
      items: lines.map((l) => ({ product_id: l.product_id, quantity: l.quantity, unit_price_minor: l.unit_price_minor })),
      coupon_codes: order.coupon_codes,
      shipping_minor: order.shipping_minor,
      payment_timeout_seconds: this.config.paymentTimeoutSeconds,
      reservation_ttl_seconds: this.config.reservationTtlSeconds,
    };
  }

  private async start(order: OrderRow, lines: OrderLine[]): Promise<void> {
    await this.engine.client.scheduleNewWorkflow(CHECKOUT_WORKFLOW, this.inputOf(order, lines), instanceIdOf(order));
    await this.orders.markWorkflowStarted(order.id);
  }

  /** Asks the saga to stop before payment (it compensates and ends the order cancelled). */
  async requestCancel(order: OrderRow, by: string, reason?: string): Promise<void> {
    await this.engine.client.raiseEvent(instanceIdOf(order), EVENTS.cancel, { by, reason });
    await this.orders.note(order.id, 'cancel_requested', { by, reason: reason ?? null });
  }

  /** Raises a payment outcome into the order's saga (from the payment service's events). */
  async paymentOutcome(order: OrderRow, event: { status: 'succeeded' | 'failed'; payment_id: string; detail?: string }): Promise<void> {
    await this.engine.client.raiseEvent(instanceIdOf(order), EVENTS.payment, event);
  }

  /** One pass of the recovery sweep: start what never started, restart what died. */
  async recover(stalledAfterSeconds: number): Promise<{ started: number; restarted: number }> {
    let started = 0;
    let restarted = 0;
    for (const id of await this.orders.unstarted(5)) {
      const order = await this.orders.byId(id);
      if (!order) continue;
      if (await this.engine.client.getWorkflowState(instanceIdOf(order), false)) await this.orders.markWorkflowStarted(id);
      else {
        await this.start(order, await this.orders.lines(id));
        started += 1;
      }
    }
    for (const id of await this.orders.stalled(stalledAfterSeconds)) {
      const order = await this.orders.byId(id);
      if (!order) continue;
      const state = await this.engine.client.getWorkflowState(instanceIdOf(order), false);
      const alive = state && [WorkflowRuntimeStatus.RUNNING, WorkflowRuntimeStatus.PENDING, WorkflowRuntimeStatus.SUSPENDED].includes(state.runtimeStatus);
      if (alive) continue;
      this.logger.warn({ order_id: id, run: order.workflow_run, workflow_status: state?.runtimeStatus ?? 'missing' }, 'the saga of an unsettled order is gone; running it again');
      const run = await this.orders.nextWorkflowRun(id);
      await this.start({ ...order, workflow_run: run }, await this.orders.lines(id));
      restarted += 1;
    }
    return { started, restarted };
  }
}

function sameRequest(order: OrderRow, requestHash: string): OrderRow {
  if (order.request_hash !== requestHash) throw new HttpProblem(422, 'This Idempotency-Key was used for a different order.');
  return order;
}
