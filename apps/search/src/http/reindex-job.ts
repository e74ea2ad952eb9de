import type { Logger } from '../../../../kernel/logger';
import { HttpProblem } from '../../../../kernel/problem';
import { describeFailure } from '../store/failures';
import { ReindexAlreadyRunning, type CatalogExport, type Reindexer, type ReindexReport, type ReindexRun } from '../store/reindex';

export interface ReindexJob extends ReindexRun {
  state: 'running' | 'done' | 'failed';
  report?: ReindexReport;
  error?: string;
}

/**
 * Runs rebuilds in the background: a catalog takes longer to copy than the invocation timeout
 * (10 s in components/resiliency.yaml), so POST answers 202 once dual writes have started and
 * GET tells how it went. Job state is this replica's; the marker alias is what all replicas see.
 */
export class ReindexJobs {
  private current: Promise<void> | null = null;
  private latest: ReindexJob | null = null;
  private stopping = false;

  constructor(
    private readonly reindexer: Reindexer,
    private readonly source: CatalogExport,
    private readonly log: Logger,
  ) {}

  async start(options: { force?: boolean } = {}): Promise<ReindexJob> {
    if (this.current) throw new HttpProblem(409, 'A rebuild is already running on this replica.');
    let run: ReindexRun;
    try {
      run = await this.reindexer.begin(options);
    } catch (err) {
      if (err instanceof ReindexAlreadyRunning) throw new HttpProblem(409, err.message);
      throw err;
    }
    const job: ReindexJob = { ...run, state: 'running' };
    this.latest = job;
    this.current = this.reindexer
      .complete(run, this.source, () => this.stopping)
      .then((report) => Object.assign(job, { state: 'done', report }))
      .catch((err) => {
        Object.assign(job, { state: 'failed', error: describeFailure(err) });
        this.log.error({ err, to: run.to }, 'rebuild failed');
      })
      .then(() => {
        this.current = null;
      });
    return { ...job };
  }

  latestJob(): ReindexJob | null {
    return this.latest ? { ...this.latest } : null;
  }

  /** Resolves when no rebuild runs here (tests; shutdown). */
  async idle(): Promise<void> {
    await this.current;
  }

  /** Shutdown: stop between pages; the rebuild drops its new index and the marker. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.current;
  }
}
