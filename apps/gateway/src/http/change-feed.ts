import type { Sidecar } from '../../../../kernel/dapr/sidecar';
import type { Logger } from '../../../../kernel/logger';

/** How far back each poll looks before the previous answer's time: a transaction that started
 * earlier but committed after that answer is still reported (catalog writes take milliseconds). */
const OVERLAP_MS = 5_000;

interface Changes {
  as_of: string;
  changes: Array<{ event_id: string; product_id: string }>;
  complete: boolean;
}

/**
 * Polls the catalog's change feed (`GET /internal/products/changes`) every `intervalMs` and tells
 * the edge cache which products changed. While polls succeed, a cached product answer may live
 * long (every change evicts it within about one interval); `healthy()` says whether the last
 * successful poll started recently enough that nothing changed before `now - maxStalenessMs`
 * can still be in the cache.
 */
export class ProductChangeFeed {
  private since?: string;
  private lastGoodPollStartedAt = 0;
  private failing = false;
  /** Events already acted on: the overlap reports them again, and they must not evict twice. */
  private readonly seen = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly sidecar: Sidecar,
    private readonly logger: Logger,
    private readonly intervalMs: number,
    private readonly maxStalenessMs: number,
    private readonly onChanged: (productIds: string[]) => void,
    private readonly onLost: () => void,
  ) {}

  start(): void {
    const tick = () => {
      this.running = this.poll().finally(() => {
        this.running = undefined;
        this.timer = setTimeout(tick, this.intervalMs);
        this.timer.unref();
      });
    };
    tick();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    await this.running;
  }

  /** Whether long-lived entries may be served now. */
  healthy(now = Date.now()): boolean {
    return now - this.lastGoodPollStartedAt + this.intervalMs <= this.maxStalenessMs;
  }

  private async poll(): Promise<void> {
    const startedAt = Date.now();
    try {
      const since = this.since ? new Date(Date.parse(this.since) - OVERLAP_MS).toISOString() : new Date(startedAt - OVERLAP_MS).toISOString();
      const changes = await this.sidecar.invokeJson<Changes>('catalog', `/internal/products/changes?since=${encodeURIComponent(since)}`, { timeoutMs: 5_000 });
      const fresh = changes.changes.filter((c) => !this.seen.has(c.event_id));
      for (const c of fresh) this.seen.set(c.event_id, startedAt);
      for (const [id, at] of this.seen) if (startedAt - at > OVERLAP_MS * 3) this.seen.delete(id);
      if (!this.since || !changes.complete) this.onLost();
      else if (fresh.length) this.onChanged(fresh.map((c) => c.product_id));
      this.since = changes.as_of;
      this.lastGoodPollStartedAt = startedAt;
    } catch (err) {
      // Once per outage: the first failure, then silence until a poll succeeds again.
      if (!this.failing) this.logger.warn({ err }, 'catalog change feed failed; product answers are cached for the short time only');
      this.failing = true;
      return;
    }
    this.failing = false;
  }
}
