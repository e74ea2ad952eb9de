/**
 * The steps of checkout.v2, each beside the compensation that undoes it. Compensations run
 * newest first (saga.ts): the payment, then the promotions, then the stock.
 */
import {
  ACTIVITIES as A,
  type CancelPaymentOutcome,
  type DeclineRecord,
  type Ending,
  type PaymentCheckOutcome,
  type PaymentOutcome,
  type PrepareOutcome,
  type RedeemOutcome,
  type ReserveOutcome,
  type SettleOutcome,
  type SettleV4Outcome,
  type Totals,
  type UnwindInput,
  type UnwindOutcome,
  type VoidPaymentOutcome,
} from './contract';
import { reachedThrough, type PrepareInput } from './combined';
import { COMPENSATION, FORWARD } from './retry';
import { step } from './saga';

type Reservations = Array<{ sku: string; quantity: number }>;

export const STEPS = {
  reserveStock: step<{ order_id: string; reservations: Reservations; ttl_seconds: number }, ReserveOutcome>({
    activity: A.reserveStockV2,
    retry: FORWARD,
    // Before the call: a refusal part-way (line 2 out of stock) or a lost answer may hold lines.
    compensation: { label: 'stock_released', activity: A.releaseStock, registered: 'before', args: (i) => ({ order_id: i.order_id, reservations: i.reservations }) },
  }),

  redeemPromotions: step<{ order_id: string; user_id: string; currency: string; items: unknown[]; coupon_codes: string[]; shipping_minor: number }, RedeemOutcome>({
    activity: A.redeemPromotions,
    retry: FORWARD,
    // Before the call: a lost answer may have counted the coupons (release is idempotent by order).
    compensation: { label: 'promotions_released', activity: A.releasePromotions, registered: 'before', args: (i) => ({ order_id: i.order_id }) },
  }),

  openPayment: step<{ order_id: string; user_id: string; currency: string; totals: Totals }, PaymentOutcome>({
    activity: A.openPayment,
    retry: FORWARD,
    // After: it needs the payment id. One idempotent activity whatever became of the payment:
    // cancelled if it had not succeeded, refunded if it had (the settle refused), or nothing.
    compensation: {
      label: 'payment_cancelled',
      activity: A.voidPayment,
      registered: 'after',
      args: (_, payment) => ({ payment_id: payment.payment_id }),
      outcome: (r: VoidPaymentOutcome) => (r.outcome === 'refunded' ? 'payment_refunded' : 'payment_cancelled'),
    },
  }),

  /** A re-run asks what became of the payment before it waits for an event its dead run may have taken. */
  checkPayment: step<{ payment_id: string }, PaymentCheckOutcome>({ activity: A.checkPayment, retry: FORWARD }),

  /**
   * Cancel or timeout while waiting: stop the payment before giving up on it (if it went through
   * meanwhile, the order is paid after all). With the compensation budget: it must happen.
   */
  stopPayment: step<{ payment_id: string }, CancelPaymentOutcome>({ activity: A.cancelPayment, retry: COMPENSATION }),

  /**
   * Commit the stock and mark the order paid. The compensation budget, not the forward one: after
   * a payment, a brief outage must not refund a paid order. Nothing to undo of its own: a refusal
   * returns what it committed before it answers (activities.ts).
   */
  settle: step<{ order_id: string; reservations: Reservations; totals: Totals }, SettleOutcome>({ activity: A.settle, retry: COMPENSATION }),

  /** Writes a non-paid ending on the order. */
  finish: step<Ending, void>({ activity: A.finish, retry: COMPENSATION }),

  /** v3: a declined attempt, written on the order (it stays awaiting payment while attempts are left). */
  recordDecline: step<DeclineRecord, void>({ activity: A.recordDecline, retry: COMPENSATION }),

  /**
   * v3: the cart the order was placed from stays held (placement held it; this renews the hold
   * for the payment's time). Released before the call: whatever ends the order unpaid gives the
   * cart back to its shopper with its lines.
   */
  holdCart: step<{ cart_id: string; order_id: string; hold_seconds: number }, void>({
    activity: A.holdCart,
    retry: FORWARD,
    compensation: { label: 'cart_released', activity: A.releaseCart, registered: 'before', args: (i) => ({ cart_id: i.cart_id, order_id: i.order_id }) },
  }),

  /** v3: once paid, the ordered lines leave the cart (idempotent by order id). */
  emptyCart: step<{ cart_id: string; order_id: string; lines: Reservations }, void>({ activity: A.emptyCart, retry: COMPENSATION }),
};

/**
 * checkout.v4's steps (combined.ts): the forward parts that always run together are one step,
 * with one compensation beside it that undoes each of its parts.
 */
export const STEPS_V4 = {
  prepare: step<PrepareInput, PrepareOutcome>({
    activity: A.prepare,
    retry: FORWARD,
    // Before the call: a lost answer may hold any part (the payment one the order records). Once
    // it answered, only what it reached (a refusal says how far; a success, everything).
    compensation: {
      label: 'checkout_unwound',
      activity: A.unwind,
      registered: 'before',
      args: (i): UnwindInput => ({ order_id: i.order_id, reservations: i.reservations, cart_id: i.cart_id, parts: reachedThrough('payment', i.cart_id !== undefined, false) }),
      narrow: (i, o): UnwindInput => ({
        order_id: i.order_id,
        reservations: i.reservations,
        cart_id: i.cart_id,
        ...(o.ok
          ? { parts: reachedThrough('payment', i.cart_id !== undefined, o.payment_id === null), ...(o.payment_id ? { payment_id: o.payment_id } : {}) }
          : { parts: o.reached }),
      }),
      outcome: (r: UnwindOutcome) => r.undone,
    },
  }),

  /** Settle, and the cart emptied in the same turn (paid: nothing to undo, as settle). */
  settle: step<{ order_id: string; reservations: Reservations; totals: Totals; cart_id?: string }, SettleV4Outcome>({ activity: A.settleV4, retry: COMPENSATION }),
};
