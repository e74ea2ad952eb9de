import type pg from 'pg';
import type { Migration } from './pg';

/**
 * Parked events: every message that a consumer could not process — a poison message its handler
 * refused, or one that exhausted Dapr's delivery retries — lands on the subscription's dead-letter
 * topic, and the same consumer stores it here, in its own schema, where an operator sees it
 * (`GET /admin/dead-letters/<app>`, the `events_parked` metric) and replays it
 * (`npm run events:replay`). Nothing is dropped: a message is acknowledged only once it is here.
 */
export const DEAD_LETTER_MIGRATION: Migration = {
  // Kernel migrations sort after the services' numbered ones and never collide with them.
  version: 'kernel_001_dead_letters',
  sql: `
    CREATE TABLE dead_letters (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      dead_letter_topic text NOT NULL,
      source_topic text NOT NULL,
      -- The original event's id: the same message parked twice (a redelivery) is one row.
      event_id text NOT NULL,
      payload jsonb NOT NULL,
      reason text NOT NULL,
      status text NOT NULL DEFAULT 'parked' CHECK (status IN ('parked', 'replayed')),
      attempts integer NOT NULL DEFAULT 1,
      first_seen timestamptz NOT NULL DEFAULT now(),
      last_seen timestamptz NOT NULL DEFAULT now(),
      replayed_at timestamptz,
      UNIQUE (source_topic, event_id)
    );
    CREATE INDEX dead_letters_parked ON dead_letters (first_seen DESC) WHERE status = 'parked';
  `,
};

export interface ParkedEvent {
  id: string;
  dead_letter_topic: string;
  source_topic: string;
  event_id: string;
  payload: unknown;
  reason: string;
  status: 'parked' | 'replayed';
  attempts: number;
  first_seen: Date;
  last_seen: Date;
  replayed_at: Date | null;
}

export interface NewParkedEvent {
  deadLetterTopic: string;
  sourceTopic: string;
  eventId: string;
  payload: unknown;
  reason: string;
}

export class DeadLetterStore {
  constructor(private readonly pool: pg.Pool) {}

  /** Stores a parked event; the same (source topic, event id) again counts one more attempt. */
  async park(event: NewParkedEvent): Promise<ParkedEvent> {
    const { rows } = await this.pool.query<ParkedEvent>(
      `INSERT INTO dead_letters (dead_letter_topic, source_topic, event_id, payload, reason)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (source_topic, event_id) DO UPDATE
         SET attempts = dead_letters.attempts + 1, last_seen = now(), reason = EXCLUDED.reason,
             status = 'parked', replayed_at = NULL
       RETURNING *`,
      [event.deadLetterTopic, event.sourceTopic, event.eventId, JSON.stringify(event.payload), event.reason],
    );
    return rows[0]!;
  }

  /** Newest first; `before` is the `first_seen` of the last row of the previous page. */
  async list(filter: { status?: 'parked' | 'replayed'; topic?: string; before?: Date; limit: number }): Promise<ParkedEvent[]> {
    const { rows } = await this.pool.query<ParkedEvent>(
      `SELECT * FROM dead_letters
        WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR source_topic = $2) AND ($3::timestamptz IS NULL OR first_seen < $3)
        ORDER BY first_seen DESC, id LIMIT $4`,
      [filter.status ?? null, filter.topic ?? null, filter.before ?? null, filter.limit],
    );
    return rows;
  }

  /** Parked events to replay: by id, or every parked one of a topic (oldest first, bounded). */
  async toReplay(filter: { ids?: string[]; topic?: string; limit: number }): Promise<ParkedEvent[]> {
    const { rows } = await this.pool.query<ParkedEvent>(
      `SELECT * FROM dead_letters
        WHERE status = 'parked' AND ($1::uuid[] IS NULL OR id = ANY($1)) AND ($2::text IS NULL OR source_topic = $2)
        ORDER BY first_seen LIMIT $3`,
      [filter.ids ?? null, filter.topic ?? null, filter.limit],
    );
    return rows;
  }

  async markReplayed(id: string): Promise<void> {
    await this.pool.query("UPDATE dead_letters SET status = 'replayed', replayed_at = now() WHERE id = $1", [id]);
  }

  async markReplayFailed(id: string, reason: string): Promise<void> {
    await this.pool.query('UPDATE dead_letters SET attempts = attempts + 1, last_seen = now(), reason = $2 WHERE id = $1', [id, reason]);
  }

  /** Parked (not yet replayed) events per source topic: the `events_parked` gauge. */
  async parkedByTopic(): Promise<Array<{ source_topic: string; count: number }>> {
    const { rows } = await this.pool.query<{ source_topic: string; count: number }>(
      "SELECT source_topic, count(*)::int AS count FROM dead_letters WHERE status = 'parked' GROUP BY source_topic",
    );
    return rows;
  }
}
