/**
 * How other services ask the payment service for something outside the checkout saga (whose
 * activities classify answers themselves): through Dapr service invocation of its internal routes.
 */
import type { Sidecar } from '../../../kernel/dapr/sidecar';
import type { PaymentStatus } from './domain/status';

export const PAYMENT_APP_ID = 'payment';

/**
 * Refunds a succeeded payment, in full or `amountMinor` of it; idempotent per payment (the
 * payment service stores the amount before calling Stripe, so a repeat of the same amount
 * answers the same refund). A refusal is an HttpProblem.
 */
export async function refundPayment(sidecar: Sidecar, paymentId: string, amountMinor?: number): Promise<void> {
  const body = amountMinor === undefined ? '{}' : JSON.stringify({ amount_minor: amountMinor });
  await sidecar.invokeJson(PAYMENT_APP_ID, `/internal/payments/${encodeURIComponent(paymentId)}/refund`, { method: 'POST', body });
}

/** What a consumer needs to check a payment event against the payment service's own record. */
export interface RecordedPayment {
  id: string;
  order_id: string;
  status: PaymentStatus;
  amount_minor: number;
  currency: string;
  /** Moves with every applied provider event: two declines of one payment have two versions. */
  version: number;
}

/**
 * The payment as the payment service recorded it, or undefined when it has no such payment (a
 * forged or foreign event). Other failures throw: the caller retries later.
 */
export function recordedPayment(sidecar: Sidecar, paymentId: string): Promise<RecordedPayment | undefined> {
  return sidecar.invokeJsonIfFound<RecordedPayment>(PAYMENT_APP_ID, `/internal/payments/${encodeURIComponent(paymentId)}`);
}
