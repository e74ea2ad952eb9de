import Router from '@koa/router';
import { runService } from '../../../kernel/service';
import { envInt } from '../../../kernel/config';
import { proxyToServices } from './http/proxy';

runService({
  name: 'gateway',
  defaultPort: 8000,
  async setup(ctx) {
    ctx.readiness.add('dapr', () => ctx.sidecar.outboundReady());
    const proxy = new Router();
    proxy.all(/^\/.*/, proxyToServices(ctx.sidecar, envInt('GATEWAY_TIMEOUT_MS', 10_000)));
    return { routes: [], extraRouters: [proxy] };
  },
});
