/**
 * The order state machine. Only these transitions exist; the store refuses any other, so no
 * code path (saga, webhook, admin) can move an order backwards or out of a final state.
 *
 *   pending → reserved → awaiting_payment → paid → fulfilled → refunded
 *      └──────────┴──────────┴─→ failed | cancelled       paid → cancelling → cancelled
 *                                                          paid → refunded (everything returned)
 *
 * `cancelling` is a cancel after payment under way (a reversal: refund, restock, release the
 * coupons; domain/reversal.ts): nothing ships from it and it ends `cancelled` only when all
 * three are done. Fulfil and cancel both move the locked order row, so one of them wins.
 */
export const ORDER_STATUSES = ['pending', 'reserved', 'awaiting_payment', 'paid', 'fulfilled', 'cancelling', 'cancelled', 'failed', 'refunded'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

const NEXT: Record<OrderStatus, readonly OrderStatus[]> = {
  pending: ['reserved', 'failed', 'cancelled'],
  // A zero total (fully discounted) skips the payment.
  reserved: ['awaiting_payment', 'paid', 'failed', 'cancelled'],
  awaiting_payment: ['paid', 'failed', 'cancelled'],
  // After payment a cancel goes through cancelling (refund, restock, coupons); refunded = everything returned.
  paid: ['fulfilled', 'cancelling', 'refunded'],
  cancelling: ['cancelled'],
  fulfilled: ['refunded'],
  cancelled: [],
  failed: [],
  refunded: [],
};

export function canMove(from: OrderStatus, to: OrderStatus): boolean {
  return NEXT[from].includes(to);
}

/** Not at rest: the checkout saga (pending → awaiting_payment) or a reversal (cancelling) still owes the order a step. */
export const OPEN_STATUSES: readonly OrderStatus[] = ['pending', 'reserved', 'awaiting_payment', 'cancelling'];

/** Where the checkout saga has finished with the order (nothing of it is held any more). */
export function isSettled(status: OrderStatus): boolean {
  return !['pending', 'reserved', 'awaiting_payment'].includes(status);
}

/** Why a checkout ended `failed`; declared by the saga's contract, stored on the order and shown to its owner. */
export type { FailureReason } from '../../../../workflows/checkout/contract';
