import type pg from 'pg';
import { inTransaction } from '../../../../kernel/store/pg';
import { canMove, type OrderStatus } from '../domain/status';
import type { OrderLine } from '../domain/pricing';

export interface OrderRow {
  id: string;
  user_id: string;
  status: OrderStatus;
  currency: string;
  subtotal_minor: number;
  discount_minor: number;
  shipping_minor: number;
  total_minor: number;
  coupon_codes: string[];
  discounts: unknown[];
  shipping_address: Record<string, unknown>;
  payment_id: string | null;
  payment_intent_id: string | null;
  client_secret: string | null;
  failure_reason: string | null;
  failure_detail: string | null;
  idempotency_key: string | null;
  request_hash: string | null;
  version: number;
  workflow_started_at: Date | null;
  workflow_run: number;
  paid_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface OrderEvent {
  from_status: string | null;
  to_status: string | null;
  event: string;
  detail: unknown;
  at: Date;
}

export interface NewOrder {
  id: string;
  user_id: string;
  currency: string;
  lines: OrderLine[];
  subtotal_minor: number;
  shipping_minor: number;
  coupon_codes: string[];
  shipping_address: Record<string, unknown>;
  idempotency_key: string | null;
  request_hash: string;
}

/** Columns a transition may set besides the status (never the lines, the owner or the key). */
export type OrderPatch = Partial<
  Pick<OrderRow, 'subtotal_minor' | 'discount_minor' | 'shipping_minor' | 'total_minor' | 'discounts' | 'payment_id' | 'payment_intent_id' | 'client_secret' | 'failure_reason' | 'failure_detail' | 'paid_at'>
>;
const PATCHABLE = new Set<string>(['subtotal_minor', 'discount_minor', 'shipping_minor', 'total_minor', 'discounts', 'payment_id', 'payment_intent_id', 'client_secret', 'failure_reason', 'failure_detail', 'paid_at']);

export type MoveResult = { ok: true; order: OrderRow; changed: boolean } | { ok: false; order: OrderRow | undefined };

const INT_COLUMNS = ['subtotal_minor', 'discount_minor', 'shipping_minor', 'total_minor'] as const;
function fromDb(row: OrderRow): OrderRow {
  for (const c of INT_COLUMNS) row[c] = Number(row[c]);
  return row;
}

export class OrderStore {
  constructor(private readonly pool: pg.Pool) {}

