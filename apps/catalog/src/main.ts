import { runService } from '../../../kernel/service';
import { pgConfig } from '../../../kernel/config';
import { connectPostgres } from '../../../kernel/store/pg';
import { migrations } from './store/migrations';
import { ProductStore } from './store/products';
import { catalogRoutes } from './http/routes';

runService({
  name: 'catalog',
  defaultPort: 8001,
  async setup(ctx) {
    const pool = await connectPostgres(ctx, pgConfig(), 'catalog', migrations);
    return { routes: catalogRoutes(new ProductStore(pool)) };
  },
});
