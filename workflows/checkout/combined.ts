/**
 * checkout.v4's activities: the side effects that always run together, in one activity each, so
 * that an order costs three workflow turns on its way to paid instead of seven (each turn in
 * Dapr 1.18 is several state-store commits and Scheduler round trips). They are made of v3's
 * activities (activities.ts), which stay registered for the instances still running on v3, so
 * each part keeps its idempotency by order id: a repeat of the whole activity (a crash, a
 * transient failure of a later part) repeats parts that are no-ops the second time.
 */
import type { WorkflowActivityContext } from '@dapr/dapr';
import type { Logger } from '../../kernel/logger';
import {
  ACTIVITIES as A, type PaymentOutcome, type PreparedPart, type PrepareOutcome, type RedeemOutcome, type ReserveOutcome, type SettleOutcome,
  type SettleV4Outcome, type Totals, type UnwindInput, type UnwindOutcome, type VoidPaymentOutcome,
} from './contract';
import type { OrderPort } from './ports';

type Reservations = Array<{ sku: string; quantity: number }>;
type Ctx = WorkflowActivityContext;

/** The v3 activities the combined ones are made of. */
export interface Parts {
  [A.holdCart](ctx: Ctx, input: { cart_id: string; order_id: string; hold_seconds: number }): Promise<void>;
  [A.reserveStockV2](ctx: Ctx, input: { order_id: string; reservations: Reservations; ttl_seconds: number }): Promise<ReserveOutcome>;
  [A.redeemPromotions](ctx: Ctx, input: { order_id: string; user_id: string; currency: string; items: unknown[]; coupon_codes: string[]; shipping_minor: number }): Promise<RedeemOutcome>;
  [A.openPayment](ctx: Ctx, input: { order_id: string; user_id: string; currency: string; totals: Totals }): Promise<PaymentOutcome>;
  [A.voidPayment](ctx: Ctx, input: { payment_id: string }): Promise<VoidPaymentOutcome>;
  [A.releasePromotions](ctx: Ctx, input: { order_id: string }): Promise<void>;
  [A.releaseStock](ctx: Ctx, input: { order_id: string; reservations: Reservations }): Promise<void>;
  [A.releaseCart](ctx: Ctx, input: { cart_id: string; order_id: string }): Promise<void>;
  [A.settle](ctx: Ctx, input: { order_id: string; reservations: Reservations; totals: Totals }): Promise<SettleOutcome>;
  [A.emptyCart](ctx: Ctx, input: { cart_id: string; order_id: string; lines: Reservations }): Promise<void>;
}

export interface PrepareInput {
  order_id: string;
  user_id: string;
  currency: string;
  reservations: Reservations;
  items: unknown[];
  coupon_codes: string[];
  shipping_minor: number;
  ttl_seconds: number;
  cart_id?: string;
  hold_seconds: number;
}

/**
 * What unwindCheckout undoes once prepareCheckout answered, having got as far as `part`: every
 * part up to it, itself included (a refused reservation may hold lines, a refused redemption may
 * have counted a coupon: as v3 registered those compensations before the call) except a payment
 * that was refused (nothing opened; v3 registered its compensation after a success).
 */
export function reachedThrough(part: PreparedPart, cart: boolean, refused: boolean): PreparedPart[] {
  const order: PreparedPart[] = ['cart', 'stock', 'promotions', 'payment'];
  return order.slice(0, order.indexOf(part) + 1).filter((p) => (p !== 'cart' || cart) && !(p === 'payment' && refused));
}

