import type { Client, estypes } from '@elastic/elasticsearch';
import type { Logger } from '../../../../kernel/logger';
import { ajv } from '../../../../kernel/validation';
import { productSnapshotSchema, type ProductSnapshot } from '../../../catalog/src/events/contract';
import { documentOf, skusOf, type ProductDocument } from '../domain/document';
import { stockFieldsOf } from '../domain/stock';
import { bulkIndex } from './bulk';
import type { IndexAdmin } from './indices';

/** One page of the catalog's `GET /internal/products/export?after=&limit=` (drafts and archived included). */
export interface ExportPage {
  items: unknown[];
  next_after: string | null;
}

/** Where a rebuild reads products from: the catalog through Dapr in the service, a function in tests. */
export type CatalogExport = (after: string | null, limit: number) => Promise<ExportPage>;

export interface ReindexRun {
  from: string;
  to: string;
  started_at: string;
}

export interface ReindexReport extends ReindexRun {
  products: number;
  /** Export items that do not match the contract (logged, not indexed). */
  skipped: number;
  /** Documents Elasticsearch refused for good (logged, not indexed). */
  rejected: number;
  tombstones: number;
  ms: number;
}

export class ReindexAlreadyRunning extends Error {}

const isSnapshot = ajv.compile<ProductSnapshot>(productSnapshotSchema);

/**
 * Rebuilds the index without downtime (our node has no `_reindex`, so: catalog export + bulk):
 * 1. begin: create the next physical index with the marker alias `<alias>-next` — from then on
 *    every live event is written to both indices (store/writer.ts);
 * 2. fill: page through the catalog's export and bulk-create what the new index does not have
 *    yet (each product keeps the stock the old index holds for it: the catalog has none), then
 *    copy recent tombstones from the old index (deleted products are not in the export, and a
 *    late update must still not resurrect them). A document already there came from a live
 *    dual write, made after the marker existed, so it is at least as new as this copy: the
 *    order of these writes and the live ones does not matter;
 * 3. swap the read alias and drop the marker in one atomic `_aliases` call, then delete the
 *    old index. On any failure the next index (and so the marker) is deleted: reads never
 *    moved, nothing is lost, the rebuild can simply be run again.
 */
export class Reindexer {
  constructor(
    private readonly client: Client,
    private readonly admin: IndexAdmin,
    private readonly log: Logger,
    private readonly options: { pageSize: number; tombstoneRetentionDays: number },
  ) {}

  /** Starts dual writes into a new index. `force` first removes a marker a crashed rebuild left. */
  async begin(options: { force?: boolean } = {}): Promise<ReindexRun> {
    const { nextAlias } = this.admin.names;
    const stale = await this.admin.indicesBehind(nextAlias);
    if (stale.length && !options.force) throw new ReindexAlreadyRunning(`a rebuild into ${stale.join(', ')} is running (or crashed: repeat with force)`);
    await this.admin.drop(stale);
    const from = await this.admin.currentIndex();
    const to = await this.admin.createPhysicalIndex([nextAlias]);
    // Two rebuilds started at the same moment (two replicas): the older name wins, the other backs off.
    const marked = await this.admin.indicesBehind(nextAlias);
    if (marked[0] !== to) {
      await this.admin.drop([to]);
      throw new ReindexAlreadyRunning(`a rebuild into ${marked[0]} started at the same time`);
    }
    this.log.info({ from, to }, 'rebuild started: live events now go to both indices');
    return { from, to, started_at: new Date().toISOString() };
  }

  /** Fills the new index and swaps. `shouldStop` is checked between pages (service shutdown). */
  async complete(run: ReindexRun, source: CatalogExport, shouldStop: () => boolean = () => false): Promise<ReindexReport> {
    const started = Date.now();
    try {
      const copied = await this.copyCatalog(run.from, run.to, source, shouldStop);
      const tombstones = await this.copyTombstones(run.from, run.to, shouldStop);
      await this.client.indices.refresh({ index: run.to });
      await this.admin.swap(run.from, run.to);
      const report = { ...run, ...copied, tombstones, ms: Date.now() - started };
      this.log.info(report, 'rebuild done: reads moved to the new index');
      // After the swap a failure here only leaves an unused index behind; the rebuild succeeded.
      await this.admin.drop([run.from]).catch((err) => this.log.error({ err, index: run.from }, 'could not delete the old index'));
      return report;
    } catch (err) {
      this.log.error({ err, to: run.to }, 'rebuild failed: dropping the new index, reads stay on the old one');
      await this.admin.drop([run.to]).catch((dropErr) => this.log.error({ err: dropErr, index: run.to }, 'could not drop the new index'));
      throw err;
    }
  }

