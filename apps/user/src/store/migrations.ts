import type { Migration } from '../../../../kernel/store/pg';

export const migrations: Migration[] = [
  {
    version: '001_users',
    sql: `
      CREATE TABLE users (
        id uuid PRIMARY KEY,
        email text NOT NULL,
        password_hash text NOT NULL,
        role text NOT NULL DEFAULT 'customer' CHECK (role IN ('customer', 'admin')),
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX users_email_unique ON users (lower(email));
    `,
  },
  {
    version: '002_auth',
    sql: `
      ALTER TABLE users
        ADD COLUMN name text NOT NULL DEFAULT '',
        ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

      CREATE TABLE addresses (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        label text NOT NULL DEFAULT '',
        recipient text NOT NULL,
        line1 text NOT NULL,
        line2 text NOT NULL DEFAULT '',
        city text NOT NULL,
        region text NOT NULL DEFAULT '',
        postal_code text NOT NULL,
        country char(2) NOT NULL,
        phone text NOT NULL DEFAULT '',
        is_default boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX addresses_by_user ON addresses (user_id, created_at);
      CREATE UNIQUE INDEX addresses_one_default ON addresses (user_id) WHERE is_default;

      -- Rotating refresh tokens: one family per login; a used token presented again revokes the family.
      CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY,
        family_id uuid NOT NULL,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        token_hash bytea NOT NULL UNIQUE,
        issued_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        revoked_at timestamptz,
        revoked_reason text
      );
      CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);

      -- Token-signing keys: the newest unretired one signs; retired ones stay published until
      -- every token they signed has expired.
      CREATE TABLE signing_keys (
        kid text PRIMARY KEY,
        public_jwk jsonb NOT NULL,
        private_jwk_sealed text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        retired_at timestamptz
      );

      CREATE TABLE login_failures (
        subject text PRIMARY KEY,
        window_started_at timestamptz NOT NULL,
        failures integer NOT NULL
      );
    `,
  },
  {
    // Ended windows are swept (store/login-failures.ts); subjects now include account + address pairs.
    version: '003_login_failures_window_index',
    sql: `CREATE INDEX login_failures_by_window ON login_failures (window_started_at);`,
  },
  {
    // E-mail: one row per mail, keyed before it is sent (the order event's id, or the reset's id),
    // so a redelivered event never mails twice (store/sent-mail.ts); one-time password-reset
    // tokens, stored as hashes (store/password-resets.ts).
    version: '004_mail',
    sql: `
      CREATE TABLE sent_mail (
        key text PRIMARY KEY,
        kind text NOT NULL,
        recipient text NOT NULL,
        subject text NOT NULL,
        status text NOT NULL CHECK (status IN ('sending', 'sent')),
        deliveries integer NOT NULL DEFAULT 1,   -- how often the key came (redeliveries too)
        created_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz
      );
      CREATE TABLE password_resets (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        token_hash text NOT NULL UNIQUE,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX password_resets_by_user ON password_resets (user_id, created_at);
    `,
  },
];
