import type pg from 'pg';
import { inTransaction, type Queryable } from '../../../../kernel/store/pg';
import { enqueue } from '../../../../kernel/store/outbox';
import {
  allocate, checkAdjustment, decide, deltasFor, planReturn, sameAdjustment, summarize,
  type Allocation, type Availability, type ReservationAction, type ReservationStatus, type StockRow,
} from '../domain/stock';
import type { AdjustInput, ReserveInput, ReturnInput } from '../domain/commands';
import { STOCK_TOPICS } from '../events/contract';

export type { Availability } from '../domain/stock';

/** The inventory's PostgreSQL schema. */
export const INVENTORY_SCHEMA = 'inventory';

/** Who wrote a ledger line when no person did (the order saga through the actor, the expiry reminder). */
export const SYSTEM_ACTOR = 'system';

export interface Reservation {
  order_id: string;
  sku: string;
  quantity: number;
  status: ReservationStatus;
  expires_at: string;
  allocations: Allocation[];
}

export type ReserveResult =
  | { ok: true; replayed: boolean; reservation: Reservation; availability: Availability }
  | { ok: false; reason: 'insufficient_stock'; available: number }
  | { ok: false; reason: 'expired' | 'released'; reservation: Reservation }
  /** The order's release arrived first (a tombstone): this late reserve holds nothing. */
  | { ok: false; reason: 'released'; order_id: string; sku: string; released_at: string };

export type TransitionResult =
  | { ok: true; replayed: boolean; reservation: Reservation }
  | { ok: false; reason: 'not_found'; tombstone?: boolean }
  | { ok: false; reason: 'expired' | 'released' | 'committed'; reservation: Reservation };

/** What the first call with an adjustment id answered; repeats get it again with replayed: true. */
export type AdjustOutcome =
  | { ok: true; adjustment_id: string; ledger_id: number; availability: Availability }
  | { ok: false; reason: 'below_reserved'; adjustment_id: string; location: string; on_hand: number; reserved: number };

export type AdjustResult =
  | (AdjustOutcome & { replayed: boolean })
  /** The id was used before for another adjustment (another location, delta or reason). */
  | { ok: false; reason: 'adjustment_id_reused'; adjustment_id: string };

export interface StockReturn {
  order_id: string;
  sku: string;
  quantity: number;
  allocations: Allocation[];
  ledger_ids: number[];
  availability: Availability;
  returned_at: string;
}

export type ReturnResult =
  | { ok: true; replayed: boolean; return: StockReturn }
  | { ok: false; reason: 'unknown_sku'; sku: string }
  | { ok: false; reason: 'not_committed'; order_id: string; sku: string }
  | { ok: false; reason: 'exceeds_committed'; order_id: string; sku: string; quantity: number; committed: number; returned: number };

export interface LedgerEntry {
  id: number;
  sku: string;
  location: string;
  delta_on_hand: number;
  delta_reserved: number;
  reason: string;
  order_id: string | null;
  actor: string;
  created_at: Date;
}

interface ReservationRow {
  location: string;
  quantity: number;
  status: ReservationStatus;
  expires_at: Date;
  past_deadline: boolean;
}

interface Delta {
  location: string;
  on_hand: number;
  reserved: number;
}

/**
 * Everything that reads or changes stock. Every change is one transaction that first locks all
 * of the SKU's stock rows (`FOR UPDATE`, in location order: a fixed order, so two writers of
 * the same SKU can never deadlock), decides with the pure rules of domain/stock.ts, then writes
 * the rows, the reservation, one ledger line per location touched and one
 * `inventory.stock.changed` event to the outbox. The actor serialises calls per SKU; the row
 * lock is the second layer that keeps this correct even if two hosts briefly run the same actor
 * (placement rebalancing), and the CHECK constraints are the last one.
 */
