/**
 * The checkout saga's side effects. Each is idempotent by order id (the other services key
 * reservations, redemptions and payment intents by it), so Dapr may run one again after a
 * crash. They return a Refusal for an answer that will not change (out of stock, coupon used
 * up, card refused) and throw for a transient one, which the workflow retries.
 */
import type { WorkflowActivityContext } from '@dapr/dapr';
import type { Sidecar, SidecarInit } from '../../kernel/dapr/sidecar';
import type { Logger } from '../../kernel/logger';
import {
  ACTIVITIES, type CancelPaymentOutcome, type DeclineRecord, type PaymentCheckOutcome, type Ending, type FailureReason, type PaymentOutcome, type RedeemOutcome, type Refusal,
  type ReserveOutcome, type SettleOutcome, type Totals, type VoidPaymentOutcome,
} from './contract';
import type { OrderPort, PaymentLookup } from './ports';
import { computeTax } from './tax';
import { combinedActivities } from './combined';

/** What the hosting app passes in (apps/order/src/main.ts). */
export interface ActivityDeps {
  sidecar: Sidecar;
  orders: OrderPort;
  payments: PaymentLookup;
  logger: Logger;
}

type Answer = { status: number; body: any };
type Reservations = Array<{ sku: string; quantity: number }>;

/** Posts to another service; 5xx, 408, 429 or any answer with Retry-After is transient (thrown). */
async function post(sidecar: Sidecar, app: string, path: string, body?: unknown): Promise<Answer> {
  const init: SidecarInit = body === undefined ? { method: 'POST' } : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  const res = await sidecar.invoke(app, path, init);
  const text = await res.text();
  let parsed: any;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  if (res.status >= 500 || res.status === 408 || res.status === 429 || res.headers.has('retry-after')) {
    throw new Error(`${app} ${path} answered ${res.status}: ${parsed?.detail ?? text.slice(0, 200)}`);
  }
  return { status: res.status, body: parsed };
}

const ok = (a: Answer) => a.status >= 200 && a.status < 300;
const refusal = (reason: FailureReason, detail: string): Refusal => ({ ok: false, reason, detail });
const path = (...parts: string[]) => parts.map(encodeURIComponent).join('/');

/** Inventory's answer to a reservation of an (order, SKU) this order has committed already (a settle that ran before). */
const alreadyCommitted = (a: Answer) => a.status === 409 && /reservation-committed$/.test(String(a.body?.type ?? ''));

