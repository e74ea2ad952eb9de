import type { Migration } from '../../../../kernel/store/pg';

export const migrations: Migration[] = [
  {
    version: '001_orders',
    sql: `
      CREATE TABLE orders (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL,
        status text NOT NULL,
        total_minor bigint NOT NULL CHECK (total_minor >= 0),
        currency char(3) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX orders_by_user ON orders (user_id, created_at DESC);
    `,
  },
];
