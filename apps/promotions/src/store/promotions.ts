import type pg from 'pg';

export interface PromotionSummary {
  id: string;
  name: string;
  starts_at: Date | null;
  ends_at: Date | null;
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
}
