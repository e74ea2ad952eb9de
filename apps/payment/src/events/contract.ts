/**
 * The payment service's published events. Written to `payments.outbox` in the transaction that
 * applies a verified Stripe webhook and published to the `pubsub` component by the kernel's
 * relay (at least once: consumers dedupe by `payment_id` + `status`, or `event_id`).
 * The order service subscribes and raises them into the order's checkout workflow
 * (apps/order/src/events/payment-events.ts).
 */
export const PUBSUB = 'pubsub';

export const PAYMENT_TOPICS = {
  succeeded: 'payment.intent.succeeded',
  failed: 'payment.intent.failed',
} as const;

export interface PaymentIntentEvent {
  payment_id: string;
  order_id: string;
  user_id: string;
  attempt: number;
  provider_intent_id: string;
  provider_event_id: string;
  status: string;
  amount_minor: number;
  currency: string;
  version: number;
}
