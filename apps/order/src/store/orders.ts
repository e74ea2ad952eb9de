import type pg from 'pg';
import { inTransaction, type Queryable } from '../../../../kernel/store/pg';
import type { ReadRouter } from '../../../../kernel/store/read-replica';
import type { TraceContext } from '../../../../kernel/trace';
import { randomUUID } from 'node:crypto';
import { canMove, OPEN_STATUSES, type OrderStatus } from '../domain/status';
import { ordersMoved, type OpenOrders } from './metrics';
import type { OrderLine } from '../domain/pricing';
import { retryDelaySeconds, type NewReversal, type Plan, type Reversal } from '../domain/reversal';
import type { TaxBasis, TaxBreakdown } from '../domain/tax';
import type { ChosenShipping } from '../domain/shipping';
import { enqueue } from '../../../../kernel/store/outbox';
import { ORDER_TOPICS, TOPIC_OF_STATUS, type OrderEventPayload, type OrderTopic } from '../events/contract';

/** The order service's PostgreSQL schema (its tables, its outbox's NOTIFY channel). */
export const ORDER_SCHEMA = 'orders';

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
  /** The checkout workflow version the current run started on (null: started before this was recorded). */
  workflow_name: string | null;
  paid_at: Date | null;
  /** What reversals (cancels after payment, refunds, returns) have refunded so far, minor units. */
  refunded_minor: number;
  /** The method chosen (null: the flat fee, or an order placed before shipping methods). Optional: always read, but fakes may leave it out. */
  shipping_method?: ChosenShipping | null;
  /** Whether the order's prices include tax; null for an order placed before tax existed. */
  prices_include_tax?: boolean | null;
  shipping_tax_rate_bp?: number | null;
  /** Lines' and shipping's tax; shipping's alone. */
  tax_minor?: number;
  shipping_tax_minor?: number;
  /** The cart (actor id) the order was placed from; null for explicit items. Optional: fakes may leave it out. */
  cart_id?: string | null;
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

/** The admin search's filter (GET /admin/orders). */
export interface OrderFilter {
  statuses?: string[];
  userId?: string;
  createdFrom?: string;
  createdTo?: string;
  minTotalMinor?: number;
  maxTotalMinor?: number;
  currency?: string;
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
  shipping_method: ChosenShipping | null;
  /** The tax as estimated before promotions (the redeem step computes it again after the discount). */
  tax: { basis: TaxBasis; breakdown: TaxBreakdown };
  /** The cart (actor id) it was placed from, held for it; absent for explicit items. */
  cart_id?: string | null;
  /** The trace of the request that placed it (kernel/trace.ts): the saga's calls continue it. */
  trace?: TraceContext | null;
}

/** Columns a transition may set besides the status (never the lines, the owner or the key). */
export type OrderPatch = Partial<
  Pick<OrderRow, 'subtotal_minor' | 'discount_minor' | 'shipping_minor' | 'total_minor' | 'discounts' | 'payment_id' | 'payment_intent_id' | 'client_secret' | 'failure_reason' | 'failure_detail' | 'paid_at'>
>;
const PATCHABLE = new Set<string>(['subtotal_minor', 'discount_minor', 'shipping_minor', 'total_minor', 'discounts', 'payment_id', 'payment_intent_id', 'client_secret', 'failure_reason', 'failure_detail', 'paid_at']);

const LINES_SQL = `SELECT product_id, sku, name, quantity, unit_price_minor::float8 AS unit_price_minor, line_total_minor::float8 AS line_total_minor,
                          weight_grams::float8 AS weight_grams, tax_class, tax_rate_bp, tax_minor::float8 AS tax_minor
                     FROM order_lines WHERE order_id = $1 ORDER BY line_no`;

export type MoveResult = { ok: true; order: OrderRow; changed: boolean } | { ok: false; order: OrderRow | undefined };

