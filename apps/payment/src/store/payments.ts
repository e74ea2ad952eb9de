import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { inTransaction } from '../../../../kernel/store/pg';
import { enqueue } from '../../../../kernel/store/outbox';
import { mayApply, type PaymentStatus } from '../domain/status';
import { PAYMENT_TOPICS, type PaymentIntentEvent } from '../events/contract';

export const PAYMENT_SCHEMA = 'payments';

export interface PaymentRow {
  id: string;
  order_id: string;
  user_id: string;
  status: PaymentStatus;
  amount_minor: number;
  currency: string;
  provider: string;
  provider_intent_id: string | null;
  idempotency_key: string;
  attempt: number;
  client_secret: string | null;
  refunded_minor: number;
  refund_requested_minor: number | null;
  provider_refund_id: string | null;
  claimed_until: Date | null;
  last_event_at: number | null;
  failure_reason: string | null;
  created_at: Date;
  updated_at: Date;
  version: number;
}

export interface NewIntent {
  order_id: string;
  user_id: string;
  amount_minor: number;
  currency: string;
  attempt: number;
  idempotency_key: string;
}

export type WebhookOutcome = 'applied' | 'stale' | 'ignored' | 'unknown_payment' | 'duplicate';

/** All SQL of the payment service. No lock is ever held across a call to Stripe. */
export class PaymentStore {
  constructor(private readonly pool: pg.Pool) {}

  async byId(id: string): Promise<PaymentRow | undefined> {
    const { rows } = await this.pool.query<PaymentRow>('SELECT * FROM payments WHERE id = $1', [id]);
    return rows[0];
  }

  async byOrder(orderId: string): Promise<PaymentRow[]> {
    const { rows } = await this.pool.query<PaymentRow>('SELECT * FROM payments WHERE order_id = $1 ORDER BY attempt', [orderId]);
    return rows;
  }

  /** Another attempt of the order that already took the money (one paid attempt per order). */
  async paidAttempt(orderId: string, attempt: number): Promise<PaymentRow | undefined> {
    const { rows } = await this.pool.query<PaymentRow>(
      "SELECT * FROM payments WHERE order_id = $1 AND attempt <> $2 AND status IN ('succeeded', 'refunded') LIMIT 1",
      [orderId, attempt],
    );
    return rows[0];
  }

  /**
   * The row of an attempt, created in status `creating` with its idempotency key when it does
   * not exist yet — before Stripe is called. Concurrent duplicates all get the one row.
   */
  async createOrGet(input: NewIntent): Promise<PaymentRow> {
    const inserted = await this.pool.query<PaymentRow>(
      `INSERT INTO payments (id, order_id, user_id, status, amount_minor, currency, idempotency_key, attempt)
       VALUES ($1, $2, $3, 'creating', $4, $5, $6, $7)
       ON CONFLICT DO NOTHING RETURNING *`,
      [randomUUID(), input.order_id, input.user_id, input.amount_minor, input.currency, input.idempotency_key, input.attempt],
    );
    if (inserted.rows[0]) return inserted.rows[0];
    const { rows } = await this.pool.query<PaymentRow>('SELECT * FROM payments WHERE idempotency_key = $1', [input.idempotency_key]);
    if (!rows[0]) throw new Error(`payment with key ${input.idempotency_key} vanished`);
    return rows[0];
  }

