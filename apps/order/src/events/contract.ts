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

export interface OrderEventSource {
  id: string;
  user_id: string;
  status: OrderStatus;
  currency: string;
  subtotal_minor: number;
  discount_minor: number;
  shipping_minor: number;
  tax_minor?: number | null;
  total_minor: number;
  refunded_minor?: number | null;
  failure_reason?: string | null;
  failure_detail?: string | null;
  version: number;
}

export function orderEventOf(order: OrderEventSource, lines: OrderEventLine[]): OrderEventPayload {
  return {
    order_id: order.id,
    user_id: order.user_id,
    status: order.status,
    currency: order.currency,
    subtotal_minor: Number(order.subtotal_minor),
    discount_minor: Number(order.discount_minor),
    shipping_minor: Number(order.shipping_minor),
    tax_minor: Number(order.tax_minor ?? 0),
    total_minor: Number(order.total_minor),
    refunded_minor: Number(order.refunded_minor ?? 0),
    lines: lines.map((l) => ({ sku: l.sku, name: l.name, quantity: Number(l.quantity), unit_price_minor: Number(l.unit_price_minor), line_total_minor: Number(l.line_total_minor) })),
    reason: order.failure_reason ?? null,
    detail: order.failure_detail ?? null,
    version: order.version,
  };
}
