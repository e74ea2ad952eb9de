import { runService } from '../../../kernel/service';
import { envInt, pgConfig } from '../../../kernel/config';
import { connectPostgres } from '../../../kernel/store/pg';
import { OutboxStore } from '../../../kernel/store/outbox';
import { startOutbox } from '../../../kernel/dapr/outbox-relay';
import { InventoryItemActor, configureInventoryActor } from '../../../actors/inventory/InventoryItemActor';
import { migrations } from './store/migrations';
import { INVENTORY_SCHEMA, StockStore } from './store/stock';
import { PUBSUB } from './events/contract';
import { INVENTORY_ACTOR, inventoryRoutes } from './http/routes';

runService({
  name: 'inventory',
  defaultPort: 8006,
  async setup(ctx) {
    const pg = pgConfig();
    const pool = await connectPostgres(ctx, pg, INVENTORY_SCHEMA, migrations);
    const stock = new StockStore(pool);
    configureInventoryActor({ store: stock, logger: ctx.logger });

    await startOutbox(ctx, new OutboxStore(pool), { schema: INVENTORY_SCHEMA, pubsub: PUBSUB, pg });

    // Safety net for the expiry reminders: a reservation still active well past its deadline
    // (a reminder lost with a crash between commit and registration) is expired through its actor.
    const sweepEveryMs = envInt('INVENTORY_EXPIRY_SWEEP_MS', 30_000);
    const sweeper = setInterval(() => {
      void (async () => {
        for (const { sku, order_id } of await stock.overdue(Math.ceil(sweepEveryMs / 1000), 100)) {
          await ctx.sidecar.callActor(INVENTORY_ACTOR, sku, 'expire', { order_id });
        }
      })().catch((err) => ctx.logger.warn({ err }, 'expiry sweep failed'));
    }, sweepEveryMs);
    ctx.onClose(async () => clearInterval(sweeper));

    return {
      routes: inventoryRoutes(stock, ctx.sidecar),
      actors: [InventoryItemActor],
      // Idle actors hold nothing but a placement entry; the drain (under placement's 30 s dissemination timeout) gives in-flight reservations
      // time to finish when a host leaves (rebalancing), instead of Dapr's 2 s default.
      actorOptions: { actorIdleTimeout: '1h', drainOngoingCallTimeout: '20s', drainRebalancedActors: true },
    };
  },
});
