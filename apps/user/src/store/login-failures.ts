import type pg from 'pg';
import type { FailureCount, ThrottlePolicy } from '../domain/throttle';

/** How often one replica deletes rows whose window has ended. */
const SWEEP_EVERY_MS = 60_000;

/**
 * Failed-login counters per subject (account, address, account + address), in fixed windows.
 * Shared by every replica (PostgreSQL), unlike the in-process hash budget: a guess counts
 * wherever it landed.
 */
export class LoginFailureStore {
  private lastSweep = 0;

  constructor(private readonly pool: pg.Pool, private readonly policy: ThrottlePolicy) {}

  /** The failures in the current window of each subject that has any (one query for all). */
  async counts(subjects: string[]): Promise<Map<string, FailureCount>> {
    const { rows } = await this.pool.query<{ subject: string; window_started_at: Date; failures: number }>(
      `SELECT subject, window_started_at, failures FROM login_failures
        WHERE subject = ANY($1::text[]) AND window_started_at > now() - make_interval(secs => $2)`,
      [subjects, this.policy.windowSeconds],
    );
    return new Map(rows.map((r) => [r.subject, { failures: r.failures, since: r.window_started_at }]));
  }

  /** One more failure for each subject; a subject whose window has ended starts a new one. */
  async recordFailure(subjects: string[]): Promise<void> {
    // One statement, rows taken in subject order: concurrent failures on overlapping subjects
    // always lock them in the same order, so they queue instead of deadlocking.
    await this.pool.query(
      `INSERT INTO login_failures (subject, window_started_at, failures)
       SELECT s, now(), 1 FROM unnest($1::text[]) AS s ORDER BY s
       ON CONFLICT (subject) DO UPDATE SET
         failures = CASE WHEN login_failures.window_started_at > now() - make_interval(secs => $2) THEN login_failures.failures + 1 ELSE 1 END,
         window_started_at = CASE WHEN login_failures.window_started_at > now() - make_interval(secs => $2) THEN login_failures.window_started_at ELSE now() END`,
      [[...new Set(subjects)], this.policy.windowSeconds],
    );
    await this.sweep();
  }

  async clear(subjects: string[]): Promise<void> {
    await this.pool.query('DELETE FROM login_failures WHERE subject = ANY($1::text[])', [subjects]);
  }

  /**
   * Rows of ended windows are worth nothing (an ended window counts as no failures), and an
   * attacker rotating addresses would otherwise grow the table for ever. Piggybacked on
   * failures, at most once a minute per replica, by the window index (migration 003).
   */
  private async sweep(): Promise<void> {
    const now = Date.now();
    if (now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    await this.pool.query('DELETE FROM login_failures WHERE window_started_at <= now() - make_interval(secs => $1)', [this.policy.windowSeconds]);
  }
}
