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
  {
    version: '002_promotions_rules',
    sql: `
      -- Codes are unique whatever their case ("SAVE10" and "save10" are one coupon).
      ALTER TABLE promotions DROP CONSTRAINT IF EXISTS promotions_code_key;
      CREATE UNIQUE INDEX promotions_code_ci ON promotions (lower(code));
      ALTER TABLE promotions
        ADD COLUMN condition jsonb NOT NULL DEFAULT '{"min_subtotal_minor": 0, "currency": "USD"}'::jsonb,
        ADD COLUMN action jsonb NOT NULL DEFAULT '{"type": "percentage", "basis_points": 0}'::jsonb,
        ADD COLUMN usage_limit integer CHECK (usage_limit > 0),
        ADD COLUMN per_customer_limit integer CHECK (per_customer_limit > 0),
        ADD COLUMN exclusive boolean NOT NULL DEFAULT false,
        ADD COLUMN priority integer NOT NULL DEFAULT 0,
        ADD COLUMN version integer NOT NULL DEFAULT 1,
        ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
        ADD CONSTRAINT promotions_window CHECK (starts_at IS NULL OR ends_at IS NULL OR ends_at > starts_at);
      CREATE INDEX promotions_automatic ON promotions (active) WHERE code IS NULL;

      CREATE TABLE redemptions (
        order_id text NOT NULL,
        promotion_id uuid NOT NULL REFERENCES promotions (id),
        user_id text NOT NULL,
        discount_minor bigint NOT NULL CHECK (discount_minor >= 0),
        status text NOT NULL DEFAULT 'redeemed' CHECK (status IN ('redeemed', 'released')),
        created_at timestamptz NOT NULL DEFAULT now(),
        released_at timestamptz,
        PRIMARY KEY (order_id, promotion_id)
      );
      -- Limits count active redemptions per promotion, and per promotion and customer.
      CREATE INDEX redemptions_active ON redemptions (promotion_id, user_id) WHERE status = 'redeemed';

      -- One row per order the saga asked about: the answer it got (a repeat gets it again), and
      -- whether it was released (a release that came first leaves a tombstone: no late redeem).
      CREATE TABLE order_redemptions (
        order_id text PRIMARY KEY,
        user_id text,
        status text NOT NULL CHECK (status IN ('redeemed', 'released')),
        result jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        released_at timestamptz
      );
    `,
  },
];
