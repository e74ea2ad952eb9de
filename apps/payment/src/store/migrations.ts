import type { Migration } from '../../../../kernel/store/pg';
import { OUTBOX_ENTITY_KEY_MIGRATION_SQL, OUTBOX_MIGRATION_SQL } from '../../../../kernel/store/outbox';

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
  {
    // Stripe PaymentIntents with idempotency keys stored before the provider is called,
    // verified webhook events recorded once, and the outbox for payment events.
    version: '002_payments_stripe',
    sql: `
      ALTER TABLE payments RENAME COLUMN provider_ref TO provider_intent_id;
      ALTER TABLE payments
        ADD COLUMN provider text NOT NULL DEFAULT 'stripe',
        ADD COLUMN idempotency_key text,
        ADD COLUMN attempt integer NOT NULL DEFAULT 1 CHECK (attempt >= 1),
        ADD COLUMN client_secret text,
        ADD COLUMN refunded_minor bigint NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0),
        ADD COLUMN refund_requested_minor bigint CHECK (refund_requested_minor > 0),
        ADD COLUMN provider_refund_id text,
        ADD COLUMN claimed_until timestamptz,
        ADD COLUMN last_event_at bigint,
        ADD COLUMN failure_reason text,
        ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
        ADD COLUMN version integer NOT NULL DEFAULT 1;
      UPDATE payments SET idempotency_key = 'legacy:' || id WHERE idempotency_key IS NULL;
      ALTER TABLE payments ALTER COLUMN idempotency_key SET NOT NULL;
      ALTER TABLE payments ADD CONSTRAINT payments_idempotency_key UNIQUE (idempotency_key);
      ALTER TABLE payments ADD CONSTRAINT payments_order_attempt UNIQUE (order_id, attempt);
      ALTER TABLE payments ADD CONSTRAINT payments_provider_intent UNIQUE (provider, provider_intent_id);
      ALTER TABLE payments ADD CONSTRAINT payments_refund_le_amount CHECK (refunded_minor <= amount_minor AND coalesce(refund_requested_minor, 0) <= amount_minor);
      ALTER TABLE payments ADD CONSTRAINT payments_status CHECK (status IN ('creating', 'requires_payment', 'processing', 'succeeded', 'canceled', 'refunded', 'failed'));
      CREATE INDEX payments_by_user ON payments (user_id, created_at);

      CREATE TABLE webhook_events (
        provider text NOT NULL DEFAULT 'stripe',
        provider_event_id text NOT NULL,
        type text NOT NULL,
        payment_id uuid,
        outcome text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (provider, provider_event_id)
      );
      ${OUTBOX_MIGRATION_SQL}
    `,
  },
  {
    // The outbox's entity key: the relay publishes one entity's events in order (kernel/store/outbox.ts).
    version: '003_outbox_entity_key',
    sql: OUTBOX_ENTITY_KEY_MIGRATION_SQL,
  },
];
