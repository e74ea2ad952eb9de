import Stripe from 'stripe';
import type { PaymentConfig } from '../config';

export type StripeClient = InstanceType<typeof Stripe>;

/** The Stripe SDK pointed at the configured API (stripe-mock locally, api.stripe.com in production). */
export function stripeClient(config: PaymentConfig): StripeClient {
  return new Stripe(config.stripeSecretKey, {
    host: config.stripeHost,
    port: config.stripePort,
    protocol: config.stripeProtocol,
    timeout: config.stripeTimeoutMs,
    // Safe only because every mutating call carries an idempotency key. Two tries of
    // STRIPE_TIMEOUT_MS (4 s) stay inside Dapr's 10 s invocation timeout.
    maxNetworkRetries: 1,
    telemetry: false,
  });
}

/** A failure worth retrying later with the same key (network, Stripe 5xx, 429, idempotency in flight). */
export function isTransient(err: unknown): boolean {
  const e = err as { type?: string; statusCode?: number };
  if (e.type === 'StripeConnectionError' || e.type === 'StripeAPIError' || e.type === 'StripeRateLimitError' || e.type === 'StripeIdempotencyError') return true;
  return e.statusCode === undefined || e.statusCode >= 500 || e.statusCode === 409 || e.statusCode === 429;
}

export function stripeMessage(err: unknown): string {
  return (err as Error).message?.slice(0, 300) ?? 'unknown error';
}
