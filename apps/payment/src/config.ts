import { envInt, envString } from '../../../kernel/config';

/** Payment settings (README, "Configuration"). The defaults talk to the local stripe-mock. */
export interface PaymentConfig {
  stripeSecretKey: string;
  stripeHost: string;
  stripePort: number;
  stripeProtocol: 'http' | 'https';
  /** Signing secret of the webhook endpoint. The default is a fixed test secret: production MUST set it. */
  stripeWebhookSecret: string;
  stripeTimeoutMs: number;
}

export const LOCAL_WEBHOOK_SECRET = 'whsec_dapr_commerce_local_test_only';
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);

export function paymentConfig(): PaymentConfig {
  const protocol = envString('STRIPE_API_PROTOCOL', 'http');
  if (protocol !== 'http' && protocol !== 'https') throw new Error(`STRIPE_API_PROTOCOL must be http or https, got "${protocol}"`);
  const host = envString('STRIPE_API_HOST', '127.0.0.1');
  const webhookSecret = envString('STRIPE_WEBHOOK_SECRET', LOCAL_WEBHOOK_SECRET);
  if (webhookSecret === LOCAL_WEBHOOK_SECRET && !LOCAL_HOSTS.has(host)) {
    // Fail closed: the default secret is in this repository, so anyone could sign webhooks with it.
    throw new Error(`STRIPE_WEBHOOK_SECRET must be set when STRIPE_API_HOST is ${host} (not the local stripe-mock)`);
  }
  return {
    stripeSecretKey: envString('STRIPE_SECRET_KEY', 'sk_test_local'),
    stripeHost: host,
    stripePort: envInt('STRIPE_API_PORT', 12111),
    stripeProtocol: protocol,
    stripeWebhookSecret: webhookSecret,
    stripeTimeoutMs: envInt('STRIPE_TIMEOUT_MS', 4000),
  };
}
