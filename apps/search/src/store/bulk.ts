import type { Client, estypes } from '@elastic/elasticsearch';
import type { ProductDocument } from '../domain/document';
import { kindOfStatus } from './failures';

export interface BulkReport {
  /** Written, or already there at this version or newer (a live event was faster). */
  indexed: number;
  /** Refused by Elasticsearch for good (mapping errors): logged and counted, not retried. */
  rejected: Array<{ id: string; reason: string }>;
}

const ATTEMPTS = 5;
const FIRST_BACKOFF_MS = 200;

/**
 * Bulk-creates documents in one physical index (used by the rebuild): `create`, so a document
 * the live dual writes already put there (store/writer.ts: a change made after the rebuild
 * began) is kept (409, counted as indexed). Items refused for a transient reason (429 queue
 * full, 5xx) are sent again with back-off; after the last attempt the whole rebuild fails
 * rather than silently miss products.
 */
export async function bulkIndex(client: Client, index: string, docs: ProductDocument[]): Promise<BulkReport> {
  const report: BulkReport = { indexed: 0, rejected: [] };
  let pending = docs;
  for (let attempt = 1; pending.length > 0; attempt++) {
    const operations = pending.flatMap((doc) => [{ create: { _index: index, _id: doc.id } }, doc]);
    const response: estypes.BulkResponse = await client.bulk({ operations });
    const retry: ProductDocument[] = [];
    response.items.forEach((item, i) => {
      const result = item.create;
      const doc = pending[i]!;
      if (result && (result.status === 200 || result.status === 201 || result.status === 409)) report.indexed++;
      else if (!result || kindOfStatus(result.status) === 'transient') retry.push(doc);
      else report.rejected.push({ id: doc.id, reason: `${result.status} ${result.error?.type ?? ''}: ${result.error?.reason ?? ''}`.slice(0, 300) });
    });
    if (retry.length && attempt >= ATTEMPTS) throw new Error(`bulk indexing into ${index}: ${retry.length} documents still failing after ${ATTEMPTS} attempts`);
    if (retry.length) await sleep(FIRST_BACKOFF_MS * 2 ** (attempt - 1));
    pending = retry;
  }
  return report;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
