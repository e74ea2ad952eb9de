import { runService } from '../../../kernel/service';
import { pgConfig } from '../../../kernel/config';
import { connectPostgres, connectReadReplica } from '../../../kernel/store/pg';
import { DEAD_LETTER_MIGRATION, DeadLetterStore } from '../../../kernel/store/dead-letters';
import { startCheckoutEngine } from '../../../workflows/checkout/runtime';
import { migrations } from './store/migrations';
import { ORDER_SCHEMA, OrderStore } from './store/orders';
import { openOrdersGauges } from './store/metrics';
import { OutboxStore } from '../../../kernel/store/outbox';
import { startOutbox } from '../../../kernel/dapr/outbox-relay';
import { PUBSUB } from '../../payment/src/events/contract';
import { orderRoutes } from './http/routes';
import { orderConfig } from './config';
import { Checkout } from './domain/checkout';
import { paymentLookup, paymentSubscriptions } from './events/payment-events';
import { startRecovery } from './domain/recovery';
import { PaymentReconciler } from './domain/payment-reconciler';
import { ReversalRunner } from './domain/reversal-runner';
import { strategiesFrom } from './domain/strategies';
import { ShippingStore } from './store/shipping';
import { shippingRoutes } from './http/shipping-routes';

runService({
  name: 'order',
  defaultPort: 8004,
  async setup(ctx) {
    const config = orderConfig();
    // Before anything connects: an unknown strategy name stops the service here.
    const strategies = strategiesFrom(config);
    const pool = await connectPostgres(ctx, pgConfig(), ORDER_SCHEMA, [...migrations, DEAD_LETTER_MIGRATION]);
    await startOutbox(ctx, new OutboxStore(pool), { schema: ORDER_SCHEMA, pubsub: PUBSUB, pg: pgConfig() });
    const orders = new OrderStore(pool, connectReadReplica(ctx, pgConfig(), ORDER_SCHEMA, pool));
    openOrdersGauges(() => orders.openSummary());
    const payments = paymentLookup(ctx.sidecar);
    const engine = await startCheckoutEngine(ctx.config.daprGrpcPort, { sidecar: ctx.sidecar, orders, payments, logger: ctx.logger });
    ctx.onClose(() => engine.stop());
    ctx.readiness.add('workflows', engine.connected);
    const shipping = new ShippingStore(pool);
    const rules = { methods: () => shipping.methods(), taxRates: () => shipping.taxRates(), strategies };
    const checkout = new Checkout(orders, ctx.sidecar, engine, config, ctx.logger, rules);
    const reversals = new ReversalRunner(orders, ctx.sidecar, ctx.logger);
    const reconciler = new PaymentReconciler(
      {
        awaitingPayment: (after, limit) => orders.awaitingPayment(after, limit),
        payments,
        raise: async (order, outcome) => {
          await checkout.paymentOutcome(order, outcome);
          await orders.note(order.id, 'payment_reconciled', { payment_id: outcome.payment_id, outcome: outcome.status });
        },
      },
      { afterSeconds: config.paymentReconcileAfterSeconds, maxGapSeconds: config.paymentReconcileMaxGapSeconds },
      ctx.logger.child({ component: 'payment-reconciler' }),
    );
    ctx.onClose(startRecovery(pool, checkout, config, ctx.logger, reversals, reconciler));
    return {
      routes: [...orderRoutes(orders, checkout, ctx.sidecar, reversals), ...shippingRoutes(shipping, strategies.shipping)],
      subscriptions: paymentSubscriptions(orders, checkout, ctx.sidecar),
      deadLetters: new DeadLetterStore(pool),
    };
  },
});
