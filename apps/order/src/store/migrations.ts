import { OUTBOX_ENTITY_KEY_MIGRATION_SQL, OUTBOX_MIGRATION_SQL } from '../../../../kernel/store/outbox';
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
  {
    // The checkout: priced lines, totals, the payment, the saga's bookkeeping and the history.
    version: '002_checkout',
    sql: `
      ALTER TABLE orders
        ADD COLUMN idempotency_key text,
        ADD COLUMN request_hash text,
        ADD COLUMN subtotal_minor bigint NOT NULL DEFAULT 0 CHECK (subtotal_minor >= 0),
        ADD COLUMN discount_minor bigint NOT NULL DEFAULT 0 CHECK (discount_minor >= 0),
        ADD COLUMN shipping_minor bigint NOT NULL DEFAULT 0 CHECK (shipping_minor >= 0),
        ADD COLUMN coupon_codes text[] NOT NULL DEFAULT '{}',
        ADD COLUMN discounts jsonb NOT NULL DEFAULT '[]',
        ADD COLUMN shipping_address jsonb NOT NULL DEFAULT '{}',
        ADD COLUMN payment_id uuid,
        ADD COLUMN payment_intent_id text,
        ADD COLUMN client_secret text,
        ADD COLUMN failure_reason text,
        ADD COLUMN failure_detail text,
        ADD COLUMN version integer NOT NULL DEFAULT 1,
        ADD COLUMN workflow_started_at timestamptz,
        ADD COLUMN paid_at timestamptz;
      ALTER TABLE orders ADD CONSTRAINT orders_status_known
        CHECK (status IN ('pending','reserved','awaiting_payment','paid','fulfilled','cancelled','failed','refunded'));
      CREATE UNIQUE INDEX orders_by_idempotency_key ON orders (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
      CREATE INDEX orders_unsettled ON orders (updated_at) WHERE status IN ('pending','reserved','awaiting_payment');
      CREATE INDEX orders_by_user_page ON orders (user_id, created_at DESC, id DESC);

      CREATE TABLE order_lines (
        order_id uuid NOT NULL REFERENCES orders ON DELETE CASCADE,
        line_no integer NOT NULL,
        product_id text NOT NULL,
        sku text NOT NULL,
        name text NOT NULL,
        quantity integer NOT NULL CHECK (quantity > 0),
        unit_price_minor bigint NOT NULL CHECK (unit_price_minor >= 0),
        line_total_minor bigint NOT NULL CHECK (line_total_minor >= 0),
        PRIMARY KEY (order_id, line_no)
      );

      -- Append-only: every status change, payment event and refund, in order.
      CREATE TABLE order_events (
        id bigserial PRIMARY KEY,
        order_id uuid NOT NULL REFERENCES orders ON DELETE CASCADE,
        from_status text,
        to_status text,
        event text NOT NULL,
        detail jsonb,
        at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX order_events_by_order ON order_events (order_id, id);
    `,
  },
  {
    // A saga that died is run again under a new workflow instance id (order id ~ run): Dapr
    // does not reliably reuse a purged instance's id.
    version: '003_workflow_run',
    sql: `ALTER TABLE orders ADD COLUMN workflow_run integer NOT NULL DEFAULT 1 CHECK (workflow_run >= 1);`,
  },
  {
    // Cancels after payment, full refunds and returns: one reversal job each (refund, restock,
    // release the coupons), written with the order's move; each step is recorded when done.
    version: '004_reversals',
    sql: `
      ALTER TABLE orders DROP CONSTRAINT orders_status_known;
      ALTER TABLE orders ADD CONSTRAINT orders_status_known
        CHECK (status IN ('pending','reserved','awaiting_payment','paid','fulfilled','cancelling','cancelled','failed','refunded'));
      ALTER TABLE orders ADD COLUMN refunded_minor bigint NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0);

      CREATE TABLE order_reversals (
        id uuid PRIMARY KEY,
        order_id uuid NOT NULL REFERENCES orders ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind IN ('cancel','refund','return')),
        idempotency_key text,
        request_hash text,
        payment_id uuid,
        amount_minor bigint NOT NULL CHECK (amount_minor >= 0),
        lines jsonb NOT NULL DEFAULT '[]',
        release_promotions boolean NOT NULL DEFAULT false,
        target_status text,
        refunded_at timestamptz,
        restocked text[] NOT NULL DEFAULT '{}',
        promotions_released_at timestamptz,
        completed_at timestamptz,
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        claimed_until timestamptz,
        requested_by text NOT NULL,
        reason text,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      -- One open reversal per order at a time; one cancel or full refund per order ever.
      CREATE UNIQUE INDEX order_reversals_one_open ON order_reversals (order_id) WHERE completed_at IS NULL;
      CREATE UNIQUE INDEX order_reversals_one_full ON order_reversals (order_id) WHERE kind IN ('cancel','refund');
      CREATE UNIQUE INDEX order_reversals_by_key ON order_reversals (order_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
      CREATE INDEX order_reversals_due ON order_reversals (next_attempt_at) WHERE completed_at IS NULL;
    `,
  },
  {
    // Which registered version of the checkout workflow the order's current run started on
    // (workflows/checkout/contract.ts, versioning rule): tells when no order runs on an old
    // version any more, so it can be deleted. NULL for orders started before this column.
    version: '005_workflow_name',
    sql: `ALTER TABLE orders ADD COLUMN workflow_name text;`,
  },
  {
    // Shipping methods and tax rates (domain/shipping.ts, domain/tax.ts), kept by admins; what
    // an order fixed of them when it was placed (the method and its price, each line's rate,
    // whether prices include tax) and the tax computed after the discount. NULL tax columns:
    // an order placed before tax existed (no tax).
    version: '006_shipping_tax',
    sql: `
      CREATE TABLE shipping_methods (
        code text PRIMARY KEY,
        name text NOT NULL,
        countries text[] NOT NULL,
        currency char(3) NOT NULL,
        rate_by text NOT NULL CHECK (rate_by IN ('weight','order_value')),
        rates jsonb NOT NULL,
        free_over_minor bigint CHECK (free_over_minor >= 0),
        active boolean NOT NULL DEFAULT true,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE tax_rates (
        country char(2) NOT NULL,
        tax_class text NOT NULL CHECK (tax_class IN ('standard','reduced','zero')),
        rate_bp integer NOT NULL CHECK (rate_bp BETWEEN 0 AND 10000),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (country, tax_class)
      );
      ALTER TABLE orders
        ADD COLUMN shipping_method jsonb,
        ADD COLUMN prices_include_tax boolean,
        ADD COLUMN shipping_tax_rate_bp integer,
        ADD COLUMN tax_minor bigint NOT NULL DEFAULT 0 CHECK (tax_minor >= 0),
        ADD COLUMN shipping_tax_minor bigint NOT NULL DEFAULT 0 CHECK (shipping_tax_minor >= 0);
      ALTER TABLE order_lines
        ADD COLUMN tax_class text,
        ADD COLUMN tax_rate_bp integer,
        ADD COLUMN tax_minor bigint NOT NULL DEFAULT 0 CHECK (tax_minor >= 0),
        ADD COLUMN weight_grams bigint NOT NULL DEFAULT 0;
    `,
  },
  {
    // Order events (events/contract.ts) leave through a transactional outbox, in order per order.
    version: '007_outbox',
    sql: `${OUTBOX_MIGRATION_SQL}\n${OUTBOX_ENTITY_KEY_MIGRATION_SQL}`,
  },
  {
    // The admin search (GET /admin/orders): newest first over every order, by status too.
    version: '008_admin_search',
    sql: `
      CREATE INDEX orders_page ON orders (created_at DESC, id DESC);
      CREATE INDEX orders_by_status_page ON orders (status, created_at DESC, id DESC);
    `,
  },
  {
    // Orders placed from a cart (POST /orders { cart_id | from_cart }): the saga empties that cart once paid, or releases it.
    version: '009_cart',
    sql: `ALTER TABLE orders ADD COLUMN cart_id text;`,
  },
  {
    // The W3C trace context of the placing request: the saga's activities continue that trace.
    version: '010_trace',
    sql: `ALTER TABLE orders ADD COLUMN traceparent text, ADD COLUMN tracestate text;`,
  },
  {
    // Orders hash-partitioned by user_id (16 partitions): a customer's history, their order by
    // id and their idempotency keys each touch one partition, and the step to a sharded engine
    // (Citus distributing on the same key, docs/SCALING.md) changes no query. A partitioned
    // table's unique keys must hold the partition key: the primary key is (id, user_id) (ids
    // are random UUIDs made here), and the lines, events and reversals, always written in the
    // order's own transaction, no longer name it in a foreign key.
    version: '011_orders_by_user',
    sql: `
      CREATE TABLE orders_partitioned (LIKE orders INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY HASH (user_id);
      DO $$ BEGIN
        FOR i IN 0..15 LOOP
          EXECUTE format('CREATE TABLE orders_h%s PARTITION OF orders_partitioned FOR VALUES WITH (MODULUS 16, REMAINDER %s)', i, i);
        END LOOP;
      END $$;
      INSERT INTO orders_partitioned SELECT * FROM orders;
      ALTER TABLE order_lines DROP CONSTRAINT IF EXISTS order_lines_order_id_fkey;
      ALTER TABLE order_events DROP CONSTRAINT IF EXISTS order_events_order_id_fkey;
      ALTER TABLE order_reversals DROP CONSTRAINT IF EXISTS order_reversals_order_id_fkey;
      DROP TABLE orders;
      ALTER TABLE orders_partitioned RENAME TO orders;
      ALTER TABLE orders ADD PRIMARY KEY (id, user_id);
      CREATE UNIQUE INDEX orders_by_idempotency_key ON orders (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
      CREATE INDEX orders_unsettled ON orders (updated_at) WHERE status IN ('pending','reserved','awaiting_payment');
      CREATE INDEX orders_by_user_page ON orders (user_id, created_at DESC, id DESC);
      CREATE INDEX orders_page ON orders (created_at DESC, id DESC);
      CREATE INDEX orders_by_status_page ON orders (status, created_at DESC, id DESC);
    `,
  },
];
