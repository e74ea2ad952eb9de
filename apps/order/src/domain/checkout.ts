/**
 * Placing an order and keeping its saga alive: the order row is written first (pending, so the
 * customer sees it at once), then the checkout workflow is started under the order's id. A
 * sweep starts sagas that never started (the process stopped in between) and restarts those
 * whose workflow died; the saga's steps are idempotent, so running one again is safe.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Caller } from '../../../../kernel/auth/caller';
import type { Sidecar } from '../../../../kernel/dapr/sidecar';
import type { Logger } from '../../../../kernel/logger';
import { HttpProblem } from '../../../../kernel/problem';
import { currentTrace } from '../../../../kernel/trace';
import { ProductReader } from '../../../catalog/src/client';
import { CHECKOUT_WORKFLOW, EVENTS, type CheckoutInput, type PaymentEvent } from '../../../../workflows/checkout/contract';
import { isHollow, stillRunning, type CheckoutEngine } from '../../../../workflows/checkout/runtime';
import type { WorkflowRuntimeStatus } from '@dapr/dapr';

/** How long an order may stay pending before its saga is checked for being hollow (runtime.ts). */
const HOLLOW_AFTER_SECONDS = 30;
import type { OrderConfig } from '../config';
import { fromMinorUnits } from '../../../../kernel/domain/money';
import type { OrderLine } from './pricing';
import { orderIdFor, priceOrder, reservationsOf, type RequestedItem } from './pricing';
import { chooseShipping, type ShippingMethod } from './shipping';
import { computeTax, taxBasisFor, type TaxRate } from './tax';
import { strategiesFrom, type Strategies } from './strategies';
import type { OrderRow, OrderStore } from '../store/orders';
import { isSettled } from './status';
import { cartActorOf, holdCart, releaseCart } from '../../../cart/src/client';

/** As many lines as an order of explicit items may have (schemas.ts); a cart may hold more. */
const MAX_ORDER_LINES = 50;

/** The workflow instance of an order's saga: the order id, then `<id>~<run>` for each re-run. */
export function instanceIdOf(order: Pick<OrderRow, 'id' | 'workflow_run'>): string {
  return order.workflow_run > 1 ? `${order.id}~${order.workflow_run}` : order.id;
}
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export interface PlaceOrder {
  user_id?: string;
  /** Explicit lines; or the cart: a guest cart by its UUID (cart_id), or the customer's own (from_cart). Exactly one of the three. */
  items?: RequestedItem[];
  cart_id?: string;
  from_cart?: boolean;
  shipping_address: Record<string, unknown>;
  coupon_codes?: string[];
  /** The code of a shipping method (required once methods are configured). */
  shipping_method?: string;
}

/** What placing reads besides the catalog: the shipping methods and tax rates (the store), and the strategies that apply them. */
export interface PlacementRules {
  methods(): Promise<ShippingMethod[]>;
  taxRates(): Promise<TaxRate[]>;
  strategies: Strategies;
}

/** Nothing configured: the flat fee and no tax (what an order service without the tables does). */
export const NO_RULES: PlacementRules = {
  methods: async () => [],
  taxRates: async () => [],
  strategies: strategiesFrom({ shippingStrategy: 'table-rate', taxStrategy: 'country-rates', taxInclusiveCurrencies: [] }),
};

type CheckoutConfig = Pick<OrderConfig, 'paymentTimeoutSeconds' | 'reservationTtlSeconds' | 'shippingFlatMinor'> & Partial<Pick<OrderConfig, 'paymentMaxAttempts'>>;

/** Where the lines come from: exactly one of items, cart_id, from_cart. */
function sourceOf(request: PlaceOrder): 'items' | 'cart' {
  const given = [request.items !== undefined, request.cart_id !== undefined, request.from_cart === true].filter(Boolean).length;
  if (given !== 1) {
    throw new HttpProblem(400, 'Send the lines as items, or the cart to check out: cart_id (a guest cart) or from_cart: true (your cart); exactly one.', {
      extensions: { errors: [{ pointer: '/body', detail: 'exactly one of items, cart_id, from_cart' }] },
    });
  }
  return request.items !== undefined ? 'items' : 'cart';
}

