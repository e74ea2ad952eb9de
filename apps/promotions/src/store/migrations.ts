import type { Migration } from '../../../../kernel/store/pg';

export const migrations: Migration[] = [
  {
    version: '001_promotions',
    sql: `
      CREATE TABLE promotions (
        id uuid PRIMARY KEY,
        code text UNIQUE,
        name text NOT NULL,
        starts_at timestamptz,
        ends_at timestamptz,
        active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
];
