import { runService } from '../../../kernel/service';
import { pgConfig } from '../../../kernel/config';
import { connectPostgres } from '../../../kernel/store/pg';
import { migrations } from './store/migrations';
import { PaymentStore } from './store/payments';
import { paymentRoutes } from './http/routes';

runService({
  name: 'payment',
  defaultPort: 8005,
  async setup(ctx) {
    const pool = await connectPostgres(ctx, pgConfig(), 'payments', migrations);
    return { routes: paymentRoutes(new PaymentStore(pool)) };
  },
});
