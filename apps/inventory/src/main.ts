import { runService } from '../../../kernel/service';
import { pgConfig } from '../../../kernel/config';
import { connectPostgres } from '../../../kernel/store/pg';
import { migrations } from './store/migrations';
import { StockStore } from './store/stock';
import { inventoryRoutes } from './http/routes';

runService({
  name: 'inventory',
  defaultPort: 8006,
  async setup(ctx) {
    const pool = await connectPostgres(ctx, pgConfig(), 'inventory', migrations);
    return { routes: inventoryRoutes(new StockStore(pool)) };
  },
});
