import { runService } from '../../../kernel/service';
import { pgConfig } from '../../../kernel/config';
import { connectPostgres } from '../../../kernel/store/pg';
import { migrations } from './store/migrations';
import { PromotionStore } from './store/promotions';
import { promotionRoutes } from './http/routes';

runService({
  name: 'promotions',
  defaultPort: 8007,
  async setup(ctx) {
    const pool = await connectPostgres(ctx, pgConfig(), 'promotions', migrations);
    return { routes: promotionRoutes(new PromotionStore(pool)) };
  },
});