export function checkoutActivities({ sidecar, orders, payments, logger }: ActivityDeps) {
  const reservation = (sku: string, orderId: string, verb: 'commit' | 'release') => `/internal/inventory/${path(sku)}/reservations/${path(orderId)}/${verb}`;
  const paymentPath = (id: string, verb: 'cancel' | 'refund') => `/internal/payments/${path(id)}/${verb}`;
  const cartCheckout = (cartId: string, verb?: 'release' | 'complete') => `/internal/carts/${path(cartId)}/checkout${verb ? `/${verb}` : ''}`;
  /**
   * The cart's answer to a checkout call: a 4xx will not change (the cart expired, another
   * checkout took it after this one's hold lapsed): logged, and the order goes on without it.
   */
  const cartCall = async (what: string, cartId: string, orderId: string, verb: 'release' | 'complete' | undefined, body: unknown) => {
    const answer = await post(sidecar, 'cart', cartCheckout(cartId, verb), body);
    if (!ok(answer)) logger.warn({ order_id: orderId, cart_id: cartId, status: answer.status, detail: answer.body?.detail }, `${what}: the cart refused`);
  };

  /**
   * Reserves every line. `committedIsHeld` (v2): a line this order committed already counts as
   * held — a re-run after a run that died part-way through its settle reserves again, and the
   * settle that follows repeats the commit as a 200 no-op. (Today's inventory answers such a
   * repeat 200 with the reservation `committed`; a 409 reservation-committed is taken the same way.)
   */
  const reserve = async (input: { order_id: string; reservations: Reservations; ttl_seconds: number }, committedIsHeld: boolean): Promise<ReserveOutcome> => {
    for (const line of input.reservations) {
      const answer = await post(sidecar, 'inventory', `/internal/inventory/${path(line.sku)}/reservations`, { order_id: input.order_id, quantity: line.quantity, ttl_seconds: input.ttl_seconds });
      if (ok(answer) || (committedIsHeld && alreadyCommitted(answer))) continue;
      if (answer.status === 409 && answer.body?.available !== undefined) {
        return refusal('out_of_stock', `Only ${answer.body.available} of ${line.sku} available; ${line.quantity} wanted.`);
      }
      return refusal('out_of_stock', `${line.sku}: ${answer.body?.detail ?? `inventory answered ${answer.status}`}`);
    }
    await orders.move(input.order_id, 'reserved', 'stock_reserved', {}, { reservations: input.reservations });
    return { ok: true };
  };

  const activities = {
    async [ACTIVITIES.reserveStock](_: WorkflowActivityContext, input: { order_id: string; reservations: Reservations; ttl_seconds: number }): Promise<ReserveOutcome> {
      return reserve(input, false);
    },

    async [ACTIVITIES.reserveStockV2](_: WorkflowActivityContext, input: { order_id: string; reservations: Reservations; ttl_seconds: number }): Promise<ReserveOutcome> {
      return reserve(input, true);
    },

    async [ACTIVITIES.redeemPromotions](
      _: WorkflowActivityContext,
      input: { order_id: string; user_id: string; currency: string; items: unknown[]; coupon_codes: string[]; shipping_minor: number },
    ): Promise<RedeemOutcome> {
      const answer = await post(sidecar, 'promotions', '/internal/promotions/redeem', {
        order_id: input.order_id, user_id: input.user_id, currency: input.currency, items: input.items, coupon_codes: input.coupon_codes,
      });
      if (answer.status === 409) return refusal('coupon_unavailable', answer.body?.detail ?? 'A coupon is used up.');
      if (!ok(answer)) return refusal('coupon_invalid', answer.body?.detail ?? `promotions answered ${answer.status}`);
      const r = answer.body as { subtotal_minor: number; discount_minor: number; total_minor: number; free_shipping: boolean; redemptions: unknown[] };
      const shipping = r.free_shipping ? 0 : input.shipping_minor;
      // The tax is computed here, after the discount, on the rates the order fixed when it was
      // placed (read from the order: v1 and v2 pass this activity no more than they did). An
      // order placed before tax existed has no basis and pays no tax. When prices exclude tax,
      // the total charged includes it; the breakdown is written on the order's lines.
      const basis = await orders.taxBasis?.(input.order_id);
      if (!basis) return { ok: true, subtotal_minor: r.subtotal_minor, discount_minor: r.discount_minor, shipping_minor: shipping, total_minor: r.total_minor + shipping, discounts: r.redemptions };
      const tax = computeTax(basis, r.discount_minor, shipping);
      await orders.recordTax?.(input.order_id, tax);
      const total = r.total_minor + shipping + (basis.prices_include_tax ? 0 : tax.tax_minor);
      return { ok: true, subtotal_minor: r.subtotal_minor, discount_minor: r.discount_minor, shipping_minor: shipping, total_minor: total, discounts: r.redemptions };
    },

    async [ACTIVITIES.openPayment](_: WorkflowActivityContext, input: { order_id: string; user_id: string; currency: string; totals: Totals }): Promise<PaymentOutcome> {
      const answer = await post(sidecar, 'payment', '/internal/payments/intents', {
        order_id: input.order_id, user_id: input.user_id, amount_minor: input.totals.total_minor, currency: input.currency, attempt: 1,
      });
      let payment: { payment_id: string; intent_id: string; client_secret: string | null; status: string };
      if (ok(answer)) payment = answer.body;
      else if (answer.status === 409 && answer.body?.payment_id) {
        // Already paid: this activity is running again after the customer paid; keep what the order holds.
        const order = await orders.byId(input.order_id);
        payment = { payment_id: answer.body.payment_id, intent_id: order?.payment_intent_id ?? '', client_secret: order?.client_secret ?? null, status: 'succeeded' };
      } else return refusal('payment_refused', answer.body?.detail ?? `payment answered ${answer.status}`);
      await orders.move(input.order_id, 'awaiting_payment', 'payment_opened', {
        ...input.totals, payment_id: payment.payment_id, payment_intent_id: payment.intent_id, client_secret: payment.client_secret,
      }, { payment_id: payment.payment_id, amount_minor: input.totals.total_minor });
      return { ok: true, payment_id: payment.payment_id, intent_id: payment.intent_id, status: payment.status };
    },

    async [ACTIVITIES.settle](_: WorkflowActivityContext, input: { order_id: string; reservations: Reservations; totals: Totals }): Promise<SettleOutcome> {
      // Lines are committed one by one; a repeat of a commit is a 200 no-op, so a retry of this
      // activity walks the same lines again. When a later line cannot be committed (its
      // reservation expired or was released), the lines this order committed already are given
      // back on hand (returns, idempotent by SKU and order) before the refusal, so the saga's
      // refund loses no stock. A transient failure of a return throws: the retry commits
      // nothing new (repeats) and returns again.
      const committed: Reservations = [];
      for (const line of input.reservations) {
        const answer = await post(sidecar, 'inventory', reservation(line.sku, input.order_id, 'commit'));
        if (ok(answer)) {
          committed.push(line);
          continue;
        }
        for (const done of committed) {
          const back = await post(sidecar, 'inventory', `/internal/inventory/${path(done.sku)}/returns`, { order_id: input.order_id, quantity: done.quantity });
          if (!ok(back)) logger.error({ order_id: input.order_id, sku: done.sku, status: back.status, detail: back.body?.detail }, 'a committed line of an order that cannot be settled was not returned');
        }
        return refusal('reservation_expired', `${line.sku}: ${answer.body?.detail ?? `inventory answered ${answer.status}`}`);
      }
      const moved = await orders.move(input.order_id, 'paid', 'paid', { ...input.totals, paid_at: new Date() });
      if (!moved.ok) logger.error({ order_id: input.order_id, status: moved.order?.status }, 'a paid order could not be marked paid');
      return { ok: true };
    },

    async [ACTIVITIES.releaseStock](_: WorkflowActivityContext, input: { order_id: string; reservations: Reservations }): Promise<void> {
      for (const line of input.reservations) {
        const answer = await post(sidecar, 'inventory', reservation(line.sku, input.order_id, 'release'));
        // 404: never reserved; 410: expired (already back); 409: released before, or committed (logged).
        if (answer.status === 409 && /committed/i.test(String(answer.body?.type ?? answer.body?.detail))) {
          logger.warn({ order_id: input.order_id, sku: line.sku }, 'compensation found a committed reservation (settle returns what it committed before refusing)');
        }
      }
    },

    async [ACTIVITIES.releasePromotions](_: WorkflowActivityContext, input: { order_id: string }): Promise<void> {
      const answer = await post(sidecar, 'promotions', '/internal/promotions/release', { order_id: input.order_id });
      if (!ok(answer)) throw new Error(`promotions release answered ${answer.status}`);
    },

    async [ACTIVITIES.cancelPayment](_: WorkflowActivityContext, input: { payment_id: string }): Promise<CancelPaymentOutcome> {
      const answer = await post(sidecar, 'payment', paymentPath(input.payment_id, 'cancel'), {});
      if (ok(answer)) return { outcome: 'canceled' };
      if (answer.status === 404) return { outcome: 'none' };
      if (answer.status === 409 && ['succeeded', 'refunded'].includes(answer.body?.status)) return { outcome: 'already_succeeded' };
      throw new Error(`payment cancel answered ${answer.status}: ${answer.body?.detail}`);
    },

    /** The payment as the payment service recorded it (a re-run asks before it waits for an event a dead run may have taken). */
    async [ACTIVITIES.checkPayment](_: WorkflowActivityContext, input: { payment_id: string }): Promise<PaymentCheckOutcome> {
      return { outcome: (await payments.recorded(input.payment_id)).outcome };
    },

    /**
     * Undoes a payment whatever became of it (v2's one payment compensation), idempotent for
     * every repeat: a cancel (the payment service answers a canceled payment 200 again, without
     * Stripe); 404 nothing to undo; 409 `succeeded` → refund (a repeat of the full refund
     * answers the same refund); 409 `refunded` → done. Anything else is transient (thrown):
     * 409 while the intent is being created (Retry-After), or Stripe refusing the cancel.
     */
    async [ACTIVITIES.voidPayment](_: WorkflowActivityContext, input: { payment_id: string }): Promise<VoidPaymentOutcome> {
      const answer = await post(sidecar, 'payment', paymentPath(input.payment_id, 'cancel'), {});
      if (ok(answer)) return { outcome: 'canceled' };
      if (answer.status === 404) return { outcome: 'none' };
      if (answer.status === 409 && answer.body?.status === 'refunded') return { outcome: 'refunded' };
      if (answer.status === 409 && answer.body?.status === 'succeeded') {
        const refund = await post(sidecar, 'payment', paymentPath(input.payment_id, 'refund'), {});
        if (ok(refund)) return { outcome: 'refunded' };
        throw new Error(`payment refund answered ${refund.status}: ${refund.body?.detail}`);
      }
      throw new Error(`payment cancel answered ${answer.status}: ${answer.body?.detail}`);
    },

    async [ACTIVITIES.refundPayment](_: WorkflowActivityContext, input: { payment_id: string }): Promise<void> {
      const answer = await post(sidecar, 'payment', paymentPath(input.payment_id, 'refund'), {});
      if (!ok(answer)) throw new Error(`payment refund answered ${answer.status}: ${answer.body?.detail}`);
    },

    /** v3: a declined attempt on the order's history (the order stays awaiting payment while attempts are left). */
    async [ACTIVITIES.recordDecline](_: WorkflowActivityContext, input: DeclineRecord): Promise<void> {
      await orders.note(input.order_id, 'payment_declined', { payment_id: input.payment_id, attempt: input.attempt, max_attempts: input.max_attempts, detail: input.detail });
    },

    /** v3: renews the hold placement put on the cart (idempotent by order id). */
    async [ACTIVITIES.holdCart](_: WorkflowActivityContext, input: { cart_id: string; order_id: string; hold_seconds: number }): Promise<void> {
      await cartCall('hold the cart', input.cart_id, input.order_id, undefined, { order_id: input.order_id, hold_seconds: input.hold_seconds });
    },

    /** v3 compensation: the cart is the shopper's again, with its lines (idempotent; a hold of another order is left alone). */
    async [ACTIVITIES.releaseCart](_: WorkflowActivityContext, input: { cart_id: string; order_id: string }): Promise<void> {
      await cartCall('release the cart', input.cart_id, input.order_id, 'release', { order_id: input.order_id });
    },

    /** v3, once paid: the ordered lines leave the cart (idempotent by order id). */
    async [ACTIVITIES.emptyCart](_: WorkflowActivityContext, input: { cart_id: string; order_id: string; lines: Reservations }): Promise<void> {
      await cartCall('empty the cart', input.cart_id, input.order_id, 'complete', { order_id: input.order_id, lines: input.lines });
    },

    async [ACTIVITIES.finish](_: WorkflowActivityContext, ending: Ending): Promise<void> {
      const moved = await orders.move(ending.order_id, ending.status, ending.status === 'cancelled' ? 'cancelled' : 'checkout_failed', {
        failure_reason: ending.reason ?? null, failure_detail: ending.detail ?? null,
      }, { compensated: ending.compensated });
      if (!moved.ok) logger.warn({ order_id: ending.order_id, status: moved.order?.status, wanted: ending.status }, 'the saga ended but the order had moved on');
    },
  };
  return { ...activities, ...combinedActivities(activities, { orders, logger }) };
}
