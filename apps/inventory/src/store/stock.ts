import type pg from 'pg';

export interface Availability {
  sku: string;
  on_hand: number;
  reserved: number;
  available: number;
  locations: Array<{ location: string; on_hand: number; reserved: number; available: number }>;
}

export class StockStore {
  constructor(private readonly pool: pg.Pool) {}

  async availability(sku: string): Promise<Availability> {
    const { rows } = await this.pool.query<{ location: string; on_hand: number; reserved: number }>(
      'SELECT location, on_hand, reserved FROM stock_levels WHERE sku = $1 ORDER BY location',
      [sku],
    );
    const locations = rows.map((r) => ({ ...r, available: r.on_hand - r.reserved }));
    const sum = (pick: (l: (typeof locations)[number]) => number) => locations.reduce((total, l) => total + pick(l), 0);
    return { sku, on_hand: sum((l) => l.on_hand), reserved: sum((l) => l.reserved), available: sum((l) => l.available), locations };
  }
}
