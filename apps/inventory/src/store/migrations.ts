import type { Migration } from '../../../../kernel/store/pg';

export const migrations: Migration[] = [
  {
    version: '001_stock',
    sql: `
      CREATE TABLE stock_levels (
        sku text NOT NULL,
        location text NOT NULL,
        on_hand integer NOT NULL CHECK (on_hand >= 0),
        reserved integer NOT NULL DEFAULT 0 CHECK (reserved >= 0 AND reserved <= on_hand),
        PRIMARY KEY (sku, location)
      );
    `,
  },
];
