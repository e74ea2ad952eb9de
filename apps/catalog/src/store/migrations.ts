import type { Migration } from '../../../../kernel/store/pg';

export const migrations: Migration[] = [
  {
    version: '001_catalog',
    sql: `
      CREATE TABLE categories (
        id uuid PRIMARY KEY,
        parent_id uuid REFERENCES categories(id),
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE products (
        id uuid PRIMARY KEY,
        sku text NOT NULL UNIQUE,
        name text NOT NULL,
        description text NOT NULL DEFAULT '',
        base_price_minor bigint NOT NULL CHECK (base_price_minor >= 0),
        currency char(3) NOT NULL,
        category_id uuid REFERENCES categories(id),
        status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'archived')),
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
];
