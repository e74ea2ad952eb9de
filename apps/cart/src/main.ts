import { runService } from '../../../kernel/service';
import { CartActor } from '../../../actors/cart/CartActor';
import { cartRoutes } from './http/routes';

runService({
  name: 'cart',
  defaultPort: 8003,
  async setup(ctx) {
    return { routes: cartRoutes(ctx.sidecar), actors: [CartActor] };
  },
});
