import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { inTransaction, type Queryable } from '../../../../kernel/store/pg';
import { HttpProblem } from '../../../../kernel/problem';
import { requireMatch } from '../../../../kernel/http/concurrency';
import { evaluate, type Action, type Cart, type Condition, type CustomerUsage, type Evaluation, type Promotion } from '../domain/promotion';

export const PROMOTIONS_SCHEMA = 'promotions';

export interface PromotionSummary {
  id: string;
  name: string;
  starts_at: Date | null;
  ends_at: Date | null;
}

export interface PromotionRecord extends Promotion {
  version: number;
  created_at: Date;
  updated_at: Date;
}

/** What an admin sets; `used` and `version` are the store's. */
export type PromotionFields = Omit<Promotion, 'id' | 'used'>;

export interface RedeemResult extends Evaluation {
  order_id: string;
  redemptions: Array<{ promotion_id: string; code: string | null; discount_minor: number; status: 'redeemed' | 'released' }>;
}

const SELECT_PROMOTION = `
  SELECT p.id, p.code, p.name, p.condition, p.action, p.starts_at, p.ends_at, p.usage_limit, p.per_customer_limit,
         p.exclusive, p.priority, p.active, p.version, p.created_at, p.updated_at,
         (SELECT count(*) FROM redemptions r WHERE r.promotion_id = p.id AND r.status = 'redeemed') AS used
    FROM promotions p`;

/** Candidates for a cart: every active automatic promotion and the coupons named (case-insensitive). */
const CANDIDATES = `${SELECT_PROMOTION} WHERE (p.code IS NULL AND p.active) OR lower(p.code) = ANY($1::text[]) ORDER BY p.id`;

function conflictOnCode(err: unknown): never {
  const e = err as { code?: string; constraint?: string };
  if (e.code === '23505' && e.constraint === 'promotions_code_ci') throw new HttpProblem(409, 'Another promotion already has this code.');
  throw err;
}

function lowerCodes(codes: string[] | undefined): string[] {
  return [...new Set((codes ?? []).map((c) => c.toLowerCase()))];
}

export class PromotionStore {
  constructor(private readonly pool: pg.Pool) {}

  /** Promotions running now. Coupon codes are never listed: a shopper must know the code. */
  async running(): Promise<PromotionSummary[]> {
    const { rows } = await this.pool.query<PromotionSummary>(
      `SELECT id, name, starts_at, ends_at FROM promotions
        WHERE active AND (starts_at IS NULL OR starts_at <= now()) AND (ends_at IS NULL OR ends_at > now())
        ORDER BY name`,
    );
    return rows;
  }

  /** Every promotion, newest first, with codes and usage (admins). */
  async all(limit: number): Promise<PromotionRecord[]> {
    const { rows } = await this.pool.query<PromotionRecord>(`${SELECT_PROMOTION} ORDER BY p.created_at DESC, p.id LIMIT $1`, [limit]);
    return rows;
  }

  async byId(id: string, client: Queryable = this.pool, lock = false): Promise<PromotionRecord | undefined> {
    const { rows } = await client.query<PromotionRecord>(`${SELECT_PROMOTION} WHERE p.id = $1${lock ? ' FOR UPDATE OF p' : ''}`, [id]);
    return rows[0];
  }

