/**
 * One-time password-reset codes, stored as SHA-256 hashes (a leaked table opens no account).
 * A code is used once: consuming it, setting the new password and ending every session of the
 * account happen in one transaction; asking for a new code retires the older ones.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { inTransaction } from '../../../../kernel/store/pg';

export class PasswordResetStore {
  constructor(private readonly pool: pg.Pool) {}

  /** How many codes the account was sent within the last `seconds` (a per-account limit). */
  async recentCount(userId: string, seconds: number): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM password_resets WHERE user_id = $1 AND created_at > now() - make_interval(secs => $2)`,
      [userId, seconds],
    );
    return Number(rows[0]!.n);
  }

  /** Records a new code (its hash); earlier unused codes of the account stop working. Returns its id. */
  async create(userId: string, tokenHash: string, ttlSeconds: number): Promise<string> {
    const id = randomUUID();
    await inTransaction(this.pool, async (client) => {
      await client.query('UPDATE password_resets SET used_at = now() WHERE user_id = $1 AND used_at IS NULL', [userId]);
      await client.query(
        `INSERT INTO password_resets (id, user_id, token_hash, expires_at) VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
        [id, userId, tokenHash, ttlSeconds],
      );
    });
    return id;
  }

  /**
   * Uses a code: if it is unused and unexpired, sets the account's password hash and revokes
   * every refresh token of the account, all at once. Returns the account's id, or undefined.
   */
  async consume(tokenHash: string, passwordHash: string): Promise<string | undefined> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ user_id: string }>(
        `UPDATE password_resets SET used_at = now() WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING user_id`,
        [tokenHash],
      );
      const userId = rows[0]?.user_id;
      if (!userId) return undefined;
      await client.query('UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1', [userId, passwordHash]);
      await client.query(
        `UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = 'password_reset' WHERE user_id = $1 AND revoked_at IS NULL`,
        [userId],
      );
      return userId;
    });
  }
}
