/**
 * The order service's side of payment events (payment service → outbox → RabbitMQ). An event
 * for an order still in checkout is raised into its saga; a payment that succeeds for an order
 * that already failed or was cancelled is refunded at once, so nobody is charged without an
 * order. Duplicates and late events are harmless: the saga takes the first, the refund is
 * idempotent per payment.
 *
 * An event is a claim, not a fact: before it changes anything, the payment it names is read
 * from the payment service (its owner), and the outcome is the payment's recorded status, not
 * the event's. An event for a payment the payment service does not have, or of another order,
 * is parked on the dead-letter topic for an operator and changes nothing (pub/sub scopes already
 * stop other apps from publishing payment topics; this also covers a message put straight into
 * the broker).
 */
import type { Logger } from '../../../../kernel/logger';
import type { Sidecar } from '../../../../kernel/dapr/sidecar';
import type { Delivery, Subscription } from '../../../../kernel/dapr/subscriptions';
import { PAYMENT_TOPICS, PUBSUB, type PaymentIntentEvent } from '../../../payment/src/events/contract';
import { recordedPayment, refundPayment, type RecordedPayment } from '../../../payment/src/client';
import { isSettled } from '../domain/status';
import type { Checkout } from '../domain/checkout';
import type { OrderStore } from '../store/orders';
import type { PaymentLookup } from '../../../../workflows/checkout/ports';

export const PAYMENT_DEAD_LETTER_TOPIC = 'order.payment-events.deadletter';

/** The outcome a recorded payment stands for; undefined while it has none (an event ahead of its payment, or stale). */
export function outcomeOf(payment: RecordedPayment): 'succeeded' | 'failed' | undefined {
  if (payment.status === 'succeeded' || payment.status === 'refunded') return 'succeeded';
  if (payment.status === 'failed') return 'failed';
  return undefined;
}

/** Which state of the payment record an outcome was read from (the saga counts each decline once). */
export const attemptKeyOf = (payment: RecordedPayment) => `${payment.id}:${payment.version}`;

/** The checkout saga's view of a payment (its checkPayment activity): the outcome the payment service recorded. */
export function paymentLookup(sidecar: Sidecar): PaymentLookup {
  return {
    async recorded(paymentId) {
      const payment = await recordedPayment(sidecar, paymentId);
      return { outcome: (payment && outcomeOf(payment)) ?? 'pending', attempt_key: payment ? attemptKeyOf(payment) : null };
    },
  };
}

export function paymentSubscriptions(orders: OrderStore, checkout: Checkout, sidecar: Sidecar): Subscription[] {
  const handle = (claimed: 'succeeded' | 'failed') => async (event: { data: unknown }, log: Logger): Promise<Delivery> => {
    const data = event.data as Partial<PaymentIntentEvent>;
    if (!data?.order_id || !data.payment_id || typeof data.order_id !== 'string' || typeof data.payment_id !== 'string') {
      return { deadLetter: 'not a payment intent event' };
    }
    const payment = await recordedPayment(sidecar, data.payment_id);
    if (!payment || payment.order_id !== data.order_id) {
      log.warn({ order_id: data.order_id, payment_id: data.payment_id }, 'payment event does not match any recorded payment; parked');
      return { deadLetter: `payment ${data.payment_id} of order ${data.order_id} is not recorded by the payment service` };
    }
    const status = outcomeOf(payment);
    if (!status) return 'SUCCESS'; // nothing has happened to the payment yet: a stale or early event has no effect
    if (status !== claimed) log.warn({ payment_id: payment.id, claimed, recorded: payment.status }, 'payment event disagrees with the payment record; the record wins');
    const order = await orders.byId(payment.order_id);
    if (!order || order.payment_id !== payment.id) {
      // Not (yet) this order's payment: the saga records the payment id before a customer can pay.
      if (!order || order.status === 'pending' || order.status === 'reserved') return order ? 'RETRY' : 'SUCCESS';
      log.warn({ order_id: payment.order_id, payment_id: payment.id }, 'payment event for another payment of the order; ignored');
      return 'SUCCESS';
    }
    if (!isSettled(order.status)) {
      await checkout.paymentOutcome(order, { status, payment_id: payment.id, detail: status === 'failed' ? 'The card was declined.' : undefined, attempt_key: attemptKeyOf(payment) });
      return 'SUCCESS';
    }
    if (payment.status === 'succeeded' && (order.status === 'failed' || order.status === 'cancelled')) {
      await refundPayment(sidecar, payment.id);
      await orders.note(order.id, 'late_payment_refunded', { payment_id: payment.id });
      log.warn({ order_id: order.id, payment_id: payment.id }, 'a payment succeeded after its order ended; refunded');
    }
    return 'SUCCESS';
  };
  return [
    { pubsub: PUBSUB, topic: PAYMENT_TOPICS.succeeded, deadLetterTopic: PAYMENT_DEAD_LETTER_TOPIC, handler: handle('succeeded') },
    { pubsub: PUBSUB, topic: PAYMENT_TOPICS.failed, deadLetterTopic: PAYMENT_DEAD_LETTER_TOPIC, handler: handle('failed') },
  ];
}
