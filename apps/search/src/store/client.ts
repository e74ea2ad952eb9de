import { Client } from '@elastic/elasticsearch';
import type { SearchConfig } from '../config';

export function createEngineClient(es: SearchConfig['es']): Client {
  return new Client({ node: es.node, requestTimeout: es.requestTimeoutMs, maxRetries: es.maxRetries });
}

/** Readiness: the cluster answers and can serve (yellow: every primary shard is allocated). */
export async function pingCluster(client: Client): Promise<void> {
  const health = await client.cluster.health({ wait_for_status: 'yellow', timeout: '1s' });
  if (health.timed_out) throw new Error(`elasticsearch cluster is ${health.status}`);
}
