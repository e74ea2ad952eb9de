/**
 * Payment states and the one rule that moves them. Pure: no I/O.
 *
 * `creating` is ours alone: the row (and its Stripe idempotency key) exists, the PaymentIntent
 * may not yet. The rest mirror the PaymentIntent, folded to what the order saga needs.
 */
export const PAYMENT_STATUSES = ['creating', 'requires_payment', 'processing', 'succeeded', 'canceled', 'refunded', 'failed'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** Stripe PaymentIntent status → ours. */
export function fromIntentStatus(status: string): PaymentStatus {
  switch (status) {
    case 'succeeded':
      return 'succeeded';
    case 'processing':
    case 'requires_capture':
      return 'processing';
    case 'canceled':
      return 'canceled';
    default: // requires_payment_method, requires_confirmation, requires_action
      return 'requires_payment';
  }
}

/** Webhook event type → the status it reports, or undefined for events we only record. */
export function statusOfEvent(type: string): PaymentStatus | undefined {
  switch (type) {
    case 'payment_intent.succeeded':
      return 'succeeded';
    case 'payment_intent.processing':
      return 'processing';
    case 'payment_intent.payment_failed':
      return 'failed';
    case 'payment_intent.canceled':
      return 'canceled';
    case 'payment_intent.requires_action':
      return 'requires_payment';
    default:
      return undefined;
  }
}

const TERMINAL: ReadonlySet<PaymentStatus> = new Set(['succeeded', 'canceled', 'refunded']);

/**
 * Whether a provider event may move a payment. Monotonic: a terminal state never moves back
 * (a late `processing` cannot undo `succeeded`); otherwise only an event at least as new as the
 * last one applied counts (Stripe's `created`, seconds), so out-of-order deliveries are harmless.
 * `failed` is not terminal: Stripe lets the customer retry the same intent with another card,
 * and each new decline (a newer event; the webhook log drops repeats of one) is applied again.
 */
export function mayApply(current: PaymentStatus, lastEventAt: number | null, next: PaymentStatus, eventAt: number): boolean {
  // A second decline is news (another card refused: the order counts the attempt); any other repeat is not.
  if (current === next && next !== 'failed') return false;
  if (TERMINAL.has(current)) return false;
  if (lastEventAt !== null && eventAt < lastEventAt) return false;
  return true;
}

/** The Stripe idempotency key of an intent: stable across retries of the same attempt. */
export function intentKey(orderId: string, attempt: number): string {
  return `order:${orderId}:attempt:${attempt}`;
}

/** The Stripe idempotency key of an operation on a payment. */
export function operationKey(paymentId: string, operation: 'cancel' | 'refund' | 'capture'): string {
  return `payment:${paymentId}:${operation}`;
}