const INT_COLUMNS = ['subtotal_minor', 'discount_minor', 'shipping_minor', 'total_minor', 'refunded_minor', 'tax_minor', 'shipping_tax_minor'] as const;
function fromDb(row: OrderRow): OrderRow {
  for (const c of INT_COLUMNS) row[c] = Number(row[c] ?? 0);
  return row;
}
function reversalFromDb(row: Reversal): Reversal {
  row.amount_minor = Number(row.amount_minor);
  return row;
}

/** What a request for a reversal decides under the order's row lock (see domain/reversal.ts). */
export interface ReversalRequest {
  kind: Reversal['kind'];
  idempotency_key: string | null;
  request_hash: string | null;
  requested_by: string;
  reason: string | null;
  /** Decides on the locked order, its lines and its earlier reversals. */
  plan: (order: OrderRow, lines: OrderLine[], earlier: Reversal[]) => Plan;
}

export type OpenedReversal =
  | { ok: true; order: OrderRow; reversal: Reversal; created: boolean }
  | { ok: false; order: OrderRow | undefined; status: number; code: string; detail: string; reversal?: Reversal };

export class OrderStore {
  /** `reads` routes order history and the admin listing to the read replica when there is one. */
  constructor(
    private readonly pool: pg.Pool,
    private readonly reads?: ReadRouter,
  ) {}

  private async readable(): Promise<Queryable> {
    return this.reads ? this.reads.forRead() : this.pool;
  }