  /** Creates the order (status pending) with its lines, or returns the one already under this id. */
  async create(order: NewOrder): Promise<{ order: OrderRow; created: boolean }> {
    return inTransaction(this.pool, async (client) => {
      const inserted = await client.query<OrderRow>(
        `INSERT INTO orders (id, user_id, status, currency, subtotal_minor, shipping_minor, total_minor, coupon_codes, shipping_address, idempotency_key, request_hash)
         VALUES ($1, $2, 'pending', $3, $4::bigint, $5::bigint, $4::bigint + $5::bigint, $6, $7, $8, $9)
         ON CONFLICT DO NOTHING RETURNING *`,
        [order.id, order.user_id, order.currency, order.subtotal_minor, order.shipping_minor, order.coupon_codes, order.shipping_address, order.idempotency_key, order.request_hash],
      );
      if (!inserted.rows[0]) {
        const existing = await client.query<OrderRow>('SELECT * FROM orders WHERE id = $1', [order.id]);
        return { order: fromDb(existing.rows[0]!), created: false };
      }
      for (const [i, line] of order.lines.entries()) {
        await client.query(
          `INSERT INTO order_lines (order_id, line_no, product_id, sku, name, quantity, unit_price_minor, line_total_minor) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [order.id, i + 1, line.product_id, line.sku, line.name, line.quantity, line.unit_price_minor, line.line_total_minor],
        );
      }
      await client.query(`INSERT INTO order_events (order_id, to_status, event) VALUES ($1, 'pending', 'created')`, [order.id]);
      return { order: fromDb(inserted.rows[0]), created: true };
    });
  }

  async byId(id: string): Promise<OrderRow | undefined> {
    const { rows } = await this.pool.query<OrderRow>('SELECT * FROM orders WHERE id = $1', [id]);
    return rows[0] ? fromDb(rows[0]) : undefined;
  }

  async lines(id: string): Promise<OrderLine[]> {
    const { rows } = await this.pool.query<OrderLine>(
      'SELECT product_id, sku, name, quantity, unit_price_minor::float8 AS unit_price_minor, line_total_minor::float8 AS line_total_minor FROM order_lines WHERE order_id = $1 ORDER BY line_no',
      [id],
    );
    return rows;
  }

  async history(id: string): Promise<OrderEvent[]> {
    const { rows } = await this.pool.query<OrderEvent>('SELECT from_status, to_status, event, detail, at FROM order_events WHERE order_id = $1 ORDER BY id', [id]);
    return rows;
  }

  /** A customer's orders, newest first, after the (created_at, id) cursor. */
  async listByUser(userId: string, after: { created_at: string; id: string } | undefined, limit: number): Promise<OrderRow[]> {
    const { rows } = after
      ? await this.pool.query<OrderRow>(
          'SELECT * FROM orders WHERE user_id = $1 AND (created_at, id) < ($2::timestamptz, $3::uuid) ORDER BY created_at DESC, id DESC LIMIT $4',
          [userId, after.created_at, after.id, limit],
        )
      : await this.pool.query<OrderRow>('SELECT * FROM orders WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2', [userId, limit]);
    return rows.map(fromDb);
  }

  /**
   * Moves the order to `to` if the state machine allows it from where it is, writing the
   * history line in the same transaction. Already at `to`: a no-op (`changed: false`), so a
   * replayed saga step or a repeated request is harmless.
   */
  async move(id: string, to: OrderStatus, event: string, patch: OrderPatch = {}, detail?: unknown): Promise<MoveResult> {
    return inTransaction(this.pool, async (client) => {
      const current = await client.query<OrderRow>('SELECT * FROM orders WHERE id = $1 FOR UPDATE', [id]);
      const order = current.rows[0] ? fromDb(current.rows[0]) : undefined;
      if (!order) return { ok: false, order };
      if (order.status === to) return { ok: true, order, changed: false };
      if (!canMove(order.status, to)) return { ok: false, order };
      const fields = Object.entries(patch).filter(([k, v]) => PATCHABLE.has(k) && v !== undefined);
      const sets = fields.map(([k], i) => `${k} = $${i + 3}`);
      const values = fields.map(([k, v]) => (k === 'discounts' ? JSON.stringify(v) : v));
      const updated = await client.query<OrderRow>(
        `UPDATE orders SET status = $2, version = version + 1, updated_at = now()${sets.length ? `, ${sets.join(', ')}` : ''} WHERE id = $1 RETURNING *`,
        [id, to, ...values],
      );
      await client.query('INSERT INTO order_events (order_id, from_status, to_status, event, detail) VALUES ($1, $2, $3, $4, $5)', [id, order.status, to, event, detail ?? null]);
      return { ok: true, order: fromDb(updated.rows[0]!), changed: true };
    });
  }

  /** A history line without a status change (a payment event, a late refund). */
  async note(id: string, event: string, detail?: unknown): Promise<void> {
    await this.pool.query('INSERT INTO order_events (order_id, event, detail) VALUES ($1, $2, $3)', [id, event, detail ?? null]);
  }

  /** The next run of a saga that died: returns the new run number. */
  async nextWorkflowRun(id: string): Promise<number> {
    const { rows } = await this.pool.query<{ workflow_run: number }>('UPDATE orders SET workflow_run = workflow_run + 1, updated_at = now() WHERE id = $1 RETURNING workflow_run', [id]);
    await this.note(id, 'saga_restarted', { run: rows[0]!.workflow_run });
    return rows[0]!.workflow_run;
  }

  async markWorkflowStarted(id: string): Promise<void> {
    await this.pool.query('UPDATE orders SET workflow_started_at = coalesce(workflow_started_at, now()) WHERE id = $1', [id]);
  }

  /** Orders whose saga was never started (the process stopped between the insert and the start). */
  async unstarted(olderThanSeconds: number, limit = 100): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      `SELECT id FROM orders WHERE workflow_started_at IS NULL AND status = 'pending' AND created_at < now() - make_interval(secs => $1) ORDER BY created_at LIMIT $2`,
      [olderThanSeconds, limit],
    );
    return rows.map((r) => r.id);
  }

  /** Unsettled orders that have not moved for a while: their saga must be checked. */
  async stalled(olderThanSeconds: number, limit = 100): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      `SELECT id FROM orders WHERE status IN ('pending','reserved','awaiting_payment') AND workflow_started_at IS NOT NULL
         AND updated_at < now() - make_interval(secs => $1) ORDER BY updated_at LIMIT $2`,
      [olderThanSeconds, limit],
    );
    return rows.map((r) => r.id);
  }
}
