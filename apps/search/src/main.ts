import { runService } from '../../../kernel/service';
import { createEngineClient, ProductSearch } from './store/engine';
import { searchRoutes } from './http/routes';

runService({
  name: 'search',
  defaultPort: 8002,
  async setup(ctx) {
    const client = createEngineClient();
    const engine = new ProductSearch(client);
    ctx.readiness.add('elasticsearch', () => engine.ping());
    ctx.onClose(() => client.close());
    return { routes: searchRoutes(engine) };
  },
});
