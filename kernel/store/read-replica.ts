/**
 * Reads from a PostgreSQL hot standby without ever showing a client something older than what
 * it has already been told (read-your-writes), and without a stale read anywhere else either.
 *
 * The consistency token is a WAL position (an LSN such as `0/3A1B2C8`). Every successful write
 * request answers one in `X-Consistency-Token`: the primary's position after the request's
 * commits (kernel/http/app.ts). A read chooses its pool here:
 *   - with a token (the client sends back the one it got): the replica once it has replayed
 *     that far, waiting up to `waitMs`; otherwise the primary;
 *   - without one: the replica once it has replayed past the primary's position as the read
 *     began (one tiny query on the primary, shared by the reads that arrive together), so a
 *     client that does not send tokens is never shown a state older than its own last write
 *     either (`tokenless: 'fresh'`, the default); `tokenless: 'replica'` skips that check
 *     (eventual: seconds behind at worst, for reads that may be).
 * A replica down, or too far behind, sends the read to the primary: never an error.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type pg from 'pg';
import { Counter, Gauge } from 'prom-client';
import { registry } from '../http/metrics';

/** `X/Y`: two hex numbers of at most 8 digits (PostgreSQL's pg_lsn text form). */
const LSN = /^[0-9A-F]{1,8}\/[0-9A-F]{1,8}$/i;
export const CONSISTENCY_HEADER = 'x-consistency-token';

export function isLsn(text: string): boolean {
  return LSN.test(text);
}

/** The position as a number (hi * 2^32 + lo) that orders positions. */
export function lsnValue(lsn: string): bigint {
  const [hi, lo] = lsn.split('/') as [string, string];
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
}

const tokens = new AsyncLocalStorage<{ token?: string }>();

/** Runs a request's work with the token it sent (or none): reads made meanwhile honour it. */
export function withConsistencyToken<T>(token: string | undefined, fn: () => T): T {
  return tokens.run(token ? { token } : {}, fn);
}

export function currentConsistencyToken(): string | undefined {
  return tokens.getStore()?.token;
}

const reads = new Counter({
  name: 'db_reads_routed_total',
  help: 'Reads that could go to the read replica, by where they went (replica, primary) and why',
  labelNames: ['target', 'reason'] as const,
  registers: [registry],
});
const behind = new Gauge({
  name: 'db_replica_behind_bytes',
  help: 'WAL bytes the replica had not replayed when a read last had to go to the primary',
  registers: [registry],
});

/** Where a successful write request's token comes from; set when the app reads from a replica. */
let writeTokenSource: (() => Promise<string>) | undefined;

export function setWriteTokenSource(source: (() => Promise<string>) | undefined): void {
  writeTokenSource = source;
}

/** The token a successful write request answers (undefined when the app has no replica). */
export async function tokenAfterWrite(): Promise<string | undefined> {
  return writeTokenSource?.();
}

export interface ReadRouterOptions {
  /** How long a read waits for the replica to catch up before it goes to the primary. */
  waitMs: number;
  /** How often the replica's position is asked while waiting. */
  pollMs?: number;
  tokenless?: 'fresh' | 'replica';
  onReplicaError?: (err: Error) => void;
}

/**
 * Sources of the write side's token: the primary's current position. The position queries run
 * around every routed read and every write: named, so each connection plans them once.
 */
export async function primaryPosition(primary: pg.Pool | pg.PoolClient): Promise<string> {
  const { rows } = await primary.query<{ lsn: string }>({ name: 'primary-position', text: 'SELECT pg_current_wal_lsn()::text AS lsn' });
  return rows[0]!.lsn;
}

export class ReadRouter {
  private replayed = -1n;
  private replayQuery: Promise<bigint> | undefined;
  private positionQuery: { startedAt: number; result: Promise<bigint> } | undefined;
  private readonly pollMs: number;

  constructor(
    readonly primary: pg.Pool,
    readonly replica: pg.Pool | undefined,
    private readonly options: ReadRouterOptions,
  ) {
    this.pollMs = options.pollMs ?? 5;
  }

  /** The pool for a read made now (in the current request's token context). */
  async forRead(): Promise<pg.Pool> {
    if (!this.replica) return this.primary;
    const token = currentConsistencyToken();
    try {
      const target = token ? lsnValue(token) : this.options.tokenless === 'replica' ? -1n : await this.primaryNow();
      if (await this.replicaReaches(target)) {
        reads.inc({ target: 'replica', reason: token ? 'token' : (this.options.tokenless ?? 'fresh') });
        return this.replica;
      }
      behind.set(Number(target - this.replayed));
      reads.inc({ target: 'primary', reason: 'replica_behind' });
    } catch (err) {
      this.options.onReplicaError?.(err as Error);
      reads.inc({ target: 'primary', reason: 'replica_error' });
    }
    return this.primary;
  }

  /** The primary's position, asked after this call began (a query already under way that began earlier is not enough). */
  private primaryNow(): Promise<bigint> {
    const now = performance.now();
    if (this.positionQuery && this.positionQuery.startedAt >= now) return this.positionQuery.result;
    const result = primaryPosition(this.primary).then(lsnValue);
    this.positionQuery = { startedAt: now, result };
    // A query that fails is not kept for the next read.
    result.catch(() => undefined).finally(() => {
      if (this.positionQuery?.result === result) this.positionQuery = undefined;
    });
    return result;
  }

  /** Whether the replica has replayed up to `target`, waiting up to waitMs. */
  private async replicaReaches(target: bigint): Promise<boolean> {
    if (this.replayed >= target) return true;
    const deadline = performance.now() + this.options.waitMs;
    for (;;) {
      if ((await this.replayPosition()) >= target) return true;
      if (performance.now() + this.pollMs > deadline) return false;
      await new Promise((r) => setTimeout(r, this.pollMs));
    }
  }

  /** The replica's replayed position; reads waiting together share one query (positions only grow). */
  private replayPosition(): Promise<bigint> {
    this.replayQuery ??= this.replica!
      .query<{ lsn: string | null }>({ name: 'replica-position', text: 'SELECT pg_last_wal_replay_lsn()::text AS lsn' })
      .then(({ rows }) => {
        const lsn = rows[0]?.lsn;
        // NULL: not a standby (misconfigured: pointed at a primary). Never trusted as caught up.
        const value = lsn ? lsnValue(lsn) : -1n;
        if (value > this.replayed) this.replayed = value;
        return this.replayed;
      })
      .finally(() => {
        this.replayQuery = undefined;
      });
    return this.replayQuery;
  }
}
