import { LOCAL_WEBHOOK_SECRET, paymentConfig } from '../src/config';

describe('payment config', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  test('defaults talk to the local stripe-mock with the local test secret', () => {
    for (const name of ['STRIPE_SECRET_KEY', 'STRIPE_API_HOST', 'STRIPE_API_PORT', 'STRIPE_API_PROTOCOL', 'STRIPE_WEBHOOK_SECRET']) delete process.env[name];
    expect(paymentConfig()).toMatchObject({ stripeSecretKey: 'sk_test_local', stripeHost: '127.0.0.1', stripePort: 12111, stripeProtocol: 'http', stripeWebhookSecret: LOCAL_WEBHOOK_SECRET });
  });

  test('refuses the public default webhook secret against a real Stripe', () => {
    delete process.env.STRIPE_WEBHOOK_SECRET;
    process.env.STRIPE_API_HOST = 'api.stripe.com';
    expect(() => paymentConfig()).toThrow(/STRIPE_WEBHOOK_SECRET/);
    process.env.STRIPE_WEBHOOK_SECRET = 'whsec_real';
    process.env.STRIPE_API_PROTOCOL = 'https';
    process.env.STRIPE_API_PORT = '443';
    expect(paymentConfig()).toMatchObject({ stripeHost: 'api.stripe.com', stripeProtocol: 'https', stripePort: 443, stripeWebhookSecret: 'whsec_real' });
    process.env.STRIPE_API_PROTOCOL = 'ftp';
    expect(() => paymentConfig()).toThrow(/STRIPE_API_PROTOCOL/);
  });
});
