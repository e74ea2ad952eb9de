import { envInt, envString } from '../../../kernel/config';

export interface OrderConfig {
  /** How long a customer has to pay once the PaymentIntent exists (Stripe.js confirm → webhook). */
  paymentTimeoutSeconds: number;
  /** Declined payments an order takes (the customer retries with another card) before it fails. */
  paymentMaxAttempts: number;
  /** Stock stays reserved this long: past the payment timeout, so a late payment still finds it. */
  reservationTtlSeconds: number;
  /** Flat shipping fee in minor units while no shipping method is configured (a free_shipping promotion waives it). */
  shippingFlatMinor: number;
  /** Named strategies (domain/strategies.ts): how shipping is priced and tax is chosen. */
  shippingStrategy: string;
  taxStrategy: string;
  /** Currencies whose catalog prices include tax (ISO 4217). */
  taxInclusiveCurrencies: string[];
  /** How often the recovery sweep looks for sagas that never started or stopped moving. */
  recoveryIntervalMs: number;
  /** An unsettled order this long unchanged has its saga checked (and run again if it died). */
  stalledAfterSeconds: number;
  /** An order awaiting payment this long without its payment event has the payment service asked (domain/payment-reconciler.ts). */
  paymentReconcileAfterSeconds: number;
  /** The longest gap between two such questions about one order. */
  paymentReconcileMaxGapSeconds: number;
}

export function orderConfig(): OrderConfig {
  const paymentTimeoutSeconds = envInt('ORDER_PAYMENT_TIMEOUT_SECONDS', 900);
  return {
    paymentTimeoutSeconds,
    paymentMaxAttempts: envInt('ORDER_PAYMENT_MAX_ATTEMPTS', 5),
    reservationTtlSeconds: envInt('ORDER_RESERVATION_TTL_SECONDS', paymentTimeoutSeconds + 900),
    shippingFlatMinor: envInt('ORDER_SHIPPING_FLAT_MINOR', 0),
    shippingStrategy: envString('ORDER_SHIPPING_STRATEGY', 'table-rate'),
    taxStrategy: envString('ORDER_TAX_STRATEGY', 'country-rates'),
    taxInclusiveCurrencies: currencyList('ORDER_TAX_INCLUSIVE_CURRENCIES', 'EUR,GBP'),
    recoveryIntervalMs: envInt('ORDER_RECOVERY_INTERVAL_MS', 10_000),
    // A saga waits at most the payment timeout plus its retries: quieter than that is stalled.
    stalledAfterSeconds: envInt('ORDER_STALLED_AFTER_SECONDS', paymentTimeoutSeconds + 300),
    paymentReconcileAfterSeconds: envInt('ORDER_PAYMENT_RECONCILE_AFTER_SECONDS', 30),
    paymentReconcileMaxGapSeconds: envInt('ORDER_PAYMENT_RECONCILE_MAX_GAP_SECONDS', 300),
  };
}

/** A comma-separated list of ISO 4217 codes; anything else stops the service at start-up. */
function currencyList(name: string, fallback: string): string[] {
  const raw = process.env[name] ?? fallback;
  const codes = raw.split(',').map((c) => c.trim()).filter(Boolean);
  const bad = codes.filter((c) => !/^[A-Z]{3}$/.test(c));
  if (bad.length) throw new Error(`${name} must list ISO 4217 codes separated by commas, got "${raw}"`);
  return codes;
}
