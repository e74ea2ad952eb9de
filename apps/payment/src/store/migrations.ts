import type { Migration } from '../../../../kernel/store/pg';

export const migrations: Migration[] = [
  {
    version: '001_payments',
    sql: `
      CREATE TABLE payments (
        id uuid PRIMARY KEY,
        order_id uuid NOT NULL,
        user_id uuid NOT NULL,
        status text NOT NULL,
        amount_minor bigint NOT NULL CHECK (amount_minor >= 0),
        currency char(3) NOT NULL,
        provider_ref text,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX payments_by_order ON payments (order_id);
    `,
  },
];
