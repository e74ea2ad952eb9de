/**
 * How other services ask the order service about an order outside the checkout (a consumer of
 * order events checking a claim against the owner): through Dapr service invocation of its
 * internal route. Only the apps named in the route's internalCallers (and the order sidecar's
 * access policy) may call it.
 */
import type { Sidecar } from '../../../kernel/dapr/sidecar';
import type { OrderStatus } from './domain/status';

export const ORDER_APP_ID = 'order';

/** What a consumer needs to check an order event against the order service's own record. */
export interface RecordedOrder {
  id: string;
  user_id: string;
  status: OrderStatus;
  version: number;
  currency: string;
  subtotal_minor: number;
  discount_minor: number;
  shipping_minor: number;
  tax_minor: number;
  total_minor: number;
  refunded_minor: number;
  failure_reason: string | null;
  failure_detail: string | null;
  items: Array<{ sku: string; name: string; quantity: number; line_total_minor: number }>;
  history: Array<{ from_status: string | null; to_status: string | null; event: string }>;
}

/** The order as the order service records it, or undefined when it has none. Other failures throw: the caller retries. */
export function recordedOrder(sidecar: Sidecar, orderId: string): Promise<RecordedOrder | undefined> {
  return sidecar.invokeJsonIfFound<RecordedOrder>(ORDER_APP_ID, `/internal/orders/${encodeURIComponent(orderId)}`);
}
