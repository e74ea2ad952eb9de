import type pg from 'pg';
import type { ThrottlePolicy } from '../domain/throttle';

/** Failed-login counters per subject (account or client address), in fixed windows. */
export class LoginFailureStore {
  constructor(private readonly pool: pg.Pool, private readonly policy: ThrottlePolicy) {}

  /** The window start of a subject that has reached `limit` failures in the current window. */
  async blockedSince(subject: string, limit: number): Promise<Date | undefined> {
    const { rows } = await this.pool.query<{ window_started_at: Date; failures: number }>(
      `SELECT window_started_at, failures FROM login_failures
        WHERE subject = $1 AND window_started_at > now() - make_interval(secs => $2)`,
      [subject, this.policy.windowSeconds],
    );
    const row = rows[0];
    return row && row.failures >= limit ? row.window_started_at : undefined;
  }

  async recordFailure(subject: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO login_failures (subject, window_started_at, failures) VALUES ($1, now(), 1)
       ON CONFLICT (subject) DO UPDATE SET
         failures = CASE WHEN login_failures.window_started_at > now() - make_interval(secs => $2) THEN login_failures.failures + 1 ELSE 1 END,
         window_started_at = CASE WHEN login_failures.window_started_at > now() - make_interval(secs => $2) THEN login_failures.window_started_at ELSE now() END`,
      [subject, this.policy.windowSeconds],
    );
  }

  async clear(subject: string): Promise<void> {
    await this.pool.query('DELETE FROM login_failures WHERE subject = $1', [subject]);
  }
}
