import type { Client, estypes } from '@elastic/elasticsearch';
import { skusOf, type ProductDocument } from '../domain/document';
import { unreportedSkus, type SkuStock } from '../domain/stock';
import { nextVersionOf, planProductWrite, planStockWrite, type Stored, type WritePlan } from '../domain/write-plan';
import { describeFailure, kindOfError, kindOfStatus } from './failures';
import { SEARCH_REFRESH_INTERVAL_MS, type IndexNames } from './layout';
import { Coalescer } from '../../../../kernel/store/coalescer';

/**
 * What became of one write. `stale`: the index already holds this version or a newer one
 * (duplicate or out-of-order delivery) — a success for the caller. `unreported`: SKUs of the
 * product the stored document has no stock report for (the caller asks the inventory).
 */
export type WriteOutcome =
  | { kind: 'written'; unreported?: string[] }
  | { kind: 'stale'; unreported?: string[] }
  | { kind: 'transient'; reason: string }
  | { kind: 'rejected'; reason: string };

/**
 * Reads and writes before giving up on a document many writers fight over (then: redelivery).
 * Between attempts a short random pause, so writers that collided do not collide again in step.
 */
const ATTEMPTS = 20;
const pause = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));

type Target = 'live' | 'next';

/**
 * Writes product documents, idempotently and safely out of order, as compare-and-set: read the
 * stored document (realtime `mget`), plan the write (domain/write-plan.ts: the stored version
 * + 1 as external version), write; a 409 means someone else wrote in between, so read and plan
 * again. A plan that finds newer data is `stale`.
 *
 * Every write goes to the read alias and, while a rebuild runs, to the marker alias
 * (`require_alias`: 404 when no rebuild runs, ignored), each planned against its own stored
 * document. When the new index does not have the document yet it gets the live result, and the
 * rebuild only creates documents the new index does not have (store/bulk.ts), so a rebuild never
 * undoes a change made after it began.
 */
export class ProductIndexWriter {
  /**
   * Reads and writes of concurrent deliveries share round trips (one mget, one bulk per batch):
   * Elasticsearch's cost here is mostly per request. Each document still gets its own
   * compare-and-set, so two writes of one document in one bulk settle as if sent apart.
   */
  private readonly reads: Coalescer<string, Record<Target, Stored | undefined>>;
  private readonly writes: Coalescer<WriteOp[], estypes.BulkResponseItem[]>;

  constructor(
    private readonly client: Client,
    private readonly names: IndexNames,
  ) {
    this.reads = new Coalescer((ids) => this.readMany(ids), BATCHING);
    this.writes = new Coalescer((groups) => this.writeMany(groups), BATCHING);
  }

  /** A product event's document (a tombstone for a delete); the stored stock is carried over. */
  async write(doc: ProductDocument): Promise<WriteOutcome> {
    const outcome = await this.compareAndSet(doc.id, (current) => planProductWrite(doc, current));
    if (outcome.kind === 'absent') return { kind: 'transient', reason: 'unreachable: a product write is never absent' };
    if (outcome.kind !== 'written' && outcome.kind !== 'stale') return outcome;
    return { kind: outcome.kind, unreported: doc.deleted ? [] : unreportedSkus(outcome.stock, skusOf(doc)) };
  }

  /** One SKU's report into one product's document; `absent` when there is no such document. */
  async writeStock(productId: string, sku: string, report: SkuStock): Promise<WriteOutcome | { kind: 'absent' }> {
    const outcome = await this.compareAndSet(productId, (current) => planStockWrite(current, sku, report));
    return outcome.kind === 'written' || outcome.kind === 'stale' ? { kind: outcome.kind } : outcome;
  }

  /**
   * The products (not deleted) that sell a SKU; a catalog SKU names one. Searches see writes
   * only after a refresh, and a product indexed a moment ago must not miss its stock: when
   * nothing is found, the question is asked again once the index's periodic refresh has passed
   * (twice its interval). Forcing a refresh instead cost Elasticsearch a new segment per event
   * of a SKU nobody sells (a flash sale of such a SKU: 24 refreshes/s, a quarter of the machine).
   * With periodic refresh off (`-1`), the index is refreshed as before.
   */
  async productsWithSku(sku: string): Promise<string[]> {
    const ask = async () => {
      const response = await this.client.search({
        index: this.names.alias,
        size: 10,
        _source: false,
        query: { bool: { should: [{ term: { sku } }, { term: { variant_skus: sku } }], minimum_should_match: 1, must_not: [{ term: { deleted: true } }] } },
      });
      return response.hits.hits.flatMap((hit) => (hit._id ? [hit._id] : []));
    };
    const found = await ask();
    if (found.length) return found;
    const interval = SEARCH_REFRESH_INTERVAL_MS;
    if (interval === undefined) await this.client.indices.refresh({ index: this.names.alias });
    else await new Promise((resolve) => setTimeout(resolve, 2 * interval));
    return ask();
  }

