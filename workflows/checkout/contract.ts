/**
 * The checkout saga's contract: its input, the activities it calls (by name, so the workflow
 * code holds no references to I/O) and the external events it waits for.
 */
import type { FailureReason } from '../../apps/order/src/domain/status';

export const CHECKOUT_WORKFLOW = 'checkout';

export interface CheckoutInput {
  order_id: string;
  user_id: string;
  currency: string;
  /** One entry per SKU, in SKU order. */
  reservations: Array<{ sku: string; quantity: number }>;
  /** What promotions price (product, quantity, unit price). */
  items: Array<{ product_id: string; quantity: number; unit_price_minor: number }>;
  coupon_codes: string[];
  shipping_minor: number;
  payment_timeout_seconds: number;
  reservation_ttl_seconds: number;
}

/** External events raised into a running checkout (instance id = order id). */
export const EVENTS = {
  /** The payment service saw Stripe confirm or fail the intent (webhook → pub/sub → order). */
  payment: 'payment',
  /** The customer (or an admin) cancelled before payment. */
  cancel: 'cancel',
} as const;

export interface PaymentEvent {
  status: 'succeeded' | 'failed';
  payment_id: string;
  detail?: string;
}

export interface CancelEvent {
  by: string;
  reason?: string;
}

/** A step that the other service refused for good (no retry changes it): the saga compensates. */
export interface Refusal {
  ok: false;
  reason: FailureReason;
  detail: string;
}

export interface Totals {
  subtotal_minor: number;
  discount_minor: number;
  shipping_minor: number;
  total_minor: number;
  discounts: unknown[];
}

export type ReserveOutcome = { ok: true } | Refusal;
export type RedeemOutcome = ({ ok: true } & Totals) | Refusal;
export type PaymentOutcome = { ok: true; payment_id: string; intent_id: string; status: string } | Refusal;
export type SettleOutcome = { ok: true } | Refusal;
export type CancelPaymentOutcome = { outcome: 'canceled' | 'already_succeeded' | 'none' };
/** What the payment service recorded for the order's payment: `pending` while it has no outcome yet. */
export type PaymentCheckOutcome = { outcome: 'succeeded' | 'failed' | 'pending' };

export const ACTIVITIES = {
  reserveStock: 'reserveStock',
  redeemPromotions: 'redeemPromotions',
  openPayment: 'openPayment',
  settle: 'settle',
  releaseStock: 'releaseStock',
  releasePromotions: 'releasePromotions',
  cancelPayment: 'cancelPayment',
  refundPayment: 'refundPayment',
  checkPayment: 'checkPayment',
  finish: 'finish',
} as const;

/** How the saga ended: written on the order by the `finish` activity. */
export interface Ending {
  order_id: string;
  status: 'paid' | 'failed' | 'cancelled';
  reason?: FailureReason;
  detail?: string;
  compensated?: string[];
}
