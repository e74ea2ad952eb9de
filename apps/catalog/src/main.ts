import { runService } from '../../../kernel/service';
import { envString, pgConfig } from '../../../kernel/config';
import { connectPostgres, connectReadReplica } from '../../../kernel/store/pg';
import { migrations } from './store/migrations';
import { CATALOG_SCHEMA, ProductStore } from './store/products';
import { CategoryStore } from './store/categories';
import { OutboxStore } from '../../../kernel/store/outbox';
import { startOutbox } from '../../../kernel/dapr/outbox-relay';
import { PUBSUB } from './events/contract';
import { productRoutes } from './http/product-routes';
import { categoryRoutes } from './http/category-routes';

runService({
  name: 'catalog',
  defaultPort: 8001,
  async setup(ctx) {
    const pg = pgConfig();
    const pool = await connectPostgres(ctx, pg, CATALOG_SCHEMA, migrations);
    await startOutbox(ctx, new OutboxStore(pool), { schema: CATALOG_SCHEMA, pubsub: PUBSUB, pg });
    return {
      routes: [...productRoutes(new ProductStore(pool, connectReadReplica(ctx, pg, CATALOG_SCHEMA, pool)), envString('CATALOG_DEFAULT_CURRENCY', 'USD')), ...categoryRoutes(new CategoryStore(pool))],
    };
  },
});
