/**
 * Every branch of the latest checkout workflow as a scripted run of the fake driver: the branch
 * tests assert each one's outcome, and the trace test holds each one's sequence of yields
 * (workflows/checkout/v2.trace.json). A new branch is added here, so both see it.
 */
import { ACTIVITIES as A, type CheckoutInput } from '../../workflows/checkout/contract';
import type { Script, Wait } from './fake-workflow';
import { combinedActivities, type Parts } from '../../workflows/checkout/combined';
import type { OrderPort } from '../../workflows/checkout/ports';
import { createLogger } from '../../kernel/logger';

const silentLogger = createLogger('checkout-branches', 'silent');

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
  wait?: Wait | Wait[];
}

const branch = (script: Script, wait?: Wait | Wait[], instanceId = ORDER): Branch => ({ instanceId, script: { ...happy, ...script }, wait });

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

/** checkout.v3's input: three payment attempts; the cart branches add the cart. */
export const inputV3: CheckoutInput = { ...input, payment_max_attempts: 3 };
export const CART = 'user-0190c0de-0000-7000-8000-0000000000aa';

const v3Happy: Script = { [A.recordDecline]: () => undefined, [A.holdCart]: () => undefined, [A.releaseCart]: () => undefined, [A.emptyCart]: () => undefined };
/** A decline as the order's consumer raises it: with the payment record's state (`<payment>:<version>`). */
const declinedAs = (version: number): Wait => ({ event: 'payment', payload: { status: 'failed', payment_id: 'pay-1', detail: 'The card was declined.', attempt_key: `pay-1:${version}` } });

export interface BranchV3 extends Branch {
  input: CheckoutInput;
}

const v3 = (b: Branch, over: Partial<CheckoutInput> = {}): BranchV3 => ({ ...b, script: { ...v3Happy, ...b.script }, input: { ...inputV3, ...over } });
const withCart = { cart: { cart_id: CART } };

/**
 * Every branch of checkout.v3: v2's (a decline repeated for every wait uses up the three
 * attempts) and those only v3 has.
 */
export const BRANCHES_V3 = {
  // rerun_failed: a re-run finding the last attempt declined waits for another card in v3 (rerun_failed_* below).
  ...(Object.fromEntries(Object.entries(BRANCHES).filter(([name]) => name !== 'rerun_failed').map(([name, b]) => [name, v3(b)])) as Record<Exclude<BranchName, 'rerun_failed'>, BranchV3>),
  declined_then_paid: v3(branch({}, [declinedAs(2), declinedAs(3), succeeded])),
  declines_exhausted: v3(branch({}, [declinedAs(2), declinedAs(3), declinedAs(4)])),
  decline_redelivered: v3(branch({}, [declinedAs(2), declinedAs(2), succeeded])),
  declined_then_cancelled: v3(branch({}, [declinedAs(2), cancel])),
  declined_then_timeout: v3(branch({}, [declinedAs(2), 'timeout' as const])),
  decline_not_recorded: v3(branch({ [A.recordDecline]: transient }, [declinedAs(2), succeeded])),
  rerun_failed_waits: v3(branch({ [A.checkPayment]: () => ({ outcome: 'failed' }) }, succeeded, RERUN)),
  rerun_failed_last_attempt: v3(branch({ [A.checkPayment]: () => ({ outcome: 'failed' }) }, undefined, RERUN), { payment_max_attempts: 1 }),
  cart_paid: v3(branch({}, succeeded), withCart),
  cart_declined: v3(branch({}, [declinedAs(2), declinedAs(3), declinedAs(4)]), withCart),
  cart_out_of_stock: v3(branch({ [A.reserveStockV2]: () => ({ ok: false, reason: 'out_of_stock', detail: 'Only 1 of A-1 available; 2 wanted.' }) }), withCart),
  cart_unavailable: v3(branch({ [A.holdCart]: transient, [A.emptyCart]: transient }, succeeded), withCart),
} satisfies Record<string, BranchV3>;

export type BranchV3Name = keyof typeof BRANCHES_V3;

/**
 * checkout.v4 runs v3's parts in fewer activities (workflows/checkout/combined.ts). Its branches
 * are v3's, with the real combined activities made of each branch's scripted v3 parts (each part
 * keeping its own attempt count), so a v3 branch's answers drive the same story through v4.
 */
export function composedV4(script: Script, orders: Partial<OrderPort> = {}): Script {
  const attempts = new Map<string, number>();
  const part = (name: string) => async (_ctx: unknown, input: unknown) => {
    const attempt = (attempts.get(name) ?? 0) + 1;
    attempts.set(name, attempt);
    const answer = script[name];
    if (!answer) throw new Error(`no script for ${name}`);
    return answer(input, attempt);
  };
  const parts = Object.fromEntries(Object.values(A).map((name) => [name, part(name)])) as unknown as Parts;
  const port: OrderPort = { move: async () => ({ ok: true }), byId: async () => undefined, note: async () => undefined, ...orders };
  const combined = combinedActivities(parts, { orders: port, logger: silentLogger });
  return { ...script, ...Object.fromEntries(Object.entries(combined).map(([name, activity]) => [name, (input: any) => activity(undefined as never, input)])) };
}

export const BRANCHES_V4 = Object.fromEntries(Object.entries(BRANCHES_V3).map(([name, b]) => [name, { ...b, script: composedV4(b.script) }])) as Record<BranchV3Name, BranchV3>;
