import type pg from 'pg';

export interface PaymentRow {
  id: string;
  order_id: string;
  user_id: string;
  status: string;
  amount_minor: number;
  currency: string;
  provider_ref: string | null;
  created_at: Date;
}

export class PaymentStore {
  constructor(private readonly pool: pg.Pool) {}

  async byId(id: string): Promise<PaymentRow | undefined> {
    const { rows } = await this.pool.query<PaymentRow>('SELECT * FROM payments WHERE id = $1', [id]);
    return rows[0];
  }
}
