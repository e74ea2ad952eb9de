import { envInt } from '../../../kernel/config';

export interface OrderConfig {
  /** How long a customer has to pay once the PaymentIntent exists (Stripe.js confirm → webhook). */
  paymentTimeoutSeconds: number;
  /** Stock stays reserved this long: past the payment timeout, so a late payment still finds it. */
  reservationTtlSeconds: number;
  /** Flat shipping fee in minor units (a free_shipping promotion waives it). */
  shippingFlatMinor: number;
  /** How often the recovery sweep looks for sagas that never started or stopped moving. */
  recoveryIntervalMs: number;
  /** An unsettled order this long unchanged has its saga checked (and run again if it died). */
  stalledAfterSeconds: number;
}

export function orderConfig(): OrderConfig {
  const paymentTimeoutSeconds = envInt('ORDER_PAYMENT_TIMEOUT_SECONDS', 900);
  return {
    paymentTimeoutSeconds,
    reservationTtlSeconds: envInt('ORDER_RESERVATION_TTL_SECONDS', paymentTimeoutSeconds + 900),
    shippingFlatMinor: envInt('ORDER_SHIPPING_FLAT_MINOR', 0),
    recoveryIntervalMs: envInt('ORDER_RECOVERY_INTERVAL_MS', 10_000),
    // A saga waits at most the payment timeout plus its retries: quieter than that is stalled.
    stalledAfterSeconds: envInt('ORDER_STALLED_AFTER_SECONDS', paymentTimeoutSeconds + 300),
  };
}
