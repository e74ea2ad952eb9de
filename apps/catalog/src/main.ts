import { runService } from '../../../kernel/service';
import { envString, pgConfig } from '../../../kernel/config';
import { connectPostgres } from '../../../kernel/store/pg';
import { migrations } from './store/migrations';
import { ProductStore } from './store/products';
import { CategoryStore } from './store/categories';
import { OutboxStore } from './store/outbox';
import { OutboxRelay } from './events/relay';
import { productRoutes } from './http/product-routes';
import { categoryRoutes } from './http/category-routes';

runService({
  name: 'catalog',
  defaultPort: 8001,
  async setup(ctx) {
    const pg = pgConfig();
    const pool = await connectPostgres(ctx, pg, 'catalog', migrations);
    const outbox = new OutboxStore(pool);
    const relay = new OutboxRelay(outbox, ctx.sidecar, pg, ctx.logger);
    await relay.start();
    ctx.onClose(() => relay.stop());
    const pruner = setInterval(() => void outbox.prune().catch((err) => ctx.logger.warn({ err }, 'outbox prune failed')), 3600_000);
    ctx.onClose(async () => clearInterval(pruner));
    return {
      routes: [...productRoutes(new ProductStore(pool), envString('CATALOG_DEFAULT_CURRENCY', 'USD')), ...categoryRoutes(new CategoryStore(pool))],
    };
  },
});
