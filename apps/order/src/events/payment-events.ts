/**
 * The order service's side of payment events (payment service → outbox → RabbitMQ). An event
 * for an order still in checkout is raised into its saga; a payment that succeeds for an order
 * that already failed or was cancelled is refunded at once, so nobody is charged without an
 * order. Duplicates and late events are harmless: the saga takes the first, the refund is
 * idempotent per payment.
 */
import type { Logger } from '../../../../kernel/logger';
import type { Sidecar } from '../../../../kernel/dapr/sidecar';
import type { Delivery, Subscription } from '../../../../kernel/dapr/subscriptions';
import { PAYMENT_TOPICS, PUBSUB, type PaymentIntentEvent } from '../../../payment/src/events/contract';
import { refundPayment } from '../../../payment/src/client';
import { isSettled } from '../domain/status';
import type { Checkout } from '../domain/checkout';
import type { OrderStore } from '../store/orders';

export const PAYMENT_DEAD_LETTER_TOPIC = 'order.payment-events.deadletter';

export function paymentSubscriptions(orders: OrderStore, checkout: Checkout, sidecar: Sidecar): Subscription[] {
  const handle = (status: 'succeeded' | 'failed') => async (event: { data: unknown }, log: Logger): Promise<Delivery> => {
    const data = event.data as Partial<PaymentIntentEvent>;
    if (!data?.order_id || !data.payment_id) return { deadLetter: 'not a payment intent event' };
    const order = await orders.byId(data.order_id);
    if (!order || order.payment_id !== data.payment_id) {
      // Not (yet) this order's payment: the saga records the payment id before a customer can pay.
      if (!order || order.status === 'pending' || order.status === 'reserved') return order ? 'RETRY' : 'SUCCESS';
      log.warn({ order_id: data.order_id, payment_id: data.payment_id }, 'payment event for another payment of the order; ignored');
      return 'SUCCESS';
    }
    if (!isSettled(order.status)) {
      await checkout.paymentOutcome(order, { status, payment_id: data.payment_id, detail: status === 'failed' ? 'The card was declined.' : undefined });
      return 'SUCCESS';
    }
    if (status === 'succeeded' && (order.status === 'failed' || order.status === 'cancelled')) {
      await refundPayment(sidecar, data.payment_id);
      await orders.note(order.id, 'late_payment_refunded', { payment_id: data.payment_id });
      log.warn({ order_id: order.id, payment_id: data.payment_id }, 'a payment succeeded after its order ended; refunded');
    }
    return 'SUCCESS';
  };
  return [
    { pubsub: PUBSUB, topic: PAYMENT_TOPICS.succeeded, deadLetterTopic: PAYMENT_DEAD_LETTER_TOPIC, handler: handle('succeeded') },
    { pubsub: PUBSUB, topic: PAYMENT_TOPICS.failed, deadLetterTopic: PAYMENT_DEAD_LETTER_TOPIC, handler: handle('failed') },
  ];
}