  /** A lease on calling Stripe for a row still `creating`: one caller at a time, without holding a lock. */
  async claim(id: string, leaseMs: number): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE payments SET claimed_until = now() + $2 * interval '1 millisecond'
       WHERE id = $1 AND provider_intent_id IS NULL AND status = 'creating' AND (claimed_until IS NULL OR claimed_until < now())`,
      [id, leaseMs],
    );
    return rowCount === 1;
  }

  async release(id: string): Promise<void> {
    await this.pool.query('UPDATE payments SET claimed_until = NULL WHERE id = $1', [id]);
  }

  /** Records the intent Stripe returned; the first one recorded wins. */
  async recordIntent(id: string, intentId: string, clientSecret: string | null, status: PaymentStatus): Promise<PaymentRow> {
    const { rows } = await this.pool.query<PaymentRow>(
      `UPDATE payments SET provider_intent_id = $2, client_secret = $3, status = $4, claimed_until = NULL,
              updated_at = now(), version = version + 1
       WHERE id = $1 AND provider_intent_id IS NULL AND status = 'creating' RETURNING *`,
      [id, intentId, clientSecret, status],
    );
    return rows[0] ?? (await this.byId(id))!;
  }

  async markFailed(id: string, reason: string): Promise<void> {
    await this.pool.query(
      `UPDATE payments SET status = 'failed', failure_reason = $2, claimed_until = NULL, updated_at = now(), version = version + 1
       WHERE id = $1 AND status = 'creating'`,
      [id, reason],
    );
  }

  /** Cancels locally (after Stripe did, or when no intent was ever created). */
  async markCanceled(id: string): Promise<PaymentRow> {
    const { rows } = await this.pool.query<PaymentRow>(
      `UPDATE payments SET status = 'canceled', claimed_until = NULL, updated_at = now(), version = version + 1
       WHERE id = $1 AND status IN ('creating', 'requires_payment', 'processing', 'failed') RETURNING *`,
      [id],
    );
    return rows[0] ?? (await this.byId(id))!;
  }

  /** Stores the refund request before Stripe is called; returns the row as it now is. */
  async requestRefund(id: string, amount: number): Promise<PaymentRow> {
    const { rows } = await this.pool.query<PaymentRow>(
      `UPDATE payments SET refund_requested_minor = $2, updated_at = now()
       WHERE id = $1 AND status = 'succeeded' AND refund_requested_minor IS NULL RETURNING *`,
      [id, amount],
    );
    return rows[0] ?? (await this.byId(id))!;
  }

  async recordRefund(id: string, refundId: string): Promise<PaymentRow> {
    const { rows } = await this.pool.query<PaymentRow>(
      `UPDATE payments SET provider_refund_id = $2, refunded_minor = refund_requested_minor,
              status = CASE WHEN refund_requested_minor = amount_minor THEN 'refunded' ELSE status END,
              updated_at = now(), version = version + 1
       WHERE id = $1 AND provider_refund_id IS NULL AND refund_requested_minor IS NOT NULL RETURNING *`,
      [id, refundId],
    );
    return rows[0] ?? (await this.byId(id))!;
  }

  /**
   * Applies one verified webhook event exactly once: the event id is recorded, the payment
   * (found by intent id, else by the payment id we put in the intent's metadata) moves only
   * forward, and a succeeded/failed change enqueues its event in the same transaction.
   */
  async applyWebhook(event: {
    id: string;
    type: string;
    created: number;
    intentId: string | undefined;
    paymentId: string | undefined;
    status: PaymentStatus | undefined;
  }): Promise<{ outcome: WebhookOutcome; payment?: PaymentRow }> {
    return inTransaction(this.pool, async (client) => {
      const fresh = await client.query(
        "INSERT INTO webhook_events (provider, provider_event_id, type, outcome) VALUES ('stripe', $1, $2, 'received') ON CONFLICT DO NOTHING",
        [event.id, event.type],
      );
      if (fresh.rowCount !== 1) return { outcome: 'duplicate' as const };
      const finish = async (outcome: WebhookOutcome, paymentId?: string) => {
        await client.query("UPDATE webhook_events SET outcome = $2, payment_id = $3 WHERE provider = 'stripe' AND provider_event_id = $1", [
          event.id,
          outcome,
          paymentId ?? null,
        ]);
      };
      if (!event.status || !event.intentId) {
        await finish('ignored');
        return { outcome: 'ignored' as const };
      }
      let { rows } = await client.query<PaymentRow>("SELECT * FROM payments WHERE provider = 'stripe' AND provider_intent_id = $1 FOR UPDATE", [event.intentId]);
      if (!rows[0] && event.paymentId && /^[0-9a-f-]{36}$/i.test(event.paymentId)) {
        // The webhook raced our own recording of the intent id.
        ({ rows } = await client.query<PaymentRow>('SELECT * FROM payments WHERE id = $1 AND provider_intent_id IS NULL FOR UPDATE', [event.paymentId]));
      }
      const payment = rows[0];
      if (!payment) {
        await finish('unknown_payment');
        return { outcome: 'unknown_payment' as const };
      }
      if (!mayApply(payment.status, payment.last_event_at, event.status, event.created)) {
        await finish('stale', payment.id);
        return { outcome: 'stale' as const, payment };
      }
      const updated = (
        await client.query<PaymentRow>(
          `UPDATE payments SET status = $2, provider_intent_id = $3, last_event_at = $4, claimed_until = NULL,
                  updated_at = now(), version = version + 1
           WHERE id = $1 RETURNING *`,
          [payment.id, event.status, event.intentId, event.created],
        )
      ).rows[0]!;
      const topic = updated.status === 'succeeded' ? PAYMENT_TOPICS.succeeded : updated.status === 'failed' ? PAYMENT_TOPICS.failed : undefined;
      if (topic) {
        const payload: PaymentIntentEvent = {
          payment_id: updated.id,
          order_id: updated.order_id,
          user_id: updated.user_id,
          attempt: updated.attempt,
          provider_intent_id: event.intentId,
          provider_event_id: event.id,
          status: updated.status,
          amount_minor: updated.amount_minor,
          currency: updated.currency,
          version: updated.version,
        };
        await enqueue(client, PAYMENT_SCHEMA, topic, { ...payload });
      }
      await finish('applied', updated.id);
      return { outcome: 'applied' as const, payment: updated };
    });
  }
}
