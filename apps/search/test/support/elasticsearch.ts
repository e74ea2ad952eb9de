import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from '@elastic/elasticsearch';
import type { CloudEvent } from '../../../../kernel/dapr/subscriptions';
import { createLogger } from '../../../../kernel/logger';
import { PRODUCT_TOPICS, type ProductSnapshot } from '../../../catalog/src/events/contract';
import { pingCluster } from '../../src/store/client';
import { IndexAdmin } from '../../src/store/indices';
import { indexNames, type IndexNames } from '../../src/store/layout';

/**
 * Tests that need a real Elasticsearch (and nothing else): the project's node, started with
 * `bash scripts/infra/elasticsearch.sh start`. Every suite uses its own `test-<random>-` alias and
 * indices on the shared node, and deletes them at the end.
 */
export const ES_NODE = `http://${process.env.ES_HOST ?? '127.0.0.1'}:${process.env.ES_PORT ?? '9250'}`;

export const silentLog = createLogger('search-test', 'silent');

export interface TestIndex {
  client: Client;
  names: IndexNames;
  admin: IndexAdmin;
  cleanup(): Promise<void>;
}

export async function testIndex(): Promise<TestIndex> {
  const client = new Client({ node: ES_NODE, requestTimeout: 30_000, maxRetries: 0 });
  try {
    await pingCluster(client);
  } catch (err) {
    await client.close();
    throw new Error(`Elasticsearch does not answer at ${ES_NODE} (${(err as Error).message}); start it: bash scripts/infra/elasticsearch.sh start`);
  }
  const base = `test-${randomBytes(4).toString('hex')}-products`;
  const names = indexNames(base);
  return {
    client,
    names,
    admin: new IndexAdmin(client, names, silentLog),
    async cleanup() {
      // Wildcard deletes are refused by default (action.destructive_requires_name): list, then delete by name.
      const indices = Object.keys(await client.indices.get({ index: `${base}-*`, allow_no_indices: true, ignore_unavailable: true }));
      if (indices.length) await client.indices.delete({ index: indices });
      await client.close();
    },
  };
}

let skuCounter = 0;

export function product(overrides: Partial<ProductSnapshot> = {}): ProductSnapshot {
  skuCounter++;
  return {
    id: randomUUID(),
    sku: `SKU-${process.pid}-${skuCounter}`,
    name: `Product ${skuCounter}`,
    description: 'A product of the test catalog.',
    base_price_minor: 1000,
    currency: 'USD',
    status: 'active',
    category: null,
    attributes: {},
    variants: [],
    version: 1,
    updated_at: new Date().toISOString(),
    ...overrides,
  };
}

export function changedEvent(snapshot: ProductSnapshot, topic: string = PRODUCT_TOPICS.updated): CloudEvent {
  return cloudEvent(topic, { event_id: randomUUID(), occurred_at: snapshot.updated_at, product: snapshot });
}

export function deletedEvent(snapshot: Pick<ProductSnapshot, 'id' | 'sku'>, version: number): CloudEvent {
  return cloudEvent(PRODUCT_TOPICS.deleted, { event_id: randomUUID(), occurred_at: new Date().toISOString(), product: { id: snapshot.id, sku: snapshot.sku, version } });
}

export function cloudEvent(topic: string, data: unknown): CloudEvent {
  return { id: randomUUID(), source: 'catalog', type: 'com.dapr.event.sent', topic, pubsubname: 'pubsub', data };
}

/** Runs `tasks` with at most `concurrency` in flight, like a consumer with that many deliveries open. */
export async function withConcurrency<T>(tasks: Array<() => Promise<T>>, concurrency: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker));
  return results;
}

export function shuffled<T>(values: T[]): T[] {
  const copy = [...values];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}
