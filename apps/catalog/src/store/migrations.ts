import type { Migration } from '../../../../kernel/store/pg';
import { OUTBOX_ENTITY_KEY_MIGRATION_SQL, OUTBOX_MIGRATION_SQL } from '../../../../kernel/store/outbox';

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
  {
    version: '002_catalog_full',
    sql: `
      -- One namespace for product and variant SKUs: a SKU names exactly one sellable thing.
      CREATE TABLE sku_registry (
        sku text PRIMARY KEY,
        product_id uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE
      );
      INSERT INTO sku_registry (sku, product_id) SELECT sku, id FROM products;

      ALTER TABLE products
        ADD COLUMN attributes jsonb NOT NULL DEFAULT '{}'::jsonb,
        -- Millisecond precision: a JS Date holds the exact value, so page cursors round-trip.
        ALTER COLUMN created_at SET DEFAULT date_trunc('milliseconds', now());
      UPDATE products SET created_at = date_trunc('milliseconds', created_at);
      CREATE INDEX products_list ON products (status, created_at, id);
      CREATE INDEX products_by_category ON products (category_id, status, created_at, id);

      CREATE TABLE product_variants (
        product_id uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
        sku text NOT NULL UNIQUE,
        name text NOT NULL DEFAULT '',
        options jsonb NOT NULL DEFAULT '{}'::jsonb,
        price_minor bigint CHECK (price_minor >= 0),
        position integer NOT NULL,
        PRIMARY KEY (product_id, position)
      );

      ALTER TABLE categories ADD COLUMN version integer NOT NULL DEFAULT 1;
      CREATE UNIQUE INDEX categories_unique_name ON categories (coalesce(parent_id, '00000000-0000-0000-0000-000000000000'::uuid), lower(name));

      -- Transactional outbox (kernel/store/outbox.ts).
      ${OUTBOX_MIGRATION_SQL}
    `,
  },
  {
    // The change feed (GET /internal/products/changes): which products changed since a time,
    // read from the outbox; and when a category last changed (its name is in product answers).
    version: '003_change_feed',
    sql: `
      CREATE INDEX outbox_by_time ON outbox (created_at);
      ALTER TABLE categories ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
    `,
  },
  {
    // The outbox's entity key: the relay publishes one entity's events in order (kernel/store/outbox.ts).
    version: '004_outbox_entity_key',
    sql: OUTBOX_ENTITY_KEY_MIGRATION_SQL,
  },
  {
    // What the order service prices shipping and chooses tax with: weight per unit and the
    // tax class. Defaults keep every existing product (and every client that omits them) as before.
    version: '005_weight_tax_class',
    sql: `
      ALTER TABLE products
        ADD COLUMN weight_grams integer NOT NULL DEFAULT 0 CHECK (weight_grams >= 0),
        ADD COLUMN tax_class text NOT NULL DEFAULT 'standard' CHECK (tax_class IN ('standard', 'reduced', 'zero'));
    `,
  },
  {
    // Product images ([{url, alt, position}] in position order, validated by the routes' schema):
    // a small list always read and written with its product, so a column, not a table.
    version: '006_product_images',
    sql: `ALTER TABLE products ADD COLUMN images jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(images) = 'array');`,
  },
];