export function combinedActivities(parts: Parts, deps: { orders: OrderPort; logger: Logger }) {
  const { orders, logger } = deps;
  return {
    /**
     * Holds the cart, reserves the stock, redeems the promotions and opens the payment (the
     * order is awaiting_payment when it answers); a total of 0 opens no payment. A refusal
     * names the parts that may hold something (`reached`); a transient failure throws and the
     * whole activity runs again.
     */
    async [A.prepare](ctx: Ctx, input: PrepareInput): Promise<PrepareOutcome> {
      const { order_id, user_id, currency, cart_id } = input;
      const cart = cart_id !== undefined;
      if (cart_id) {
        try {
          await parts[A.holdCart](ctx, { cart_id, order_id, hold_seconds: input.hold_seconds });
        } catch (err) {
          // As v3 out of attempts: the hold placed with the order stands (it lapses by itself).
          logger.warn({ err, order_id, cart_id }, 'prepare: the cart hold was not renewed');
        }
      }
      const reserved = await parts[A.reserveStockV2](ctx, { order_id, reservations: input.reservations, ttl_seconds: input.ttl_seconds });
      if (!reserved.ok) return { ...reserved, reached: reachedThrough('stock', cart, true) };
      const redeemed = await parts[A.redeemPromotions](ctx, { order_id, user_id, currency, items: input.items, coupon_codes: input.coupon_codes, shipping_minor: input.shipping_minor });
      if (!redeemed.ok) return { ...redeemed, reached: reachedThrough('promotions', cart, true) };
      const totals: Totals = { subtotal_minor: redeemed.subtotal_minor, discount_minor: redeemed.discount_minor, shipping_minor: redeemed.shipping_minor, total_minor: redeemed.total_minor, discounts: redeemed.discounts };
      if (totals.total_minor === 0) return { ok: true, ...totals, payment_id: null };
      const payment = await parts[A.openPayment](ctx, { order_id, user_id, currency, totals });
      if (!payment.ok) return { ...payment, reached: reachedThrough('payment', cart, true) };
      return { ok: true, ...totals, payment_id: payment.payment_id };
    },

    /**
     * prepareCheckout's compensation: voids the payment (the one given, else the one the order
     * records), releases the promotions, the stock and the cart, newest first; each part is
     * idempotent. Every part is tried before a failure is thrown, so a service that is down
     * holds up only its own part; the retry repeats the others as no-ops.
     */
    async [A.unwind](ctx: Ctx, input: UnwindInput): Promise<UnwindOutcome> {
      const undone: string[] = [];
      const failures: string[] = [];
      const attempt = async (part: PreparedPart, run: () => Promise<string | undefined>) => {
        if (!input.parts.includes(part)) return;
        try {
          const label = await run();
          if (label) undone.push(label);
        } catch (err) {
          failures.push(`${part}: ${err instanceof Error ? err.message : String(err)}`);
        }
      };
      await attempt('payment', async () => {
        const paymentId = input.payment_id ?? (await orders.byId(input.order_id))?.payment_id ?? undefined;
        if (!paymentId) return undefined; // the answer that would have named it was lost before the order recorded it
        const voided = await parts[A.voidPayment](ctx, { payment_id: paymentId });
        return voided.outcome === 'refunded' ? 'payment_refunded' : 'payment_cancelled';
      });
      await attempt('promotions', async () => (await parts[A.releasePromotions](ctx, { order_id: input.order_id }), 'promotions_released'));
      await attempt('stock', async () => (await parts[A.releaseStock](ctx, { order_id: input.order_id, reservations: input.reservations }), 'stock_released'));
      await attempt('cart', async () => {
        if (!input.cart_id) return undefined;
        await parts[A.releaseCart](ctx, { cart_id: input.cart_id, order_id: input.order_id });
        return 'cart_released';
      });
      if (failures.length) throw new Error(`unwind incomplete: ${failures.join('; ')}`);
      return { undone };
    },

    /**
     * Commits the stock and marks the order paid (settle), then takes the ordered lines out of
     * the cart. A cart that cannot be reached does not hold up the settle's answer
     * (`cart_emptied: false`: the saga empties it as a step of its own, with retries).
     */
    async [A.settleV4](ctx: Ctx, input: { order_id: string; reservations: Reservations; totals: Totals; cart_id?: string }): Promise<SettleV4Outcome> {
      const settled = await parts[A.settle](ctx, { order_id: input.order_id, reservations: input.reservations, totals: input.totals });
      if (!settled.ok || !input.cart_id) return settled;
      try {
        await parts[A.emptyCart](ctx, { cart_id: input.cart_id, order_id: input.order_id, lines: input.reservations });
        return { ok: true, cart_emptied: true };
      } catch (err) {
        logger.warn({ err, order_id: input.order_id, cart_id: input.cart_id }, 'settle: the cart was not emptied; the saga retries it');
        return { ok: true, cart_emptied: false };
      }
    },
  };
}
