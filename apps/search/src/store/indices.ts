import type { Client } from '@elastic/elasticsearch';
import type { Logger } from '../../../../kernel/logger';
import { statusOf } from './failures';
import { indexMappings, indexSettings, MAPPING_VERSION, newPhysicalName, SEARCH_REFRESH_INTERVAL, type IndexNames } from './layout';

/** Creating, finding, swapping and dropping the physical indices behind the aliases. */
export class IndexAdmin {
  constructor(
    private readonly client: Client,
    readonly names: IndexNames,
    private readonly log: Logger,
  ) {}

  /** The physical indices an alias points to (none when the alias does not exist), sorted. */
  async indicesBehind(alias: string): Promise<string[]> {
    try {
      return Object.keys(await this.client.indices.getAlias({ name: alias })).sort();
    } catch (err) {
      if (statusOf(err) === 404) return [];
      throw err;
    }
  }

  /** Creates a new physical index with our settings and mapping, born with the given aliases. */
  async createPhysicalIndex(aliases: string[]): Promise<string> {
    const index = newPhysicalName(this.names);
    await this.client.indices.create({
      index,
      settings: indexSettings,
      mappings: indexMappings,
      aliases: Object.fromEntries(aliases.map((alias) => [alias, {}])),
    });
    return index;
  }

  /**
   * At start-up: the read alias exists and points to exactly one index. Idempotent across
   * replicas: if two start at once on an empty cluster and each creates an index, both end up
   * behind the alias; the first-created one is kept and the others are dropped. The loser never
   * received a write: while the alias points to two indices writes through it fail (no write
   * index) and are retried, and before that only the first one was behind it.
   */
  async ensureIndex(): Promise<string> {
    let behind = await this.indicesBehind(this.names.alias);
    if (behind.length === 0) {
      const created = await this.createPhysicalIndex([this.names.alias]);
      this.log.info({ index: created, alias: this.names.alias }, 'created the first search index');
      behind = await this.indicesBehind(this.names.alias);
    }
    const index = behind.length > 1 ? await this.keepFirstCreated(this.names.alias, behind) : behind[0]!;
    await this.client.indices.putSettings({ index, settings: { refresh_interval: SEARCH_REFRESH_INTERVAL } });
    await this.warnIfMappingOutdated(index);
    return index;
  }

  /** The one index behind the read alias; throws when there is none or several. */
  async currentIndex(): Promise<string> {
    const behind = await this.indicesBehind(this.names.alias);
    if (behind.length !== 1) throw new Error(`alias ${this.names.alias} points to ${behind.length} indices: ${behind.join(', ')}`);
    return behind[0]!;
  }

  /**
   * One atomic alias change: reads move from `from` to `to`, and the dual-write marker goes.
   * `must_exist` makes it fail as a whole if someone else moved the alias meanwhile.
   */
  async swap(from: string, to: string): Promise<void> {
    await this.client.indices.updateAliases({
      actions: [
        { remove: { index: from, alias: this.names.alias, must_exist: true } },
        { add: { index: to, alias: this.names.alias } },
        { remove: { index: to, alias: this.names.nextAlias, must_exist: true } },
      ],
    });
  }

  /** Deletes indices; one already gone (another replica was faster) is fine. */
  async drop(indices: string[]): Promise<void> {
    for (const index of indices) {
      try {
        await this.client.indices.delete({ index });
      } catch (err) {
        if (statusOf(err) !== 404) throw err;
      }
    }
  }

  /** Makes recent writes visible to searches now rather than within the refresh interval (1 s). */
  async refresh(): Promise<void> {
    await this.client.indices.refresh({ index: [this.names.alias, this.names.nextAlias], ignore_unavailable: true, allow_no_indices: true });
  }

  private async keepFirstCreated(alias: string, indices: string[]): Promise<string> {
    const settings = await this.client.indices.getSettings({ index: indices, name: 'index.creation_date', ignore_unavailable: true });
    const created = (index: string) => Number(settings[index]?.settings?.index?.creation_date ?? Number.MAX_SAFE_INTEGER);
    const [winner, ...losers] = [...indices].sort((a, b) => created(a) - created(b) || a.localeCompare(b));
    this.log.warn({ alias, kept: winner, dropped: losers }, 'concurrent start-ups created several indices; keeping the first');
    await this.drop(losers);
    return winner!;
  }

  /**
   * An index with an older mapping gets the new fields in place (a strict mapping would refuse
   * every document carrying them); only a change to an existing field needs a rebuild, and
   * Elasticsearch refuses that here, which is logged.
   */
  private async warnIfMappingOutdated(index: string): Promise<void> {
    const mapping = await this.client.indices.getMapping({ index });
    const version = Number(mapping[index]?.mappings?._meta?.mapping_version ?? 0);
    if (version >= MAPPING_VERSION) return;
    try {
      await this.client.indices.putMapping({ index, properties: indexMappings.properties, _meta: indexMappings._meta });
      this.log.info({ index, from: version, to: MAPPING_VERSION }, 'added the new fields to the search index');
    } catch (err) {
      this.log.warn({ err, index, mapping_version: version, expected: MAPPING_VERSION }, 'the search index has an older mapping: run `npm run search:reindex`');
    }
  }
}
