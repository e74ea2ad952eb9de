import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Queryable } from './pg';

/**
 * A transactional outbox in a service's own schema (table `outbox`, created by
 * OUTBOX_MIGRATION_SQL in the service's migrations): events are written in the transaction
 * that makes the change and published afterwards by OutboxRelay (kernel/dapr/outbox-relay.ts).
 * Services embed this SQL in one of their migrations: never edit it, add a migration instead.
 */
export const OUTBOX_MIGRATION_SQL = `
  CREATE TABLE outbox (
    seq bigserial PRIMARY KEY,
    id uuid NOT NULL UNIQUE,
    topic text NOT NULL,
    payload jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
  );
  CREATE INDEX outbox_pending ON outbox (seq) WHERE published_at IS NULL;
`;

/** The channel the relay LISTENs on, per schema; NOTIFY is transactional, so it fires only on commit. */
export function outboxChannel(schema: string): string {
  return `${schema}_outbox`;
}

/** Writes an event in the caller's transaction: it exists exactly when the change does. */
export async function enqueue(client: Queryable, schema: string, topic: string, payload: Record<string, unknown>): Promise<string> {
  const id = randomUUID();
  await client.query('INSERT INTO outbox (id, topic, payload) VALUES ($1, $2, $3)', [id, topic, { event_id: id, ...payload }]);
  await client.query(`NOTIFY ${outboxChannel(schema)}`);
  return id;
}

export interface OutboxEvent {
  seq: number;
  id: string;
  topic: string;
  payload: Record<string, unknown>;
}

export class OutboxStore {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Claims up to `limit` unpublished events (SKIP LOCKED: replicas share the work), lets
   * `publish` send them, and marks the ones it reports as sent — all in one transaction, so an
   * event is marked only after the broker confirmed it. A crash before the mark means it is
   * sent again: at least once, never lost.
   */
  async drain(limit: number, publish: (events: OutboxEvent[]) => Promise<string[]>): Promise<number> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<OutboxEvent>(
        'SELECT seq, id, topic, payload FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED',
        [limit],
      );
      const sent = rows.length ? await publish(rows) : [];
      if (sent.length) await client.query('UPDATE outbox SET published_at = now() WHERE id = ANY($1::uuid[])', [sent]);
      await client.query('COMMIT');
      return sent.length;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async pending(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL');
    return rows[0]!.n;
  }

  /** Published events are kept a day for inspection, then removed. */
  async prune(): Promise<void> {
    await this.pool.query("DELETE FROM outbox WHERE published_at < now() - interval '1 day'");
  }
}