  async run(source: CatalogExport, options: { force?: boolean } = {}): Promise<ReindexReport> {
    return this.complete(await this.begin(options), source);
  }

  private async copyCatalog(from: string, index: string, source: CatalogExport, shouldStop: () => boolean): Promise<{ products: number; skipped: number; rejected: number }> {
    let after: string | null = null;
    const totals = { products: 0, skipped: 0, rejected: 0 };
    do {
      if (shouldStop()) throw new Error('rebuild stopped: the service is shutting down');
      const page: ExportPage = await source(after, this.options.pageSize);
      if (!page || !Array.isArray(page.items) || (page.next_after !== null && typeof page.next_after !== 'string')) {
        throw new Error('the catalog export answered something other than {items, next_after}');
      }
      if (page.next_after !== null && page.next_after === after) throw new Error(`the catalog export does not advance past ${after}`);
      const docs: ProductDocument[] = [];
      for (const item of page.items) {
        if (isSnapshot(item)) docs.push(documentOf(item));
        else {
          totals.skipped++;
          this.log.warn({ id: (item as { id?: unknown })?.id, errors: ajv.errorsText(isSnapshot.errors) }, 'export item does not match the product contract; skipped');
        }
      }
      totals.rejected += await this.index(index, await this.withStock(from, docs));
      totals.products += docs.length;
      after = page.next_after;
    } while (after !== null);
    return totals;
  }

  /**
   * Carries each product's stock reports over from the old index (realtime reads). A report made
   * after this read reaches the new index by the live dual write, and this copy only creates
   * what is not there (store/bulk.ts), so it never overwrites a newer report.
   */
  private async withStock(from: string, docs: ProductDocument[]): Promise<ProductDocument[]> {
    if (!docs.length) return docs;
    const response = await this.client.mget<Pick<ProductDocument, 'stock'>>({ index: from, ids: docs.map((d) => d.id), _source_includes: ['stock'] });
    const stockOf = new Map<string, ProductDocument['stock']>();
    for (const item of response.docs) if ('found' in item && item.found) stockOf.set(item._id, item._source?.stock ?? null);
    return docs.map((doc) => ({ ...doc, ...stockFieldsOf(stockOf.get(doc.id), skusOf(doc)) }));
  }

  /** Tombstones younger than the retention; older ones can no longer meet a late update. */
  private async copyTombstones(from: string, to: string, shouldStop: () => boolean): Promise<number> {
    // Deletes indexed just before the marker existed may not be searchable yet.
    await this.client.indices.refresh({ index: from });
    let copied = 0;
    let after: estypes.SortResults | undefined;
    for (;;) {
      if (shouldStop()) throw new Error('rebuild stopped: the service is shutting down');
      const response = await this.client.search<ProductDocument>({
        index: from,
        size: this.options.pageSize,
        query: { bool: { filter: [{ term: { deleted: true } }, { range: { updated_at: { gte: `now-${this.options.tombstoneRetentionDays}d` } } }] } },
        sort: [{ id: { order: 'asc' } }],
        ...(after ? { search_after: after } : {}),
      });
      const hits = response.hits.hits;
      const docs = hits.flatMap((hit) => (hit._source ? [hit._source] : []));
      await this.index(to, docs);
      copied += docs.length;
      if (hits.length < this.options.pageSize) return copied;
      after = hits[hits.length - 1]!.sort;
    }
  }

  private async index(index: string, docs: ProductDocument[]): Promise<number> {
    if (!docs.length) return 0;
    const report = await bulkIndex(this.client, index, docs);
    for (const refused of report.rejected) this.log.error(refused, 'Elasticsearch refused a product during the rebuild');
    return report.rejected.length;
  }
}