export class StockStore {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * The SKU's figures and `seq`, the id of its newest ledger line (0: never changed). Every change
   * writes ledger lines under the SKU's row locks, so `seq` grows with each change of the SKU:
   * readers elsewhere (search) keep the figures with the highest seq. One statement, one snapshot,
   * so the figures and their seq always belong together.
   */
  async availability(sku: string, client: Queryable = this.pool): Promise<Availability & { seq: number }> {
    const { rows } = await client.query<{ seq: string; stock: StockRow[] }>(
      `SELECT (SELECT coalesce(max(id), 0) FROM ledger WHERE sku = $1) AS seq,
              coalesce((SELECT json_agg(json_build_object('location', location, 'on_hand', on_hand, 'reserved', reserved) ORDER BY location)
                          FROM stock_levels WHERE sku = $1), '[]'::json) AS stock`,
      [sku],
    );
    return { ...summarize(sku, rows[0]!.stock), seq: Number(rows[0]!.seq) };
  }

  async reserve(sku: string, input: ReserveInput): Promise<ReserveResult> {
    // Fast refusal without a transaction: when this order holds nothing here and too little is
    // available, no lock can change the answer (a stale read could only refuse, never oversell).
    // On a sold-out hot SKU this is most calls: one round trip instead of four.
    const { rows: peek } = await this.pool.query<{ held: boolean; released_at: Date | null; available: number }>(
      `SELECT EXISTS (SELECT 1 FROM reservations WHERE order_id = $2 AND sku = $1) AS held,
              (SELECT released_at FROM release_tombstones WHERE order_id = $2 AND sku = $1) AS released_at,
              coalesce((SELECT sum(on_hand - reserved) FROM stock_levels WHERE sku = $1), 0)::int AS available`,
      [sku, input.order_id],
    );
    // Released before it was reserved (the saga's compensation overtook this call): refused for good.
    if (peek[0]!.released_at) return { ok: false, reason: 'released', order_id: input.order_id, sku, released_at: new Date(peek[0]!.released_at).toISOString() };
    if (!peek[0]!.held && peek[0]!.available < input.quantity) return { ok: false, reason: 'insufficient_stock', available: peek[0]!.available };
    return inTransaction(this.pool, async (client) => {
      const stock = await this.lockStock(client, sku);
      const tombstone = await this.tombstone(client, sku, input.order_id);
      if (tombstone) return { ok: false, reason: 'released', order_id: input.order_id, sku, released_at: tombstone };
      const existing = await this.reservationRows(client, sku, input.order_id);
      if (existing.length) {
        // Idempotent by order id: a repeat gets the reservation as it is, whatever was asked.
        const reservation = present(sku, input.order_id, existing);
        if (reservation.status === 'expired' || reservation.status === 'released') return { ok: false, reason: reservation.status, reservation };
        return { ok: true, replayed: true, reservation, availability: summarize(sku, stock) };
      }
      const allocation = allocate(stock, input.quantity);
      if (!allocation.ok) return { ok: false, reason: 'insufficient_stock', available: allocation.available };
      const { rows } = await client.query<ReservationRow>(
        `INSERT INTO reservations (order_id, sku, location, quantity, status, expires_at)
         SELECT $1, $2, a.location, a.quantity, 'active', now() + make_interval(secs => $5)
           FROM unnest($3::text[], $4::int[]) AS a(location, quantity)
         RETURNING location, quantity, status, expires_at, false AS past_deadline`,
        [input.order_id, sku, allocation.allocations.map((a) => a.location), allocation.allocations.map((a) => a.quantity), input.ttl_seconds],
      );
      const deltas = allocation.allocations.map((a) => ({ location: a.location, on_hand: 0, reserved: a.quantity }));
      const { availability } = await this.apply(client, sku, stock, deltas, { cause: 'reserve', order_id: input.order_id, actor: SYSTEM_ACTOR });
      return { ok: true, replayed: false, reservation: present(sku, input.order_id, rows), availability };
    });
  }

