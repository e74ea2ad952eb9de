import { runService } from '../../../kernel/service';
import { pgConfig } from '../../../kernel/config';
import { connectPostgres } from '../../../kernel/store/pg';
import { migrations } from './store/migrations';
import { OrderStore } from './store/orders';
import { orderRoutes } from './http/routes';

runService({
  name: 'order',
  defaultPort: 8004,
  async setup(ctx) {
    const pool = await connectPostgres(ctx, pgConfig(), 'orders', migrations);
    return { routes: orderRoutes(new OrderStore(pool)) };
  },
});