  /** Creates the order (status pending) with its lines, or returns the one already under this id. */
  async create(order: NewOrder): Promise<{ order: OrderRow; created: boolean }> {
    return inTransaction(this.pool, async (client) => {
      const inserted = await client.query<OrderRow>(
        `INSERT INTO orders (id, user_id, status, currency, subtotal_minor, shipping_minor, total_minor, coupon_codes, shipping_address, idempotency_key, request_hash,
                             shipping_method, prices_include_tax, shipping_tax_rate_bp, tax_minor, shipping_tax_minor, cart_id, traceparent, tracestate)
         VALUES ($1, $2, 'pending', $3, $4::bigint, $5::bigint, $10::bigint, $6, $7, $8, $9, $11, $12, $13, $14, $15, $16, $17, $18)
         ON CONFLICT DO NOTHING RETURNING *`,
        [order.id, order.user_id, order.currency, order.subtotal_minor, order.shipping_minor, order.coupon_codes, order.shipping_address, order.idempotency_key, order.request_hash,
          order.tax.breakdown.total_minor, order.shipping_method ? JSON.stringify(order.shipping_method) : null, order.tax.basis.prices_include_tax,
          order.tax.basis.shipping_rate_bp, order.tax.breakdown.tax_minor, order.tax.breakdown.shipping_tax_minor, order.cart_id ?? null,
          order.trace?.traceparent ?? null, order.trace?.tracestate ?? null],
      );
      if (!inserted.rows[0]) {
        const existing = await client.query<OrderRow>('SELECT * FROM orders WHERE id = $1', [order.id]);
        return { order: fromDb(existing.rows[0]!), created: false };
      }
      for (const [i, line] of order.lines.entries()) {
        await client.query(
          `INSERT INTO order_lines (order_id, line_no, product_id, sku, name, quantity, unit_price_minor, line_total_minor, weight_grams, tax_class, tax_rate_bp, tax_minor)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
          [order.id, i + 1, line.product_id, line.sku, line.name, line.quantity, line.unit_price_minor, line.line_total_minor, line.weight_grams ?? 0,
            line.tax_class ?? 'standard', order.tax.basis.lines[i]?.rate_bp ?? 0, order.tax.breakdown.lines[i]?.tax_minor ?? 0],
        );
      }
      await client.query(`INSERT INTO order_events (order_id, to_status, event) VALUES ($1, 'pending', 'created')`, [order.id]);
      const created = fromDb(inserted.rows[0]);
      await this.publish(client, ORDER_TOPICS.placed, created, order.lines); // the lines just inserted
      return { order: created, created: true };
    });
  }

  /** One order; with `userId` (a customer's own), only in that user's partition. */
  async byId(id: string, userId?: string): Promise<OrderRow | undefined> {
    const { rows } = userId
      ? await this.pool.query<OrderRow>('SELECT * FROM orders WHERE id = $1 AND user_id = $2', [id, userId])
      : await this.pool.query<OrderRow>('SELECT * FROM orders WHERE id = $1', [id]);
    return rows[0] ? fromDb(rows[0]) : undefined;
  }

  /** The trace the order was placed in, if its request had one. */
  async traceOf(id: string): Promise<TraceContext | undefined> {
    const { rows } = await this.pool.query<{ traceparent: string | null; tracestate: string | null }>('SELECT traceparent, tracestate FROM orders WHERE id = $1', [id]);
    const row = rows[0];
    return row?.traceparent ? { traceparent: row.traceparent, ...(row.tracestate ? { tracestate: row.tracestate } : {}) } : undefined;
  }

  async lines(id: string): Promise<OrderLine[]> {
    const { rows } = await this.pool.query<OrderLine>(
      LINES_SQL,
      [id],
    );
    return rows;
  }

  /** The rates the order fixed at placement (the checkout's redeem step taxes with them); undefined before tax existed. */
  async taxBasis(id: string): Promise<TaxBasis | undefined> {
    const { rows } = await this.pool.query<{ prices_include_tax: boolean | null; shipping_tax_rate_bp: number | null }>(
      'SELECT prices_include_tax, shipping_tax_rate_bp FROM orders WHERE id = $1', [id],
    );
    const order = rows[0];
    if (!order || order.prices_include_tax === null || order.shipping_tax_rate_bp === null) return undefined;
    const lines = await this.lines(id);
    if (lines.some((l) => l.tax_rate_bp === null || l.tax_rate_bp === undefined)) return undefined;
    return { prices_include_tax: order.prices_include_tax, shipping_rate_bp: order.shipping_tax_rate_bp, lines: lines.map((l) => ({ line_total_minor: l.line_total_minor, rate_bp: l.tax_rate_bp! })) };
  }

  /** Writes the tax computed after the discount (idempotent: a repeat of the step writes the same numbers). */
  async recordTax(id: string, tax: TaxBreakdown): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      await client.query('UPDATE orders SET tax_minor = $2, shipping_tax_minor = $3 WHERE id = $1', [id, tax.tax_minor, tax.shipping_tax_minor]);
      for (const [i, line] of tax.lines.entries()) {
        await client.query('UPDATE order_lines SET tax_minor = $3 WHERE order_id = $1 AND line_no = $2', [id, i + 1, line.tax_minor]);
      }
    });
  }

  async history(id: string): Promise<OrderEvent[]> {
    const { rows } = await this.pool.query<OrderEvent>('SELECT from_status, to_status, event, detail, at FROM order_events WHERE order_id = $1 ORDER BY id', [id]);
    return rows;
  }

  /**
   * Every order that matches the filter, newest first, after the (created_at, id) cursor: the
   * shop manager's search. Each filter is optional; the bounds are inclusive.
   */
  async search(filter: OrderFilter, after: { created_at: string; id: string } | undefined, limit: number): Promise<OrderRow[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const arg = (value: unknown) => `$${args.push(value)}`;
    if (filter.statuses?.length) where.push(`status = ANY(${arg(filter.statuses)}::text[])`);
    if (filter.userId) where.push(`user_id = ${arg(filter.userId)}::uuid`);
    if (filter.createdFrom) where.push(`created_at >= ${arg(filter.createdFrom)}::timestamptz`);
    if (filter.createdTo) where.push(`created_at <= ${arg(filter.createdTo)}::timestamptz`);
    if (filter.minTotalMinor !== undefined) where.push(`total_minor >= ${arg(filter.minTotalMinor)}`);
    if (filter.maxTotalMinor !== undefined) where.push(`total_minor <= ${arg(filter.maxTotalMinor)}`);
    if (filter.currency) where.push(`currency = ${arg(filter.currency)}`);
    if (after) where.push(`(created_at, id) < (${arg(after.created_at)}::timestamptz, ${arg(after.id)}::uuid)`);
    const { rows } = await (await this.readable()).query<OrderRow>(
      `SELECT * FROM orders ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ${arg(limit)}`,
      args,
    );
    return rows.map(fromDb);
  }

  /** A customer's orders, newest first, after the (created_at, id) cursor. */
  async listByUser(userId: string, after: { created_at: string; id: string } | undefined, limit: number): Promise<OrderRow[]> {
    const db = await this.readable();
    const { rows } = after
      ? await db.query<OrderRow>(
          'SELECT * FROM orders WHERE user_id = $1 AND (created_at, id) < ($2::timestamptz, $3::uuid) ORDER BY created_at DESC, id DESC LIMIT $4',
          [userId, after.created_at, after.id, limit],
        )
      : await db.query<OrderRow>('SELECT * FROM orders WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2', [userId, limit]);
    return rows.map(fromDb);
  }

  /**
   * Moves the order to `to` if the state machine allows it from where it is, writing the
   * history line in the same transaction. Already at `to`: a no-op (`changed: false`), so a
   * replayed saga step or a repeated request is harmless.
   */
  async move(id: string, to: OrderStatus, event: string, patch: OrderPatch = {}, detail?: unknown): Promise<MoveResult> {
    return inTransaction<MoveResult>(this.pool, async (client) => {
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
      const moved = fromDb(updated.rows[0]!);
      const topic = TOPIC_OF_STATUS[to];
      if (topic) await this.publish(client, topic, moved);
      return { ok: true, order: moved, changed: true };
    }).then((result) => {
      if (result.ok && result.changed) ordersMoved.inc({ to });
      return result;
    });
  }

  /** Unsettled orders by status, with how long the oldest of each has not moved (metrics). */
  async openSummary(): Promise<OpenOrders[]> {
    const { rows } = await this.pool.query<OpenOrders>(
      `SELECT status, count(*)::int AS count, extract(epoch FROM now() - min(updated_at))::float8 AS oldest_seconds
         FROM orders WHERE status = ANY($1::text[]) GROUP BY status`,
      [OPEN_STATUSES],
    );
    return rows;
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

  /**
   * Opens a reversal (a cancel after payment, a refund, a return) under the order's row lock,
   * so it is serialised with fulfil and with every other move of the order: a repeat (the same
   * Idempotency-Key, or a second cancel) gets the reversal already there; otherwise `plan`
   * decides on the locked row, and the reversal is inserted together with the order's move
   * (paid → cancelling) and its history line, in one transaction.
   */
  async openReversal(orderId: string, request: ReversalRequest): Promise<OpenedReversal> {
    return inTransaction(this.pool, async (client) => {
      const locked = await client.query<OrderRow>('SELECT * FROM orders WHERE id = $1 FOR UPDATE', [orderId]);
      const order = locked.rows[0] ? fromDb(locked.rows[0]) : undefined;
      if (!order) return { ok: false, order, status: 404, code: 'not_found', detail: `No order ${orderId}.` };
      const earlier = (await client.query<Reversal>('SELECT * FROM order_reversals WHERE order_id = $1 ORDER BY created_at, id', [orderId])).rows.map(reversalFromDb);
      const same = request.idempotency_key
        ? earlier.find((r) => r.idempotency_key === request.idempotency_key)
        : request.kind === 'cancel' || request.kind === 'refund' ? earlier.find((r) => r.kind === 'cancel' || r.kind === 'refund') : undefined;
      if (same) {
        if (request.idempotency_key && same.request_hash !== request.request_hash) {
          return { ok: false, order, status: 422, code: 'key_reused', detail: 'This Idempotency-Key was used for another request of this order.', reversal: same };
        }
        if (!request.idempotency_key && same.kind !== request.kind && !(same.kind === 'cancel' && request.kind === 'refund')) {
          return { ok: false, order, status: 409, code: 'already_reversed', detail: `Order ${orderId} already has a ${same.kind}.`, reversal: same };
        }
        return { ok: true, order, reversal: same, created: false };
      }
      const open = earlier.find((r) => !r.completed_at);
      if (open) return { ok: false, order, status: 409, code: 'reversal_in_progress', detail: `A ${open.kind} of order ${orderId} is still under way; retry when it is done.`, reversal: open };
      const plan = request.plan(order, await this.linesWith(client, orderId), earlier);
      if (!plan.ok) return { ok: false, order, status: plan.status, code: plan.code, detail: plan.detail };
      const r: NewReversal = plan.reversal;
      const inserted = await client.query<Reversal>(
        `INSERT INTO order_reversals (id, order_id, kind, idempotency_key, request_hash, payment_id, amount_minor, lines, release_promotions, target_status, requested_by, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING *`,
        [randomUUID(), orderId, r.kind, request.idempotency_key, request.request_hash, r.payment_id, r.amount_minor, JSON.stringify(r.lines), r.release_promotions, r.target_status, request.requested_by, request.reason],
      );
      const reversal = reversalFromDb(inserted.rows[0]!);
      let now = order;
      if (r.move_to && r.move_to !== order.status) {
        const updated = await client.query<OrderRow>('UPDATE orders SET status = $2, version = version + 1, updated_at = now() WHERE id = $1 RETURNING *', [orderId, r.move_to]);
        now = fromDb(updated.rows[0]!);
        const topic = TOPIC_OF_STATUS[r.move_to];
        if (topic) await this.publish(client, topic, now);
      }
      await client.query('INSERT INTO order_events (order_id, from_status, to_status, event, detail) VALUES ($1, $2, $3, $4, $5)', [
        orderId, order.status, r.move_to && r.move_to !== order.status ? r.move_to : null, `${r.kind}_requested`,
        { reversal_id: reversal.id, by: request.requested_by, reason: request.reason, amount_minor: r.amount_minor, lines: r.lines },
      ]);
      return { ok: true, order: now, reversal, created: true };
    });
  }

  /** Writes an order event to the outbox in the caller's transaction (events/contract.ts). */
  private async publish(client: pg.PoolClient, topic: OrderTopic, order: OrderRow, lines?: OrderLine[]): Promise<void> {
    await enqueue(client, ORDER_SCHEMA, topic, { ...orderEventOf(order, lines ?? (await this.linesWith(client, order.id))) }, { entityKey: order.id });
  }

  private async linesWith(client: pg.PoolClient, id: string): Promise<OrderLine[]> {
    const { rows } = await client.query<OrderLine>(
      LINES_SQL,
      [id],
    );
    return rows;
  }

  async reversal(id: string): Promise<Reversal | undefined> {
    const { rows } = await this.pool.query<Reversal>('SELECT * FROM order_reversals WHERE id = $1', [id]);
    return rows[0] ? reversalFromDb(rows[0]) : undefined;
  }

  async reversals(orderId: string): Promise<Reversal[]> {
    const { rows } = await this.pool.query<Reversal>('SELECT * FROM order_reversals WHERE order_id = $1 ORDER BY created_at, id', [orderId]);
    return rows.map(reversalFromDb);
  }

  /** Takes a lease on an open reversal (one runner at a time; not a lock held across calls). */
  async claimReversal(id: string, leaseMs: number): Promise<Reversal | undefined> {
    const { rows } = await this.pool.query<Reversal>(
      `UPDATE order_reversals SET claimed_until = now() + make_interval(secs => $2::float8 / 1000)
       WHERE id = $1 AND completed_at IS NULL AND (claimed_until IS NULL OR claimed_until < now()) RETURNING *`,
      [id, leaseMs],
    );
    return rows[0] ? reversalFromDb(rows[0]) : undefined;
  }

  /** Records one step done (idempotent: a step recorded twice stays recorded once). */
  async reversalStepDone(id: string, step: 'refund' | 'restock' | 'release_promotions', sku?: string): Promise<void> {
    if (step === 'refund') await this.pool.query('UPDATE order_reversals SET refunded_at = coalesce(refunded_at, now()) WHERE id = $1', [id]);
    else if (step === 'release_promotions') await this.pool.query('UPDATE order_reversals SET promotions_released_at = coalesce(promotions_released_at, now()) WHERE id = $1', [id]);
    else await this.pool.query('UPDATE order_reversals SET restocked = array_append(restocked, $2) WHERE id = $1 AND NOT ($2 = ANY (restocked))', [id, sku]);
  }

  /** A step failed: the lease is given up and the next attempt waits (the recovery sweep picks it up). */
  async reversalFailed(id: string, error: string): Promise<void> {
    const { rows } = await this.pool.query<{ attempts: number }>('UPDATE order_reversals SET attempts = attempts + 1, last_error = $2, claimed_until = NULL WHERE id = $1 RETURNING attempts', [id, error.slice(0, 500)]);
    const attempts = rows[0]?.attempts ?? 1;
    await this.pool.query('UPDATE order_reversals SET next_attempt_at = now() + make_interval(secs => $2) WHERE id = $1', [id, retryDelaySeconds(attempts)]);
  }

  /**
   * Every step is done: in one transaction the reversal is completed, its refund added to the
   * order's `refunded_minor` and the order moved to where the reversal ends it (cancelling →
   * cancelled, → refunded), with the history line. A repeat finds it completed and changes nothing.
   */
  async completeReversal(id: string): Promise<OrderRow | undefined> {
    return inTransaction(this.pool, async (client) => {
      const found = await client.query<Reversal>('SELECT * FROM order_reversals WHERE id = $1', [id]);
      const r = found.rows[0] ? reversalFromDb(found.rows[0]) : undefined;
      if (!r) return undefined;
      const locked = await client.query<OrderRow>('SELECT * FROM orders WHERE id = $1 FOR UPDATE', [r.order_id]);
      const order = fromDb(locked.rows[0]!);
      const done = await client.query('UPDATE order_reversals SET completed_at = now(), claimed_until = NULL, last_error = NULL WHERE id = $1 AND completed_at IS NULL', [id]);
      if (!done.rowCount) return order;
      const to = r.target_status && r.target_status !== order.status && canMove(order.status, r.target_status) ? r.target_status : null;
      const updated = await client.query<OrderRow>(
        `UPDATE orders SET refunded_minor = refunded_minor + $2, status = coalesce($3, status), version = version + 1, updated_at = now() WHERE id = $1 RETURNING *`,
        [r.order_id, r.amount_minor, to],
      );
      await client.query('INSERT INTO order_events (order_id, from_status, to_status, event, detail) VALUES ($1, $2, $3, $4, $5)', [
        r.order_id, order.status, to, r.kind === 'cancel' ? 'cancelled_after_payment' : r.kind === 'refund' ? 'refunded' : 'returned',
        { reversal_id: r.id, refunded_minor: r.amount_minor, restocked: r.restocked, promotions_released: !!r.promotions_released_at },
      ]);
      const after = fromDb(updated.rows[0]!);
      // A cancel after payment is told as cancelled (its refund included); any other money back as refunded, in part or whole.
      if (to === 'cancelled') await this.publish(client, ORDER_TOPICS.cancelled, after);
      else if (r.amount_minor > 0 || to === 'refunded') await this.publish(client, ORDER_TOPICS.refunded, after);
      return after;
    });
  }

  /** Open reversals whose next attempt is due and that nobody holds. */
  async reversalsDue(limit = 50): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      `SELECT id FROM order_reversals WHERE completed_at IS NULL AND next_attempt_at <= now() AND (claimed_until IS NULL OR claimed_until < now())
       ORDER BY next_attempt_at LIMIT $1`,
      [limit],
    );
    return rows.map((r) => r.id);
  }

  /** Records that the saga runs (once), and on which workflow version when the caller knows it (a start does; finding a run started before does not). */
  async markWorkflowStarted(id: string, workflowName?: string): Promise<void> {
    await this.pool.query('UPDATE orders SET workflow_started_at = coalesce(workflow_started_at, now()), workflow_name = coalesce($2, workflow_name) WHERE id = $1', [id, workflowName ?? null]);
  }

  /** Orders whose saga was never started (the process stopped between the insert and the start). */
  async unstarted(olderThanSeconds: number, limit = 100): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      `SELECT id FROM orders WHERE workflow_started_at IS NULL AND status = 'pending' AND created_at < now() - make_interval(secs => $1) ORDER BY created_at LIMIT $2`,
      [olderThanSeconds, limit],
    );
    return rows.map((r) => r.id);
  }

  /** Orders awaiting payment, unchanged for `olderThanSeconds`, oldest first (payment reconciliation). */
  async awaitingPayment(olderThanSeconds: number, limit = 200): Promise<Array<{ id: string; payment_id: string; workflow_run: number }>> {
    const { rows } = await this.pool.query<{ id: string; payment_id: string; workflow_run: number }>(
      `SELECT id, payment_id, workflow_run FROM orders WHERE status = 'awaiting_payment' AND payment_id IS NOT NULL
         AND updated_at < now() - make_interval(secs => $1) ORDER BY updated_at LIMIT $2`,
      [olderThanSeconds, limit],
    );
    return rows;
  }

  /** Unsettled orders with a cancel asked for at least `olderThanSeconds` ago that has not ended them yet (recovery raises it again). */
  async standingCancels(olderThanSeconds: number, limit = 50): Promise<Array<{ id: string; workflow_run: number; detail: unknown }>> {
    const { rows } = await this.pool.query<{ id: string; workflow_run: number; detail: unknown }>(
      `SELECT o.id, o.workflow_run, e.detail FROM orders o
         JOIN LATERAL (SELECT detail FROM order_events WHERE order_id = o.id AND event = 'cancel_requested' AND at < now() - make_interval(secs => $1) ORDER BY id DESC LIMIT 1) e ON true
        WHERE o.status IN ('pending','reserved','awaiting_payment') AND o.workflow_started_at IS NOT NULL AND o.updated_at < now() - make_interval(secs => $1)
        ORDER BY o.updated_at LIMIT $2`,
      [olderThanSeconds, limit],
    );
    return rows;
  }

  /** Unsettled orders that have not moved for a while: their saga must be checked. */
  async stalled(olderThanSeconds: number, limit = 100, statuses: string[] = ['pending', 'reserved', 'awaiting_payment']): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      `SELECT id FROM orders WHERE status = ANY($3::text[]) AND workflow_started_at IS NOT NULL
         AND updated_at < now() - make_interval(secs => $1) ORDER BY updated_at LIMIT $2`,
      [olderThanSeconds, limit, statuses],
    );
    return rows.map((r) => r.id);
  }
}

/** An order event's payload: the order as stored (amounts already numbers: fromDb, LINES_SQL) and its lines. */
function orderEventOf(order: OrderRow, lines: OrderLine[]): OrderEventPayload {
  return {
    order_id: order.id,
    user_id: order.user_id,
    status: order.status,
    currency: order.currency,
    subtotal_minor: order.subtotal_minor,
    discount_minor: order.discount_minor,
    shipping_minor: order.shipping_minor,
    tax_minor: order.tax_minor ?? 0,
    total_minor: order.total_minor,
    refunded_minor: order.refunded_minor ?? 0,
    lines: lines.map((l) => ({ sku: l.sku, name: l.name, quantity: l.quantity, unit_price_minor: l.unit_price_minor, line_total_minor: l.line_total_minor })),
    reason: order.failure_reason,
    detail: order.failure_detail,
    version: order.version,
  };
}
