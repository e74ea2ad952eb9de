import type { Client, estypes } from '@elastic/elasticsearch';
import type { ProductDocument } from '../domain/document';
import { describeFailure, kindOfError, kindOfStatus } from './failures';
import type { IndexNames } from './layout';

/**
 * What became of one write. `stale`: the index already holds this version or a newer one
 * (duplicate or out-of-order delivery) — a success for the caller.
 */
export type WriteOutcome =
  | { kind: 'written' }
  | { kind: 'stale' }
  | { kind: 'transient'; reason: string }
  | { kind: 'rejected'; reason: string };

/**
 * Writes product documents, idempotently and safely out of order: Elasticsearch keeps a
 * document only if its external version (the catalog's `version`) is higher than the stored
 * one; a lower or equal version is a 409, which means "we already have newer".
 */
export class ProductIndexWriter {
  constructor(
    private readonly client: Client,
    private readonly names: IndexNames,
  ) {}

  /**
   * One bulk request, two operations: through the read alias, and through the rebuild marker
   * alias. `require_alias` makes the second fail with 404 (never auto-create an index) when no
   * rebuild runs, which we ignore. So the marker costs no extra round trip and no cache that
   * could be stale: whether a rebuild runs is decided by Elasticsearch per request.
   */
  async write(doc: ProductDocument): Promise<WriteOutcome> {
    const header = (index: string) => ({ index: { _index: index, _id: doc.id, version: doc.version, version_type: 'external' as const, require_alias: true } });
    let response: estypes.BulkResponse;
    try {
      response = await this.client.bulk({ operations: [header(this.names.alias), doc, header(this.names.nextAlias), doc] });
    } catch (err) {
      return { kind: kindOfError(err) === 'transient' ? 'transient' : 'rejected', reason: describeFailure(err) };
    }
    const [live, next] = response.items.map((item) => item.index);
    return combine(outcomeOf(live, 'live'), outcomeOf(next, 'next'));
  }
}

function outcomeOf(item: estypes.BulkResponseItem | undefined, target: 'live' | 'next'): WriteOutcome {
  if (!item) return { kind: 'transient', reason: `no bulk answer for the ${target} index` };
  if (item.status === 200 || item.status === 201) return { kind: 'written' };
  if (item.status === 409) return { kind: 'stale' };
  // No rebuild running: the marker alias does not exist, and that is the normal case.
  if (target === 'next' && item.status === 404) return { kind: 'stale' };
  const reason = `${target} index: ${item.status} ${item.error?.type ?? ''}: ${item.error?.reason ?? ''}`.slice(0, 300);
  // An alias behind two indices (two replicas bootstrapping, two rebuilds starting) has no write
  // index for a moment; that resolves itself, so it is not the message's fault.
  if (/no write index/i.test(item.error?.reason ?? '')) return { kind: 'transient', reason };
  return { kind: kindOfStatus(item.status) === 'transient' ? 'transient' : 'rejected', reason };
}

/** The more serious outcome wins: anything unfinished must be retried, even if one write went in. */
function combine(live: WriteOutcome, next: WriteOutcome): WriteOutcome {
  const rank = { transient: 3, rejected: 2, written: 1, stale: 0 } as const;
  if (rank[next.kind] > rank[live.kind] && next.kind !== 'written') return next;
  return live;
}
