import { runService } from '../../../kernel/service';
import { pgConfig } from '../../../kernel/config';
import { connectPostgres } from '../../../kernel/store/pg';
import { DEAD_LETTER_MIGRATION, DeadLetterStore } from '../../../kernel/store/dead-letters';
import { searchConfig } from './config';
import { productSubscriptions } from './events/product-events';
import { stockSubscriptions } from './events/stock-events';
import { ReindexJobs } from './http/reindex-job';
import { reindexRoutes, searchRoutes } from './http/routes';
import { catalogExport, catalogRecord } from './store/catalog-export';
import { createEngineClient, pingCluster } from './store/client';
import { IndexAdmin } from './store/indices';
import { inventoryRecord } from './store/inventory-stock';
import { indexNames } from './store/layout';
import { ProductSearch } from './store/reader';
import { Reindexer } from './store/reindex';
import { ProductIndexWriter } from './store/writer';

/** Elasticsearch may still be starting when we do: wait for it rather than crash-loop at once. */
const STARTUP_WAIT_MS = 60_000;

runService({
  name: 'search',
  defaultPort: 8002,
  async setup(ctx) {
    const config = searchConfig();
    const client = createEngineClient(config.es);
    ctx.onClose(() => client.close());
    const names = indexNames(config.alias);
    const admin = new IndexAdmin(client, names, ctx.logger);

    await waitFor(() => pingCluster(client), STARTUP_WAIT_MS, (err) => ctx.logger.warn({ err }, 'waiting for Elasticsearch'));
    // Creating the first index on a node that has just started can outlast the request timeout
    // (5 s): retried like the ping, instead of exiting (nothing restarts a crashed app under
    // `dapr run`). A create that timed out but went through is found behind the alias next time.
    await waitFor(async () => void (await admin.ensureIndex()), STARTUP_WAIT_MS, (err) => ctx.logger.warn({ err }, 'could not prepare the search index yet'));
    ctx.readiness.add('elasticsearch', () => pingCluster(client));

    const reindexer = new Reindexer(client, admin, ctx.logger, { pageSize: config.reindexPageSize, tombstoneRetentionDays: config.tombstoneRetentionDays });
    const jobs = new ReindexJobs(reindexer, catalogExport(ctx.sidecar, config.catalogAppId), ctx.logger);
    // Registered after the client's close, so it runs before it (hooks run in reverse order).
    ctx.onClose(() => jobs.stop());

    // The index lives in Elasticsearch; PostgreSQL (schema `search`) only keeps parked events.
    const pool = await connectPostgres(ctx, pgConfig(), 'search', [DEAD_LETTER_MIGRATION]);
    const writer = new ProductIndexWriter(client, names);
    const inventory = inventoryRecord(ctx.sidecar, config.inventoryAppId);
    return {
      routes: [...searchRoutes(new ProductSearch(client, names, config.defaultCurrency)), ...reindexRoutes(jobs, admin)],
      subscriptions: [
        ...productSubscriptions(writer, catalogRecord(ctx.sidecar, config.catalogAppId), { writer, inventory }),
        ...stockSubscriptions(writer, inventory),
      ],
      deadLetters: new DeadLetterStore(pool),
    };
  },
});

async function waitFor(check: () => Promise<void>, timeoutMs: number, onFailure: (err: unknown) => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() >= deadline) throw err;
      onFailure(err);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}