  async create(f: PromotionFields): Promise<PromotionRecord> {
    const id = randomUUID();
    await this.pool
      .query(
        `INSERT INTO promotions (id, code, name, condition, action, starts_at, ends_at, usage_limit, per_customer_limit, exclusive, priority, active)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [id, f.code, f.name, f.condition, f.action, f.starts_at, f.ends_at, f.usage_limit, f.per_customer_limit, f.exclusive, f.priority, f.active],
      )
      .catch(conflictOnCode);
    return (await this.byId(id))!;
  }

  /** Applies `change` to the current promotion under a row lock, checking If-Match first. */
  async update(id: string, ifMatch: string, change: (current: PromotionRecord) => PromotionFields): Promise<PromotionRecord> {
    return inTransaction(this.pool, async (client) => {
      const current = await this.byId(id, client, true);
      if (!current) throw new HttpProblem(404, `No promotion ${id}.`);
      requireMatch(ifMatch, current.version, 'promotion');
      const f = change(current);
      await client
        .query(
          `UPDATE promotions SET code = $2, name = $3, condition = $4, action = $5, starts_at = $6, ends_at = $7, usage_limit = $8,
                  per_customer_limit = $9, exclusive = $10, priority = $11, active = $12, version = version + 1, updated_at = now()
            WHERE id = $1`,
          [id, f.code, f.name, f.condition, f.action, f.starts_at, f.ends_at, f.usage_limit, f.per_customer_limit, f.exclusive, f.priority, f.active],
        )
        .catch(conflictOnCode);
      return (await this.byId(id, client))!;
    });
  }

  private async usage(client: Queryable, ids: string[], userId: string | undefined): Promise<CustomerUsage> {
    if (!userId || !ids.length) return {};
    const { rows } = await client.query<{ promotion_id: string; n: number }>(
      `SELECT promotion_id, count(*) AS n FROM redemptions WHERE status = 'redeemed' AND user_id = $2 AND promotion_id = ANY($1::uuid[]) GROUP BY promotion_id`,
      [ids, userId],
    );
    return Object.fromEntries(rows.map((r) => [r.promotion_id, r.n]));
  }

  /** The discounts a cart would get now (no locks, nothing written). Unknown codes are reported, not refused. */
  async preview(cart: Cart, codes: string[] | undefined, userId: string | undefined, now: Date): Promise<Evaluation> {
    const wanted = lowerCodes(codes);
    const { rows } = await this.pool.query<PromotionRecord>(CANDIDATES, [wanted]);
    const result = evaluate(cart, rows, now, await this.usage(this.pool, rows.map((r) => r.id), userId));
    // Only the coupons the shopper named are reported; automatic promotions that do not apply are not news.
    result.rejected = result.rejected.filter((r) => r.code !== null);
    const known = new Set(rows.filter((r) => r.code).map((r) => r.code!.toLowerCase()));
    for (const code of codes ?? []) {
      if (!known.has(code.toLowerCase())) result.rejected.push({ promotion_id: '', code, reason: 'unknown_code' });
    }
    return result;
  }

  /**
   * Records the order's discounts, once. One transaction: the order id is serialised by an
   * advisory lock (a repeat returns the stored answer); the candidate promotions that have
   * limits are locked FOR UPDATE in id order (no deadlocks between orders), and only then are
   * active redemptions counted, so two orders can never both take the last use.
   */
  async redeem(orderId: string, userId: string, cart: Cart, codes: string[] | undefined, now: Date): Promise<RedeemResult & { replayed: boolean }> {
    return inTransaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`promotions-order:${orderId}`]);
      const done = await client.query<{ status: string; result: RedeemResult | null }>('SELECT status, result FROM order_redemptions WHERE order_id = $1', [orderId]);
      if (done.rows[0]) {
        if (done.rows[0].status === 'released') throw new HttpProblem(409, `The promotions of order ${orderId} were released; it cannot redeem again.`);
        return { ...done.rows[0].result!, replayed: true };
      }

      const wanted = lowerCodes(codes);
      const first = await client.query<{ id: string; limited: boolean; code: string | null }>(
        `SELECT p.id, p.code, (p.usage_limit IS NOT NULL OR p.per_customer_limit IS NOT NULL) AS limited
           FROM promotions p WHERE (p.code IS NULL AND p.active) OR lower(p.code) = ANY($1::text[])`,
        [wanted],
      );
      const known = new Set(first.rows.filter((r) => r.code).map((r) => r.code!.toLowerCase()));
      const unknown = (codes ?? []).filter((c) => !known.has(c.toLowerCase()));
      if (unknown.length) throw new HttpProblem(422, `No promotion has the code ${unknown[0]}.`, { extensions: { code: unknown[0], reason: 'unknown_code' } });

      const limited = first.rows.filter((r) => r.limited).map((r) => r.id).sort();
      if (limited.length) await client.query('SELECT id FROM promotions WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE', [limited]);
      // Read again after the locks: the rows and the counts are now current (READ COMMITTED takes a new snapshot per statement).
      const { rows } = await client.query<PromotionRecord>(CANDIDATES, [wanted]);
      const result = evaluate(cart, rows, now, await this.usage(client, rows.map((r) => r.id), userId));

      for (const r of result.rejected) {
        if (!r.code || !wanted.includes(r.code.toLowerCase())) continue;
        if (r.reason === 'usage_limit_reached' || r.reason === 'customer_limit_reached') {
          const who = r.reason === 'usage_limit_reached' ? 'has been used as often as allowed' : 'has been used by this customer as often as allowed';
          throw new HttpProblem(409, `The coupon ${r.code} ${who}.`, { extensions: { code: r.code, reason: r.reason } });
        }
        throw new HttpProblem(422, `The coupon ${r.code} does not apply to this order (${r.reason}).`, { extensions: { code: r.code, reason: r.reason } });
      }

      for (const d of result.discounts) {
        await client.query('INSERT INTO redemptions (order_id, promotion_id, user_id, discount_minor) VALUES ($1, $2, $3, $4)', [orderId, d.promotion_id, userId, d.discount_minor]);
      }
      const answer: RedeemResult = {
        order_id: orderId,
        ...result,
        rejected: result.rejected.filter((r) => r.code !== null),
        redemptions: result.discounts.map((d) => ({ promotion_id: d.promotion_id, code: d.code, discount_minor: d.discount_minor, status: 'redeemed' })),
      };
      await client.query(`INSERT INTO order_redemptions (order_id, user_id, status, result) VALUES ($1, $2, 'redeemed', $3)`, [orderId, userId, answer]);
      return { ...answer, replayed: false };
    });
  }

  /** Gives the order's uses back. Idempotent; a release before any redeem leaves a tombstone. */
  async release(orderId: string): Promise<{ order_id: string; released: number; status: 'released' }> {
    return inTransaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`promotions-order:${orderId}`]);
      await client.query(
        `INSERT INTO order_redemptions (order_id, status, released_at) VALUES ($1, 'released', now())
         ON CONFLICT (order_id) DO UPDATE SET status = 'released', released_at = coalesce(order_redemptions.released_at, now())`,
        [orderId],
      );
      const { rowCount } = await client.query(
        `UPDATE redemptions SET status = 'released', released_at = now() WHERE order_id = $1 AND status = 'redeemed'`,
        [orderId],
      );
      return { order_id: orderId, released: rowCount ?? 0, status: 'released' as const };
    });
  }
}

export type { Action, Condition };