export class Checkout {
  private readonly products: ProductReader;

  /** When this process last raised a standing cancel into each saga run (recover). */
  private readonly cancelsRaised = new Map<string, number>();

  constructor(
    private readonly orders: OrderStore,
    private readonly sidecar: Sidecar,
    private readonly engine: CheckoutEngine,
    private readonly config: CheckoutConfig,
    readonly logger: Logger,
    private readonly rules: PlacementRules = NO_RULES,
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

    const source = sourceOf(request);
    const earlier = idempotencyKey ? await this.orders.byId(id) : undefined;
    if (earlier) return { order: sameRequest(earlier, requestHash), created: false };

    if (source === 'items') return this.placeItems(id, userId, request, request.items!, requestHash, idempotencyKey, null);
    // From a cart: hold it first (the lines held are the lines ordered; nobody changes them while
    // the order is checked out), and give it back if the order is not placed after all.
    const cartId = cartActorOf({ cart_id: request.cart_id, user_id: userId });
    const held = await holdCart(this.sidecar, cartId, id, this.cartHoldSeconds());
    try {
      const placed = await this.placeItems(id, userId, request, held.items.map((l) => ({ product_id: l.product_id, sku: l.sku, quantity: l.quantity })), requestHash, idempotencyKey, cartId);
      if (!placed.created && placed.order.cart_id !== cartId) await this.releaseHold(cartId, id);
      return placed;
    } catch (err) {
      await this.releaseHold(cartId, id);
      throw err;
    }
  }

  /** The cart stays held while the saga may still run: the payment timeout, the reservation, and a margin for retries. */
  private cartHoldSeconds(): number {
    return this.config.paymentTimeoutSeconds + this.config.reservationTtlSeconds + 600;
  }

  private async releaseHold(cartId: string, orderId: string): Promise<void> {
    try {
      await releaseCart(this.sidecar, cartId, orderId);
    } catch (err) {
      this.logger.warn({ err, order_id: orderId, cart_id: cartId }, 'a cart held for an order that was not placed could not be released; its hold lapses by itself');
    }
  }

