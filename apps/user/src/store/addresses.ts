import type pg from 'pg';
import { inTransaction } from '../../../../kernel/store/pg';

export interface AddressFields {
  label?: string;
  recipient: string;
  line1: string;
  line2?: string;
  city: string;
  region?: string;
  postal_code: string;
  country: string;
  phone?: string;
  is_default?: boolean;
}

export interface AddressRow extends Required<AddressFields> {
  id: string;
  user_id: string;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = ['label', 'recipient', 'line1', 'line2', 'city', 'region', 'postal_code', 'country', 'phone', 'is_default'] as const;

/** Every query names the owner: one user's address can never be read or changed through another's id. */
export class AddressStore {
  constructor(private readonly pool: pg.Pool) {}

  async list(userId: string): Promise<AddressRow[]> {
    const { rows } = await this.pool.query<AddressRow>('SELECT * FROM addresses WHERE user_id = $1 ORDER BY created_at, id', [userId]);
    return rows;
  }

  async create(userId: string, id: string, fields: AddressFields): Promise<AddressRow> {
    return inTransaction(this.pool, async (client) => {
      if (fields.is_default) await client.query('UPDATE addresses SET is_default = false WHERE user_id = $1 AND is_default', [userId]);
      const values = COLUMNS.map((c) => fields[c] ?? (c === 'is_default' ? false : ''));
      const { rows } = await client.query<AddressRow>(
        `INSERT INTO addresses (id, user_id, ${COLUMNS.join(', ')}) VALUES ($1, $2, ${COLUMNS.map((_, i) => `$${i + 3}`).join(', ')}) RETURNING *`,
        [id, userId, ...values],
      );
      return rows[0]!;
    });
  }

  async replace(userId: string, id: string, fields: AddressFields): Promise<AddressRow | undefined> {
    return inTransaction(this.pool, async (client) => {
      if (fields.is_default) await client.query('UPDATE addresses SET is_default = false WHERE user_id = $1 AND id <> $2 AND is_default', [userId, id]);
      const values = COLUMNS.map((c) => fields[c] ?? (c === 'is_default' ? false : ''));
      const { rows } = await client.query<AddressRow>(
        `UPDATE addresses SET ${COLUMNS.map((c, i) => `${c} = $${i + 3}`).join(', ')}, updated_at = now()
          WHERE user_id = $1 AND id = $2 RETURNING *`,
        [userId, id, ...values],
      );
      return rows[0];
    });
  }

  async remove(userId: string, id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM addresses WHERE user_id = $1 AND id = $2', [userId, id]);
    return (rowCount ?? 0) > 0;
  }
}
