import type pg from 'pg';

export interface ProductRow {
  id: string;
  sku: string;
  name: string;
  description: string;
  base_price_minor: number;
  currency: string;
  category_id: string | null;
  status: string;
  version: number;
  updated_at: Date;
}

export class ProductStore {
  constructor(private readonly pool: pg.Pool) {}

  async listActive(limit: number): Promise<ProductRow[]> {
    const { rows } = await this.pool.query<ProductRow>(
      `SELECT id, sku, name, description, base_price_minor, currency, category_id, status, version, updated_at
         FROM products WHERE status = 'active' ORDER BY id LIMIT $1`,
      [limit],
    );
    return rows;
  }

  async byId(id: string): Promise<ProductRow | undefined> {
    const { rows } = await this.pool.query<ProductRow>(
      `SELECT id, sku, name, description, base_price_minor, currency, category_id, status, version, updated_at
         FROM products WHERE id = $1`,
      [id],
    );
    return rows[0];
  }
}
