import { runService } from '../../../kernel/service';
import { envString, pgConfig } from '../../../kernel/config';
import { connectPostgres } from '../../../kernel/store/pg';
import { migrations } from './store/migrations';
import { CATALOG_SCHEMA, ProductStore } from './store/products';
import { CategoryStore } from './store/categories';
import { OutboxStore } from '../../../kernel/store/outbox';
import { OutboxRelay } from '../../../kernel/dapr/outbox-relay';
import { PUBSUB } from './events/contract';
import { productRoutes } from './http/product-routes';
import { categoryRoutes } from './http/category-routes';

runService({
  name: 'catalog',
  defaultPort: 8001,
  async setup(ctx) {
    const pg = pgConfig();
    const pool = await connectPostgres(ctx, pg, CATALOG_SCHEMA, migrations);
    const outbox = new OutboxStore(pool);
    const relay = new OutboxRelay(outbox, CATALOG_SCHEMA, PUBSUB, ctx.sidecar, pg, ctx.logger);
    await relay.start();
    ctx.onClose(() => relay.stop());
    const pruner = setInterval(() => void outbox.prune().catch((err) => ctx.logger.warn({ err }, 'outbox prune failed')), 3600_000);
    ctx.onClose(async () => clearInterval(pruner));
    return {
      routes: [...productRoutes(new ProductStore(pool), envString('CATALOG_DEFAULT_CURRENCY', 'USD')), ...categoryRoutes(new CategoryStore(pool))],
    };
  },
});
