/**
 * Shipping methods and tax rates, kept by admins in the order service's schema. Few rows, read
 * on every placement; a method's table is stored as it was given (jsonb).
 */
import type pg from 'pg';
import { inTransaction } from '../../../../kernel/store/pg';
import { HttpProblem } from '../../../../kernel/problem';
import type { ShippingMethod } from '../domain/shipping';
import type { TaxRate } from '../domain/tax';

export interface ShippingMethodRecord extends ShippingMethod {
  version: number;
  created_at: Date;
  updated_at: Date;
}

interface Row extends Omit<ShippingMethodRecord, 'free_over_minor' | 'currency'> {
  currency: string;
  free_over_minor: string | number | null;
}

function fromDb(row: Row): ShippingMethodRecord {
  return { ...row, currency: row.currency.trim(), free_over_minor: row.free_over_minor === null ? null : Number(row.free_over_minor) };
}

const COLUMNS = 'code, name, countries, currency, rate_by, rates, free_over_minor, active, version, created_at, updated_at';

export class ShippingStore {
  constructor(private readonly pool: pg.Pool) {}

  async methods(): Promise<ShippingMethodRecord[]> {
    const { rows } = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM shipping_methods ORDER BY code`);
    return rows.map(fromDb);
  }

  async method(code: string): Promise<ShippingMethodRecord | undefined> {
    const { rows } = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM shipping_methods WHERE code = $1`, [code]);
    return rows[0] ? fromDb(rows[0]) : undefined;
  }

  /** A new method; its code taken already is a 409. */
  async create(m: ShippingMethod): Promise<ShippingMethodRecord> {
    const { rows } = await this.pool.query<Row>(
      `INSERT INTO shipping_methods (code, name, countries, currency, rate_by, rates, free_over_minor, active)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (code) DO NOTHING RETURNING ${COLUMNS}`,
      [m.code, m.name, m.countries, m.currency, m.rate_by, JSON.stringify(m.rates), m.free_over_minor, m.active],
    );
    if (!rows[0]) throw new HttpProblem(409, `A shipping method ${m.code} exists already; PUT /shipping-methods/${m.code} changes it.`);
    return fromDb(rows[0]);
  }

  /** Replaces a method (everything but its code); undefined when there is none. */
  async replace(m: ShippingMethod): Promise<ShippingMethodRecord | undefined> {
    const { rows } = await this.pool.query<Row>(
      `UPDATE shipping_methods SET name = $2, countries = $3, currency = $4, rate_by = $5, rates = $6, free_over_minor = $7, active = $8,
              version = version + 1, updated_at = now()
        WHERE code = $1 RETURNING ${COLUMNS}`,
      [m.code, m.name, m.countries, m.currency, m.rate_by, JSON.stringify(m.rates), m.free_over_minor, m.active],
    );
    return rows[0] ? fromDb(rows[0]) : undefined;
  }

  /** Orders placed with it keep what they fixed (code, name, price): deleting a method changes no order. */
  async remove(code: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM shipping_methods WHERE code = $1', [code]);
    return (rowCount ?? 0) > 0;
  }

  async taxRates(): Promise<TaxRate[]> {
    const { rows } = await this.pool.query<TaxRate>('SELECT trim(country) AS country, tax_class, rate_bp FROM tax_rates ORDER BY country, tax_class');
    return rows;
  }

  /** Replaces the whole table in one transaction (what an admin PUTs is the table). */
  async replaceTaxRates(rates: TaxRate[]): Promise<TaxRate[]> {
    await inTransaction(this.pool, async (client) => {
      await client.query('LOCK TABLE tax_rates IN EXCLUSIVE MODE');
      await client.query('DELETE FROM tax_rates');
      for (const r of rates) await client.query('INSERT INTO tax_rates (country, tax_class, rate_bp) VALUES ($1, $2, $3)', [r.country, r.tax_class, r.rate_bp]);
    });
    return this.taxRates();
  }
}
