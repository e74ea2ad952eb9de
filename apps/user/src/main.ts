import { runService } from '../../../kernel/service';
import { pgConfig } from '../../../kernel/config';
import { connectPostgres } from '../../../kernel/store/pg';
import { migrations } from './store/migrations';
import { userRoutes } from './http/routes';

runService({
  name: 'user',
  defaultPort: 8008,
  async setup(ctx) {
    await connectPostgres(ctx, pgConfig(), 'users', migrations);
    return { routes: userRoutes() };
  },
});