  /** commit, release or expire one order's reservation of this SKU (see domain `decide`). */
  async transition(sku: string, orderId: string, action: ReservationAction): Promise<TransitionResult> {
    return inTransaction(this.pool, async (client) => {
      const stock = await this.lockStock(client, sku);
      const rows = await this.reservationRows(client, sku, orderId);
      if (!rows.length) {
        if (action !== 'release') return { ok: false, reason: 'not_found' };
        // Release before reserve: a reserve still queued behind this SKU's actor must not hold
        // stock after the saga gave up on it, so the release leaves a tombstone that refuses it.
        await client.query('INSERT INTO release_tombstones (order_id, sku) VALUES ($1, $2) ON CONFLICT DO NOTHING', [orderId, sku]);
        return { ok: false, reason: 'not_found', tombstone: true };
      }
      const before = present(sku, orderId, rows);
      const decision = decide(before.status, action, rows.some((r) => r.past_deadline));
      let reservation = before;
      if (decision.to) {
        const to = decision.to;
        await client.query("UPDATE reservations SET status = $3, updated_at = now() WHERE order_id = $1 AND sku = $2 AND status = 'active'", [orderId, sku, to]);
        const deltas = rows.map((r) => ({ location: r.location, ...deltasFor(to, r.quantity) }));
        await this.apply(client, sku, stock, deltas, { cause: to === 'committed' ? 'commit' : to === 'released' ? 'release' : 'expire', order_id: orderId, actor: SYSTEM_ACTOR });
        reservation = { ...before, status: to };
      }
      if (decision.outcome === 'refused') return { ok: false, reason: decision.reason, reservation };
      return { ok: true, replayed: !decision.to, reservation };
    });
  }

  /**
   * Applies an adjustment once per `adjustment_id`. The id is claimed first, in the ledger's
   * transaction (primary key, ON CONFLICT DO NOTHING): a repeat (a sidecar retry of a timed-out
   * call, still running or long done) waits for the first to commit, finds its id taken and gets
   * the first result, refusals included, changing nothing.
   */
  async adjust(sku: string, input: AdjustInput): Promise<AdjustResult> {
    return inTransaction(this.pool, async (client) => {
      const stock = await this.lockStock(client, sku);
      const claimed = await client.query(
        `INSERT INTO adjustments (adjustment_id, sku, location, delta, reason, actor) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (adjustment_id) DO NOTHING`,
        [input.adjustment_id, sku, input.location, input.delta, input.reason, input.actor],
      );
      if (!claimed.rowCount) {
        const { rows } = await client.query<{ sku: string; location: string; delta: number; reason: string; result: AdjustOutcome | null }>(
          'SELECT sku, location, delta, reason, result FROM adjustments WHERE adjustment_id = $1',
          [input.adjustment_id],
        );
        const first = rows[0];
        if (!first?.result || !sameAdjustment(first, { sku, location: input.location, delta: input.delta, reason: input.reason })) {
          return { ok: false, reason: 'adjustment_id_reused', adjustment_id: input.adjustment_id };
        }
        return { ...first.result, replayed: true };
      }
      const outcome = await this.applyAdjustment(client, sku, stock, input);
      await client.query('UPDATE adjustments SET result = $2 WHERE adjustment_id = $1', [input.adjustment_id, JSON.stringify(outcome)]);
      return { ...outcome, replayed: false };
    });
  }

  private async applyAdjustment(client: Queryable, sku: string, stock: StockRow[], input: AdjustInput): Promise<AdjustOutcome> {
    const row = stock.find((r) => r.location === input.location);
    const check = checkAdjustment(row, input.delta);
    if (!check.ok) return { ok: false, reason: check.reason, adjustment_id: input.adjustment_id, location: input.location, on_hand: check.on_hand, reserved: check.reserved };
    if (!row) await this.addLocation(client, sku, stock, input.location);
    const { availability, ledgerIds } = await this.apply(client, sku, stock, [{ location: input.location, on_hand: input.delta, reserved: 0 }], {
      cause: 'adjustment', reason: `adjustment: ${input.reason}`, actor: input.actor,
    });
    return { ok: true, adjustment_id: input.adjustment_id, ledger_id: ledgerIds[0]!, availability };
  }

