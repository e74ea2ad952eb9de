import { runService } from '../../../kernel/service';
import { pgConfig } from '../../../kernel/config';
import { connectPostgres } from '../../../kernel/store/pg';
import { migrations } from './store/migrations';
import { PROMOTIONS_SCHEMA, PromotionStore } from './store/promotions';
import { promotionRoutes } from './http/routes';

runService({
  name: 'promotions',
  defaultPort: 8007,
  async setup(ctx) {
    const pool = await connectPostgres(ctx, pgConfig(), PROMOTIONS_SCHEMA, migrations);
    return { routes: promotionRoutes(new PromotionStore(pool)) };
  },
});
