import type pg from 'pg';

export interface OrderRow {
  id: string;
  user_id: string;
  status: string;
  total_minor: number;
  currency: string;
  created_at: Date;
  updated_at: Date;
}

export class OrderStore {
  constructor(private readonly pool: pg.Pool) {}

  async byId(id: string): Promise<OrderRow | undefined> {
    const { rows } = await this.pool.query<OrderRow>('SELECT * FROM orders WHERE id = $1', [id]);
    return rows[0];
  }
}