  /**
   * Puts stock an order committed back on hand (a return, a cancel after payment). Idempotent
   * by (sku, order_id): the first answer is kept and a repeat gets it, whatever it asks. What
   * the order committed and had back already comes from the ledger (its `commit` and `return`
   * lines), in the original allocation's order.
   */
  async restock(sku: string, input: ReturnInput, actor: string = SYSTEM_ACTOR): Promise<ReturnResult> {
    return inTransaction(this.pool, async (client) => {
      const stock = await this.lockStock(client, sku);
      const { rows: done } = await client.query<{ result: StockReturn }>('SELECT result FROM returns WHERE order_id = $1 AND sku = $2', [input.order_id, sku]);
      if (done[0]) return { ok: true, replayed: true, return: done[0].result };
      if (!stock.length) return { ok: false, reason: 'unknown_sku', sku };
      const { rows: lines } = await client.query<{ location: string; quantity: number; reason: string }>(
        // Commit lines are written in location order; the allocation's order (most available
        // first) is that of the reserve lines, so each location sorts by its reserve line.
        `SELECT l.location, l.reason, (CASE WHEN l.reason = 'commit' THEN -l.delta_on_hand ELSE l.delta_on_hand END)::int AS quantity
           FROM ledger l
           LEFT JOIN LATERAL (SELECT min(r.id) AS at FROM ledger r
                               WHERE r.order_id = l.order_id AND r.sku = l.sku AND r.location = l.location AND r.reason = 'reserve') o ON true
          WHERE l.order_id = $1 AND l.sku = $2 AND l.reason IN ('commit', 'return')
          ORDER BY o.at NULLS LAST, l.id`,
        [input.order_id, sku],
      );
      const pick = (reason: string) => lines.filter((l) => l.reason === reason).map((l) => ({ location: l.location, quantity: l.quantity }));
      const plan = planReturn(pick('commit'), pick('return'), input.quantity, input.location);
      if (!plan.ok) {
        return plan.reason === 'not_committed'
          ? { ok: false, reason: 'not_committed', order_id: input.order_id, sku }
          : { ok: false, reason: 'exceeds_committed', order_id: input.order_id, sku, quantity: input.quantity, committed: plan.committed, returned: plan.returned };
      }
      for (const a of plan.allocations) if (!stock.some((r) => r.location === a.location)) await this.addLocation(client, sku, stock, a.location);
      const deltas = plan.allocations.map((a) => ({ location: a.location, on_hand: a.quantity, reserved: 0 }));
      const { availability, ledgerIds } = await this.apply(client, sku, stock, deltas, { cause: 'return', order_id: input.order_id, actor });
      const result: StockReturn = {
        order_id: input.order_id, sku, quantity: input.quantity, allocations: plan.allocations, ledger_ids: ledgerIds, availability,
        returned_at: new Date().toISOString(),
      };
      await client.query('INSERT INTO returns (order_id, sku, quantity, result) VALUES ($1, $2, $3, $4)', [input.order_id, sku, input.quantity, JSON.stringify(result)]);
      return { ok: true, replayed: false, return: result };
    });
  }

  /** A new location starts empty (the caller's ledger line brings it to its first stock); added to the locked rows. */
  private async addLocation(client: Queryable, sku: string, stock: StockRow[], location: string): Promise<void> {
    await client.query('INSERT INTO stock_levels (sku, location, on_hand, reserved) VALUES ($1, $2, 0, 0)', [sku, location]);
    stock.push({ location, on_hand: 0, reserved: 0 });
  }

  private async tombstone(client: Queryable, sku: string, orderId: string): Promise<string | undefined> {
    const { rows } = await client.query<{ released_at: Date }>('SELECT released_at FROM release_tombstones WHERE order_id = $1 AND sku = $2', [orderId, sku]);
    return rows[0] ? new Date(rows[0].released_at).toISOString() : undefined;
  }

  /** Active reservations whose deadline passed some time ago: a reminder that never came. */
  async overdue(graceSeconds: number, limit: number): Promise<Array<{ sku: string; order_id: string }>> {
    const { rows } = await this.pool.query<{ sku: string; order_id: string }>(
      `SELECT DISTINCT sku, order_id FROM reservations
        WHERE status = 'active' AND expires_at < now() - make_interval(secs => $1) LIMIT $2`,
      [graceSeconds, limit],
    );
    return rows;
  }