  private async compareAndSet(
    id: string,
    plan: (current: Stored | undefined) => WritePlan | { kind: 'absent' },
  ): Promise<Failure | { kind: 'absent' } | Settled> {
    const pending = new Set<Target>(['live', 'next']);
    let settled: Settled | undefined;
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      let stored: Record<Target, Stored | undefined>;
      try {
        stored = await this.reads.submit(id);
      } catch (err) {
        return { kind: kindOfError(err) === 'transient' ? 'transient' : 'rejected', reason: describeFailure(err) };
      }
      const livePlan = plan(stored.live);
      if (livePlan.kind === 'absent' || livePlan.kind === 'rejected') return livePlan;
      const ops: Array<{ target: Target; doc: ProductDocument; esVersion: number }> = [];
      if (pending.has('live')) {
        settled = livePlan.kind === 'write' ? { kind: 'written', stock: livePlan.doc.stock } : { kind: 'stale', stock: stored.live?.doc.stock ?? null };
        if (livePlan.kind === 'write') ops.push({ target: 'live', ...livePlan });
        else pending.delete('live');
      }
      if (pending.has('next')) {
        // Not in the new index (or no rebuild seen: one may begin before this write lands, and
        // then 404 tells it does not): it gets what the live index has or is about to have.
        const live = stored.live;
        const copy = livePlan.kind === 'write' ? livePlan.doc : live?.doc;
        const nextPlan = stored.next ? plan(stored.next) : copy ? { kind: 'write' as const, doc: copy, esVersion: nextVersionOf(undefined) } : undefined;
        if (nextPlan?.kind === 'write') ops.push({ target: 'next', doc: nextPlan.doc, esVersion: nextPlan.esVersion });
        else pending.delete('next');
      }
      if (ops.length === 0) return settled!;

      let items: estypes.BulkResponseItem[];
      try {
        items = await this.writes.submit(ops.map((op) => ({ ...op, id })));
      } catch (err) {
        return { kind: kindOfError(err) === 'transient' ? 'transient' : 'rejected', reason: describeFailure(err) };
      }
      for (const [i, item] of items.entries()) {
        const { target } = ops[i]!;
        const status = item?.status;
        // 404 of the marker alias: no rebuild runs, the normal case. 409: someone wrote in between.
        if (status === 200 || status === 201 || (target === 'next' && status === 404)) pending.delete(target);
        else if (status !== 409) return failureOf(item, target);
      }
      if (pending.size === 0) return settled!;
      await pause(attempt);
    }
    return { kind: 'transient', reason: `product ${id}: still contended after ${ATTEMPTS} attempts` };
  }

  private header(target: Target, id: string, version: number) {
    const index = target === 'live' ? this.names.alias : this.names.nextAlias;
    return { index: { _index: index, _id: id, version, version_type: 'external' as const, require_alias: true } };
  }

  /**
   * Both stored copies of each document in one realtime mget; the marker alias is missing
   * unless a rebuild runs. A document whose copies cannot be read gets its own Error.
   */
  private async readMany(ids: string[]): Promise<Array<Record<Target, Stored | undefined> | Error>> {
    const response = await this.client.mget<ProductDocument>({
      docs: ids.flatMap((id) => [{ _index: this.names.alias, _id: id }, { _index: this.names.nextAlias, _id: id }]),
    });
    return ids.map((id, n) => {
      try {
        const [live, next] = [response.docs[2 * n], response.docs[2 * n + 1]].map((item, i): Stored | undefined => {
          if (!item) throw new Error(`reading product ${id}: no mget answer`);
          if ('error' in item) {
            if (i === 1 && item.error.type === 'index_not_found_exception') return undefined;
            // The read alias missing or behind two indices is a moment of start-up or swap: the
            // caller retries (an unknown error is transient), never drops the event.
            throw new Error(`reading product ${id}: ${item.error.type}: ${item.error.reason ?? ''}`);
          }
          return item.found && item._source && typeof item._version === 'number' ? { doc: item._source, esVersion: item._version } : undefined;
        });
        return { live, next };
      } catch (err) {
        return err as Error;
      }
    });
  }

  /** Every document's operations in one bulk; each group gets the answers to its own operations. */
  private async writeMany(groups: WriteOp[][]): Promise<estypes.BulkResponseItem[][]> {
    const response = await this.client.bulk({ operations: groups.flat().flatMap((op) => [this.header(op.target, op.id, op.esVersion), op.doc]) });
    const items = response.items.map((item) => item.index!);
    let at = 0;
    return groups.map((group) => {
      const mine = items.slice(at, at + group.length);
      at += group.length;
      return mine;
    });
  }
}

/**
 * Documents per mget or bulk, and such requests in flight at once, per writer: deliveries that
 * arrive while one is in flight go together in the next, so a lone delivery waits for nothing
 * and a busy writer batches by itself.
 */
const BATCHING = { maxBatch: 50, maxInFlight: 1 };

/** One index operation of a compare-and-set. */
interface WriteOp {
  target: Target;
  id: string;
  doc: ProductDocument;
  esVersion: number;
}

type Failure = Extract<WriteOutcome, { kind: 'transient' | 'rejected' }>;

/** A write that went through, or found newer data; with the stock the live document now holds. */
interface Settled {
  kind: 'written' | 'stale';
  stock: ProductDocument['stock'];
}

function failureOf(item: estypes.BulkResponseItem | undefined, target: Target): Failure {
  if (!item) return { kind: 'transient', reason: `no bulk answer for the ${target} index` };
  const reason = `${target} index: ${item.status} ${item.error?.type ?? ''}: ${item.error?.reason ?? ''}`.slice(0, 300);
  // An alias behind two indices (two replicas bootstrapping, two rebuilds starting) has no write
  // index for a moment; that resolves itself, so it is not the message's fault.
  if (/no write index/i.test(item.error?.reason ?? '')) return { kind: 'transient', reason };
  return { kind: kindOfStatus(item.status) === 'transient' ? 'transient' : 'rejected', reason };
}
