import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { inTransaction, type Queryable } from '../../../../kernel/store/pg';
import { hashRefreshToken, newRefreshToken } from '../domain/tokens';

export type RefreshOutcome =
  | { kind: 'rotated'; userId: string; token: string }
  | { kind: 'invalid' }
  | { kind: 'reused'; userId: string };

interface TokenRow {
  id: string;
  family_id: string;
  user_id: string;
  expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
}

/**
 * Rotating refresh tokens with reuse detection (OAuth 2.0 Security BCP §4.14): each refresh
 * consumes the token and issues its successor in the same family. A consumed token presented
 * again means it was stolen (or the client is broken): the whole family is revoked, so the
 * thief's and the victim's sessions both end and the user signs in again.
 */
export class RefreshTokenStore {
  constructor(private readonly pool: pg.Pool, private readonly ttlSeconds: number) {}

  async issue(userId: string, familyId: string = randomUUID(), client: Queryable = this.pool): Promise<string> {
    const { token, hash } = newRefreshToken();
    await client.query(
      `INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, expires_at)
       VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))`,
      [randomUUID(), familyId, userId, hash, this.ttlSeconds],
    );
    return token;
  }

  async rotate(token: string): Promise<RefreshOutcome> {
    return inTransaction(this.pool, async (client) => {
      // FOR UPDATE: two refreshes racing with one token serialise here; the second sees it used.
      const { rows } = await client.query<TokenRow>(
        'SELECT id, family_id, user_id, expires_at, used_at, revoked_at FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE',
        [hashRefreshToken(token)],
      );
      const row = rows[0];
      if (!row || row.revoked_at || row.expires_at.getTime() <= Date.now()) return { kind: 'invalid' as const };
      if (row.used_at) {
        await this.revokeFamily(row.family_id, 'reuse detected', client);
        return { kind: 'reused' as const, userId: row.user_id };
      }
      await client.query('UPDATE refresh_tokens SET used_at = now() WHERE id = $1', [row.id]);
      const next = await this.issue(row.user_id, row.family_id, client);
      return { kind: 'rotated' as const, userId: row.user_id, token: next };
    });
  }

  /** Ends the session the token belongs to; unknown tokens are ignored (logout never leaks). */
  async revokeByToken(token: string, reason: string): Promise<void> {
    const { rows } = await this.pool.query<{ family_id: string }>('SELECT family_id FROM refresh_tokens WHERE token_hash = $1', [hashRefreshToken(token)]);
    if (rows[0]) await this.revokeFamily(rows[0].family_id, reason);
  }

  private async revokeFamily(familyId: string, reason: string, client: Queryable = this.pool): Promise<void> {
    await client.query(
      'UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = $2 WHERE family_id = $1 AND revoked_at IS NULL',
      [familyId, reason],
    );
  }
}