  async reservation(sku: string, orderId: string): Promise<Reservation | undefined> {
    const rows = await this.reservationRows(this.pool, sku, orderId);
    return rows.length ? present(sku, orderId, rows) : undefined;
  }

  /** The SKU's ledger in order, after the line `afterId`. */
  async ledger(sku: string, afterId: number, limit: number): Promise<LedgerEntry[]> {
    const { rows } = await this.pool.query<LedgerEntry>(
      `SELECT id, sku, location, delta_on_hand, delta_reserved, reason, order_id, actor, created_at
         FROM ledger WHERE sku = $1 AND id > $2 ORDER BY id LIMIT $3`,
      [sku, afterId, limit],
    );
    return rows;
  }

  /** Locks every stock row of the SKU, in location order (the one lock order: no deadlocks). */
  private async lockStock(client: Queryable, sku: string): Promise<StockRow[]> {
    const { rows } = await client.query<StockRow>('SELECT location, on_hand, reserved FROM stock_levels WHERE sku = $1 ORDER BY location FOR UPDATE', [sku]);
    return rows;
  }

  private async reservationRows(client: Queryable, sku: string, orderId: string): Promise<ReservationRow[]> {
    const { rows } = await client.query<ReservationRow>(
      `SELECT location, quantity, status, expires_at, expires_at <= now() AS past_deadline
         FROM reservations WHERE order_id = $1 AND sku = $2 ORDER BY location`,
      [orderId, sku],
    );
    return rows;
  }

  /**
   * Applies per-location deltas to the locked rows, appends the ledger lines, and enqueues the
   * stock event: one statement for rows and ledger, then the outbox. Returns the new figures.
   */
  private async apply(
    client: Queryable,
    sku: string,
    locked: StockRow[],
    deltas: Delta[],
    meta: { cause: string; reason?: string; order_id?: string; actor: string },
  ): Promise<{ availability: Availability; ledgerIds: number[] }> {
    const { rows } = await client.query<{ id: number }>(
      `WITH d AS (SELECT * FROM unnest($2::text[], $3::int[], $4::int[]) AS d(location, on_hand, reserved)),
            u AS (UPDATE stock_levels s SET on_hand = s.on_hand + d.on_hand, reserved = s.reserved + d.reserved
                    FROM d WHERE s.sku = $1 AND s.location = d.location RETURNING s.location)
       INSERT INTO ledger (sku, location, delta_on_hand, delta_reserved, reason, order_id, actor)
       SELECT $1, d.location, d.on_hand, d.reserved, $5, $6, $7 FROM d
       RETURNING id`,
      [sku, deltas.map((d) => d.location), deltas.map((d) => d.on_hand), deltas.map((d) => d.reserved), meta.reason ?? meta.cause, meta.order_id ?? null, meta.actor],
    );
    const after = locked.map((row) => {
      const change = deltas.filter((d) => d.location === row.location);
      return change.reduce((r, d) => ({ ...r, on_hand: r.on_hand + d.on_hand, reserved: r.reserved + d.reserved }), row);
    });
    const availability = summarize(sku, after);
    // seq: this change's newest ledger line (bigserial, read as a string), what availability() reports as seq.
    const seq = Math.max(...rows.map((r) => Number(r.id)));
    await enqueue(client, INVENTORY_SCHEMA, STOCK_TOPICS.changed, { ...availability, seq, cause: meta.cause, occurred_at: new Date().toISOString() });
    return { availability, ledgerIds: rows.map((r) => r.id) };
  }
}

function present(sku: string, orderId: string, rows: ReservationRow[]): Reservation {
  // All lines of one order's reservation move together, so they share a status and deadline.
  const first = rows[0]!;
  return {
    order_id: orderId,
    sku,
    quantity: rows.reduce((sum, r) => sum + r.quantity, 0),
    status: first.status,
    expires_at: new Date(first.expires_at).toISOString(),
    allocations: rows.map((r) => ({ location: r.location, quantity: r.quantity })),
  };
}