  private async placeItems(
    id: string, userId: string, request: PlaceOrder, items: RequestedItem[], requestHash: string, idempotencyKey: string | undefined, cartId: string | null,
  ): Promise<{ order: OrderRow; created: boolean }> {
    if (items.length > MAX_ORDER_LINES) throw new HttpProblem(422, `At most ${MAX_ORDER_LINES} lines per order; the cart has ${items.length}.`, { extensions: { code: 'too_many_lines' } });
    const products = await Promise.all(items.map((item) => this.products.read(item.product_id)));
    const priced = priceOrder(items, products);
    if (!priced.ok) throw new HttpProblem(422, priced.detail, { extensions: { item: priced.item } });
    const [methods, rates] = await Promise.all([this.rules.methods(), this.rules.taxRates()]);
    const country = String(request.shipping_address.country);
    const cart = { country, currency: priced.currency, weight_grams: priced.lines.reduce((w, l) => w + (l.weight_grams ?? 0), 0), subtotal_minor: priced.subtotal_minor };
    const shipping = chooseShipping(this.rules.strategies.shipping, methods, cart, request.shipping_method, this.config.shippingFlatMinor);
    if (!shipping.ok) {
      const available = shipping.available.map((q) => ({ ...q, price: fromMinorUnits(q.price_minor, q.currency) }));
      throw new HttpProblem(422, shipping.detail, { extensions: { code: shipping.code, available, errors: [{ pointer: '/body/shipping_method', detail: shipping.detail }] } });
    }
    // The rates are fixed now, with the order; the saga's redeem step taxes again after the discount.
    const basis = taxBasisFor(this.rules.strategies.tax, rates, { country, currency: priced.currency, lines: priced.lines.map((l) => ({ line_total_minor: l.line_total_minor, tax_class: l.tax_class ?? 'standard' })) });
    const breakdown = computeTax(basis, 0, shipping.shipping_minor);

    const { order, created } = await this.orders.create({
      id,
      user_id: userId,
      currency: priced.currency,
      lines: priced.lines,
      subtotal_minor: priced.subtotal_minor,
      shipping_minor: shipping.shipping_minor,
      shipping_method: shipping.method,
      tax: { basis, breakdown },
      coupon_codes: request.coupon_codes ?? [],
      shipping_address: request.shipping_address,
      idempotency_key: idempotencyKey ?? null,
      request_hash: requestHash,
      cart_id: cartId,
      // The saga's activities run later, outside this request: they continue its trace from here.
      trace: currentTrace() ?? null,
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
      payment_max_attempts: this.config.paymentMaxAttempts ?? 1,
      ...(order.cart_id ? { cart: { cart_id: order.cart_id } } : {}),
    };
  }

  private async start(order: OrderRow, lines: OrderLine[]): Promise<void> {
    // New orders and every re-run start on the latest version (contract.ts, versioning rule).
    await this.engine.client.scheduleNewWorkflow(CHECKOUT_WORKFLOW, this.inputOf(order, lines), instanceIdOf(order));
    await this.orders.markWorkflowStarted(order.id, CHECKOUT_WORKFLOW);
    // A cancel asked for before this instance existed (the saga not started yet, or between a
    // dead run and its re-run) could not be raised then; it is in the history, so raise it now.
    // The workflow keeps an event that arrives before it waits for it.
    const asked = (await this.orders.history(order.id)).find((e) => e.event === 'cancel_requested');
    if (asked && !(await this.raise(instanceIdOf(order), EVENTS.cancel, asked.detail ?? {}))) {
      this.logger.error({ order_id: order.id }, 'a recorded cancel could not be raised into the started saga; the customer may cancel again');
    }
  }

  /**
   * Asks the saga to stop before payment (it compensates and ends the order cancelled), and
   * answers the order as it is now. The request is written down first (`cancel_requested`),
   * then raised into the saga's instance. The instance may not exist (the saga is not started
   * yet, its start failed, or it died and awaits its re-run): then `start` raises the recorded
   * cancel once the instance exists, and the request stands. The saga may also have settled
   * the order meanwhile (paid, failed, or cancelled by an earlier request): the caller gets the
   * order's current state and decides on it (a paid order is refunded). Only a sidecar that
   * cannot be reached at all, for an instance that exists, is a 503 (retry).
   */
  async requestCancel(order: OrderRow, by: string, reason?: string): Promise<OrderRow> {
    const detail = { by, reason: reason ?? null };
    await this.orders.note(order.id, 'cancel_requested', detail);
    let raised = await this.raise(instanceIdOf(order), EVENTS.cancel, detail);
    let now = (await this.orders.byId(order.id)) ?? order;
    if (raised || isSettled(now.status)) return now;
    if (instanceIdOf(now) !== instanceIdOf(order)) {
      // The sweep moved the saga to a new run meanwhile: ask that one.
      raised = await this.raise(instanceIdOf(now), EVENTS.cancel, detail);
      now = (await this.orders.byId(order.id)) ?? now;
      if (raised || isSettled(now.status)) return now;
    }
    // Never started: place() or the sweep starts it, and start() raises the recorded cancel.
    if (!now.workflow_started_at) return now;
    let state: Awaited<ReturnType<CheckoutEngine['client']['getWorkflowState']>>;
    try {
      state = await this.engine.client.getWorkflowState(instanceIdOf(now), false);
    } catch (err) {
      this.logger.warn({ err, order_id: order.id }, 'cancel recorded but not raised: the workflow engine cannot be reached');
      throw new HttpProblem(503, 'The cancellation is recorded but the checkout cannot be reached right now; retry.', { headers: { 'retry-after': '2' } });
    }
    // Gone: the sweep runs the saga again, and start() raises the recorded cancel into the re-run.
    if (!state) return now;
    this.logger.warn({ order_id: order.id, workflow_status: state.runtimeStatus }, 'cancel recorded but not raised into a live saga');
    throw new HttpProblem(503, 'The cancellation is recorded but the checkout did not take it yet; retry.', { headers: { 'retry-after': '2' } });
  }

  /** Raises an event into a saga instance; false when the engine refused it or could not be reached. */
  private async raise(instanceId: string, event: string, payload: unknown): Promise<boolean> {
    try {
      await this.engine.client.raiseEvent(instanceId, event, payload);
      return true;
    } catch (err) {
      this.logger.info({ err, instance_id: instanceId, event }, 'event not raised into the saga');
      return false;
    }
  }

  /** Raises a payment outcome into the order's saga (from the payment service's events). */
  async paymentOutcome(order: Pick<OrderRow, 'id' | 'workflow_run'>, event: PaymentEvent): Promise<void> {
    await this.engine.client.raiseEvent(instanceIdOf(order), EVENTS.payment, event);
  }

  /** One pass of the recovery sweep: start what never started, restart what died, raise again a cancel that did not take. */
  async recover(stalledAfterSeconds: number, cancelStandingSeconds = 30): Promise<{ started: number; restarted: number; cancels: number }> {
    let started = 0;
    let restarted = 0;
    let cancels = 0;
    // A cancel recorded but lost on its way into the saga (its sidecar died as it was raised,
    // the customer never retried): raised again into the current run. A saga that already took
    // one ignores the rest.
    const now = Date.now();
    for (const standing of await this.orders.standingCancels(cancelStandingSeconds)) {
      const key = instanceIdOf(standing);
      if ((this.cancelsRaised.get(key) ?? 0) > now - 60_000) continue; // once a minute at most per run
      if (await this.raise(key, EVENTS.cancel, standing.detail ?? {})) {
        this.cancelsRaised.set(key, now);
        cancels += 1;
      }
    }
    for (const [key, at] of this.cancelsRaised) if (at < now - 3600_000) this.cancelsRaised.delete(key);
    for (const id of await this.orders.unstarted(5)) {
      const order = await this.orders.byId(id);
      if (!order) continue;
      const state = await this.engine.client.getWorkflowState(instanceIdOf(order), false);
      if (isHollow(state)) {
        restarted += await this.runAgain(order, state);
      } else if (state) await this.orders.markWorkflowStarted(id);
      else {
        await this.start(order, await this.orders.lines(id));
        started += 1;
      }
    }
    // A saga that never took its first step (the order still pending after half a minute) may be
    // hollow: looked at early, since the stalled pass below waits past the payment timeout.
    for (const id of await this.orders.stalled(HOLLOW_AFTER_SECONDS, 100, ['pending'])) {
      const order = await this.orders.byId(id);
      if (!order) continue;
      const state = await this.engine.client.getWorkflowState(instanceIdOf(order), false);
      if (isHollow(state)) restarted += await this.runAgain(order, state);
    }
    for (const id of await this.orders.stalled(stalledAfterSeconds)) {
      const order = await this.orders.byId(id);
      if (!order) continue;
      const state = await this.engine.client.getWorkflowState(instanceIdOf(order), false);
      if (stillRunning(state, true)) continue;
      restarted += await this.runAgain(order, state);
    }
    return { started, restarted, cancels };
  }

  /** Runs an order's saga again under a new instance id; a hollow instance left behind is terminated (it never ran, so nothing of it is undone). */
  private async runAgain(order: OrderRow, state: { runtimeStatus: WorkflowRuntimeStatus } | undefined): Promise<number> {
    this.logger.warn({ order_id: order.id, run: order.workflow_run, workflow_status: state?.runtimeStatus ?? 'missing', hollow: isHollow(state) }, 'the saga of an unsettled order is gone; running it again');
    if (state) await this.engine.client.terminateWorkflow(instanceIdOf(order), { reason: 'replaced by a new run' }).catch(() => undefined);
    const run = await this.orders.nextWorkflowRun(order.id);
    await this.start({ ...order, workflow_run: run }, await this.orders.lines(order.id));
    return 1;
  }
}

function sameRequest(order: OrderRow, requestHash: string): OrderRow {
  if (order.request_hash !== requestHash) throw new HttpProblem(422, 'This Idempotency-Key was used for a different order.');
  return order;
}
