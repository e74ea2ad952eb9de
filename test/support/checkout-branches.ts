/**
 * Every branch of the latest checkout workflow as a scripted run of the fake driver: the branch
 * tests assert each one's outcome, and the trace test holds each one's sequence of yields
 * (workflows/checkout/v2.trace.json). A new branch is added here, so both see it.
 */
import { ACTIVITIES as A, type CheckoutInput } from '../../workflows/checkout/contract';
import type { Script, Wait } from './fake-workflow';

export const ORDER = '0190c0de-0000-7000-8000-000000000001';
export const RERUN = `${ORDER}~2`;

export const input: CheckoutInput = {
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

const transient = () => {
  throw new Error('answered 503');
};

/** Every activity answers as on a good day (v1 and v2 names). */
export const happy: Script = {
  [A.reserveStock]: () => ({ ok: true }),
  [A.reserveStockV2]: () => ({ ok: true }),
  [A.redeemPromotions]: () => ({ ok: true, subtotal_minor: 5000, discount_minor: 0, shipping_minor: 0, total_minor: 5000, discounts: [] }),
  [A.openPayment]: () => ({ ok: true, payment_id: 'pay-1', intent_id: 'pi_1', status: 'requires_payment' }),
  [A.settle]: () => ({ ok: true }),
  [A.cancelPayment]: () => ({ outcome: 'canceled' }),
  [A.refundPayment]: () => undefined,
  [A.voidPayment]: () => ({ outcome: 'canceled' }),
  [A.releasePromotions]: () => undefined,
  [A.releaseStock]: () => undefined,
  [A.finish]: () => undefined,
  [A.checkPayment]: () => ({ outcome: 'pending' }),
};

export const succeeded: Wait = { event: 'payment', payload: { status: 'succeeded', payment_id: 'pay-1' } };
export const declined: Wait = { event: 'payment', payload: { status: 'failed', payment_id: 'pay-1', detail: 'The card was declined.' } };
export const cancel: Wait = { event: 'cancel', payload: { by: 'u-1' } };

export interface Branch {
  instanceId: string;
  script: Script;
  wait?: Wait;
}

const branch = (script: Script, wait?: Wait, instanceId = ORDER): Branch => ({ instanceId, script: { ...happy, ...script }, wait });

export const BRANCHES = {
  paid: branch({}, succeeded),
  paid_zero_total: branch({ [A.redeemPromotions]: () => ({ ok: true, subtotal_minor: 5000, discount_minor: 5000, shipping_minor: 0, total_minor: 0, discounts: [] }) }),
  paid_after_settle_outage: branch({ [A.settle]: (_, attempt) => (attempt <= 10 ? transient() : { ok: true }) }, succeeded),
  out_of_stock: branch({ [A.reserveStockV2]: () => ({ ok: false, reason: 'out_of_stock', detail: 'Only 1 of A-1 available; 2 wanted.' }) }),
  reserve_unavailable: branch({ [A.reserveStockV2]: transient }),
  coupon_unavailable: branch({ [A.redeemPromotions]: () => ({ ok: false, reason: 'coupon_unavailable', detail: 'SAVE10 is used up.' }) }),
  coupon_invalid: branch({ [A.redeemPromotions]: () => ({ ok: false, reason: 'coupon_invalid', detail: 'No coupon NOPE.' }) }),
  internal_error: branch({ [A.redeemPromotions]: () => undefined }),
  payment_refused: branch({ [A.openPayment]: () => ({ ok: false, reason: 'payment_refused', detail: 'Stripe refused the payment intent.' }) }),
  payment_declined: branch({}, declined),
  cancelled: branch({}, cancel),
  cancel_finds_paid: branch({ [A.cancelPayment]: () => ({ outcome: 'already_succeeded' }) }, cancel),
  cancel_payment_unavailable: branch({ [A.cancelPayment]: transient }, cancel),
  timeout: branch({}, 'timeout'),
  timeout_finds_paid: branch({ [A.cancelPayment]: () => ({ outcome: 'already_succeeded' }) }, 'timeout'),
  settle_refused: branch({ [A.settle]: () => ({ ok: false, reason: 'reservation_expired', detail: 'B-1: expired' }), [A.voidPayment]: () => ({ outcome: 'refunded' }) }, succeeded),
  compensation_gave_up: branch({ [A.releasePromotions]: transient }, declined),
  rerun_paid: branch({ [A.checkPayment]: () => ({ outcome: 'succeeded' }) }, undefined, RERUN),
  rerun_failed: branch({ [A.checkPayment]: () => ({ outcome: 'failed' }) }, undefined, RERUN),
  rerun_pending: branch({}, succeeded, RERUN),
  rerun_unreachable: branch({ [A.checkPayment]: transient }, succeeded, RERUN),
} satisfies Record<string, Branch>;

export type BranchName = keyof typeof BRANCHES;
