/**
 * How other services ask the payment service for something outside the checkout saga (whose
 * activities classify answers themselves): through Dapr service invocation of its internal routes.
 */
import type { Sidecar } from '../../../kernel/dapr/sidecar';

export const PAYMENT_APP_ID = 'payment';

/** Refunds a succeeded payment in full; idempotent per payment. A refusal is an HttpProblem. */
export async function refundPayment(sidecar: Sidecar, paymentId: string): Promise<void> {
  await sidecar.invokeJson(PAYMENT_APP_ID, `/internal/payments/${encodeURIComponent(paymentId)}/refund`, { method: 'POST', body: '{}' });
}
