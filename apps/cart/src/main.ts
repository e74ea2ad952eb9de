import { runService } from '../../../kernel/service';
import { CartActor } from '../../../actors/cart/CartActor';
import { cartRoutes } from './http/routes';

runService({
  name: 'cart',
  defaultPort: 8003,
  async setup(ctx) {
    ctx.readiness.add('dapr', () => ctx.sidecar.outboundReady());
    return { routes: cartRoutes(ctx.sidecar), actors: [CartActor] };
  },
});
