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

/**
 * Adds the entity key to an outbox made by OUTBOX_MIGRATION_SQL (embed it in a later migration
 * of every service with an outbox; new services embed both). `entity_key` names the thing an
 * event is about (a product id, a SKU, a payment id): the relay publishes one entity's events
 * strictly in `seq` order and different entities in parallel. Pending rows written before the
 * column existed get their key from the payload, as enqueue does now.
 */
export const OUTBOX_ENTITY_KEY_MIGRATION_SQL = `
  ALTER TABLE outbox ADD COLUMN IF NOT EXISTS entity_key text;
  UPDATE outbox SET entity_key = COALESCE(payload->'product'->>'id', payload->>'payment_id', payload->>'sku', payload->>'id')
   WHERE entity_key IS NULL AND published_at IS NULL;
  CREATE INDEX IF NOT EXISTS outbox_pending_entity ON outbox (entity_key, seq) WHERE published_at IS NULL;
`;

/**
 * The entity an event is about, from its payload: `product.id` (catalog), `payment_id`
 * (payment), `sku` (inventory), else a top-level `id`. Undefined when none is there: such an
 * event is ordered with nothing else (the relay keys it by its own id).
 */
export function entityKeyOf(payload: Record<string, unknown>): string | undefined {
  const product = payload.product as Record<string, unknown> | undefined;
  for (const value of [product && typeof product === 'object' ? product.id : undefined, payload.payment_id, payload.sku, payload.id]) {
    if ((typeof value === 'string' && value) || typeof value === 'number') return String(value);
  }
  return undefined;
}

/** The channel the relay LISTENs on, per schema; NOTIFY is transactional, so it fires only on commit. */
export function outboxChannel(schema: string): string {
  return `${schema}_outbox`;
}

/**
 * Writes an event in the caller's transaction: it exists exactly when the change does.
 * `entityKey` (default: entityKeyOf(payload)) orders it after every earlier event of the same entity.
 */
export async function enqueue(
  client: Queryable,
  schema: string,
  topic: string,
  payload: Record<string, unknown>,
  options: { entityKey?: string } = {},
): Promise<string> {
  const id = randomUUID();
  // One round trip: the row and its notification (pg_notify is NOTIFY's function form, just as transactional).
  await client.query(
    'WITH written AS (INSERT INTO outbox (id, topic, payload, entity_key) VALUES ($1, $2, $3, $4) RETURNING 1) SELECT pg_notify($5, \'\') FROM written',
    [id, topic, { event_id: id, ...payload }, options.entityKey ?? entityKeyOf(payload) ?? null, outboxChannel(schema)],
  );
  return id;
}

export interface OutboxEvent {
  seq: number;
  id: string;
  topic: string;
  payload: Record<string, unknown>;
  /** The entity the event is about; events of one entity are published in `seq` order. */
  entity_key: string;
}

/** A row's key in SQL: rows written before the column was filled fall back to the payload, then to their own id. */
const ENTITY_KEY_SQL = "COALESCE(entity_key, payload->'product'->>'id', payload->>'payment_id', payload->>'sku', payload->>'id', id::text)";

export class OutboxStore {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Claims up to `limit` unpublished events (SKIP LOCKED: replicas share the work), lets
   * `publish` send them, and marks the ones it reports as sent — all in one transaction, so an
   * event is marked only after the broker confirmed it. A crash before the mark means it is
   * sent again: at least once, never lost.
   *
   * Order per entity across replicas: an event is handed to `publish` only when every earlier
   * unpublished event of its entity is in this claim too (the rest of that entity waits for the
   * replica holding the earlier one to finish). `publish` must send one entity's events in
   * order and report an entity's events only up to its first failure. Returns how many were
   * marked (a full batch means there may be more).
   */
  async drain(limit: number, publish: (events: OutboxEvent[]) => Promise<string[]>): Promise<number> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<OutboxEvent>(
        `SELECT seq, id, topic, payload, ${ENTITY_KEY_SQL} AS entity_key FROM outbox
          WHERE published_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit],
      );
      const ready = rows.length ? await this.inOrderAcrossReplicas(client, rows) : [];
      const sent = ready.length ? await publish(ready) : [];
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

  /**
   * The claimed rows whose entity has no earlier unpublished event outside the claim (held by
   * another replica, or committed late with a lower seq): per entity, the claimed rows that
   * follow the entity's unpublished events from the first one without a gap.
   */
  private async inOrderAcrossReplicas(client: pg.PoolClient, rows: OutboxEvent[]): Promise<OutboxEvent[]> {
    const keys = [...new Set(rows.map((r) => r.entity_key))];
    const last = rows[rows.length - 1]!.seq;
    // A plain read: not blocked by other replicas' row locks, and it sees their claimed rows as unpublished.
    const { rows: pending } = await client.query<{ entity_key: string; seqs: number[] }>(
      `SELECT ${ENTITY_KEY_SQL} AS entity_key, array_agg(seq ORDER BY seq) AS seqs FROM outbox
        WHERE published_at IS NULL AND seq <= $2 AND ${ENTITY_KEY_SQL} = ANY($1::text[]) GROUP BY 1`,
      [keys, last],
    );
    const unpublished = new Map(pending.map((p) => [p.entity_key, p.seqs.map(Number)]));
    const position = new Map<string, number>();
    const blocked = new Set<string>();
    return rows.filter((row) => {
      if (blocked.has(row.entity_key)) return false;
      const seqs = unpublished.get(row.entity_key) ?? [];
      const at = position.get(row.entity_key) ?? 0;
      if (seqs[at] !== undefined && seqs[at] !== Number(row.seq)) {
        blocked.add(row.entity_key);
        return false;
      }
      position.set(row.entity_key, at + 1);
      return true;
    });
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
