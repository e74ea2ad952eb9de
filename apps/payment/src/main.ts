import { runService } from '../../../kernel/service';
import { pgConfig } from '../../../kernel/config';
import { connectPostgres } from '../../../kernel/store/pg';
import { OutboxStore } from '../../../kernel/store/outbox';
import { startOutbox } from '../../../kernel/dapr/outbox-relay';
import { migrations } from './store/migrations';
import { PAYMENT_SCHEMA, PaymentStore } from './store/payments';
import { paymentRoutes } from './http/routes';
import { internalPaymentRoutes } from './http/internal-routes';
import { webhookRoutes } from './http/webhook-route';
import { paymentConfig } from './config';
import { stripeClient } from './provider/stripe';
import { PUBSUB } from './events/contract';

runService({
  name: 'payment',
  defaultPort: 8005,
  async setup(ctx) {
    const pg = pgConfig();
    const config = paymentConfig();
    const pool = await connectPostgres(ctx, pg, PAYMENT_SCHEMA, migrations);
    await startOutbox(ctx, new OutboxStore(pool), { schema: PAYMENT_SCHEMA, pubsub: PUBSUB, pg });
    const payments = new PaymentStore(pool);
    const stripe = stripeClient(config);
    return {
      routes: [
        ...webhookRoutes(payments, stripe, config.stripeWebhookSecret, ctx.logger),
        ...paymentRoutes(payments),
        ...internalPaymentRoutes(payments, stripe, ctx.logger),
      ],
    };
  },
});
