/**
 * The order service's published events: one per step of an order's life a customer hears
 * about. Written to `orders.outbox` in the transaction that makes the change (OrderStore.create
 * and OrderStore.move) and published by the kernel's relay, at least once and in order per
 * order (entity key: the order id). Consumers dedupe by `event_id`. The user service renders
 * them as e-mails (apps/user/src/events/order-mail.ts).
 */
import type { OrderStatus } from '../domain/status';

export const ORDER_TOPICS = {
  placed: 'order.placed',
  paid: 'order.paid',
  failed: 'order.failed',
  cancelled: 'order.cancelled',
  fulfilled: 'order.fulfilled',
  refunded: 'order.refunded',
} as const;
export type OrderTopic = (typeof ORDER_TOPICS)[keyof typeof ORDER_TOPICS];

/** The event a move to a status publishes; the statuses in between (reserved, awaiting_payment, cancelling) publish none. */
export const TOPIC_OF_STATUS: Partial<Record<OrderStatus, OrderTopic>> = {
  paid: ORDER_TOPICS.paid,
  failed: ORDER_TOPICS.failed,
  cancelled: ORDER_TOPICS.cancelled,
  fulfilled: ORDER_TOPICS.fulfilled,
  refunded: ORDER_TOPICS.refunded,
};

export interface OrderEventLine {
  sku: string;
  name: string;
  quantity: number;
  unit_price_minor: number;
  line_total_minor: number;
}

/** What every order event carries: enough to tell the customer, with no second read. */
export interface OrderEventPayload {
  order_id: string;
  user_id: string;
  status: OrderStatus;
  currency: string;
  subtotal_minor: number;
  discount_minor: number;
  shipping_minor: number;
  tax_minor: number;
  total_minor: number;
  refunded_minor: number;
  lines: OrderEventLine[];
  /** Why it failed or was cancelled, as shown to the customer. */
  reason: string | null;
  detail: string | null;
  /** The order's version after the change: a consumer can tell an older event from a newer one. */
  version: number;
}
