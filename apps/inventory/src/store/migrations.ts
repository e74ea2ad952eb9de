import type { Migration } from '../../../../kernel/store/pg';
import { OUTBOX_ENTITY_KEY_MIGRATION_SQL, OUTBOX_MIGRATION_SQL } from '../../../../kernel/store/outbox';

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
  {
    // Reservations per order and location, an append-only ledger of every stock change (its
    // deltas per location sum to the stock row), and the transactional outbox.
    version: '002_reservations_ledger_outbox',
    sql: `
      CREATE TABLE reservations (
        order_id text NOT NULL,
        sku text NOT NULL,
        location text NOT NULL,
        quantity integer NOT NULL CHECK (quantity > 0),
        status text NOT NULL CHECK (status IN ('active', 'committed', 'released', 'expired')),
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (order_id, sku, location),
        FOREIGN KEY (sku, location) REFERENCES stock_levels (sku, location)
      );
      CREATE INDEX reservations_active_by_deadline ON reservations (expires_at) WHERE status = 'active';

      CREATE TABLE ledger (
        id bigserial PRIMARY KEY,
        sku text NOT NULL,
        location text NOT NULL,
        delta_on_hand integer NOT NULL,
        delta_reserved integer NOT NULL,
        reason text NOT NULL,
        order_id text,
        actor text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK (delta_on_hand <> 0 OR delta_reserved <> 0)
      );
      CREATE INDEX ledger_by_sku ON ledger (sku, id);
      -- Append-only: the ledger is history, never rewritten.
      CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'inventory.ledger is append-only'; END $$;
      CREATE TRIGGER ledger_no_update_delete BEFORE UPDATE OR DELETE ON ledger
        FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
      ${OUTBOX_MIGRATION_SQL}
    `,
  },
  {
    // The outbox's entity key: the relay publishes one entity's events in order (kernel/store/outbox.ts).
    version: '003_outbox_entity_key',
    sql: OUTBOX_ENTITY_KEY_MIGRATION_SQL,
  },
  {
    // Exactly-once adjustments (the id is claimed in the ledger's transaction; the first result
    // is kept for repeats), release tombstones (a reserve that arrives after its release is
    // refused), and returns of committed stock (one per order and SKU, the first answer kept).
    version: '004_adjustment_ids_tombstones_returns',
    sql: `
      CREATE TABLE adjustments (
        adjustment_id text PRIMARY KEY,
        sku text NOT NULL,
        location text NOT NULL,
        delta integer NOT NULL,
        reason text NOT NULL,
        actor text NOT NULL,
        result jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE release_tombstones (
        order_id text NOT NULL,
        sku text NOT NULL,
        released_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (order_id, sku)
      );
      CREATE TABLE returns (
        order_id text NOT NULL,
        sku text NOT NULL,
        quantity integer NOT NULL CHECK (quantity > 0),
        result jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (order_id, sku)
      );
      CREATE INDEX ledger_by_order ON ledger (order_id, sku) WHERE order_id IS NOT NULL;
    `,
  },
];
