/**
 * An in-memory OrderStore for unit tests: the real state machine and the same reversal rules
 * as the SQL store (a repeat gets the reversal already there, one open reversal per order, the
 * plan decides on the order as it is, the order moves with the reversal's opening and
 * completion). `onLock` runs where the SQL store would take the order's row lock.
 */
import { randomUUID } from 'node:crypto';
import { canMove, type OrderStatus } from '../src/domain/status';
import type { OrderLine } from '../src/domain/pricing';
import type { Reversal } from '../src/domain/reversal';
import type { MoveResult, OpenedReversal, OrderEvent, OrderRow, ReversalRequest } from '../src/store/orders';

export function fakeOrderRow(status: OrderStatus, extra: Partial<OrderRow> = {}): OrderRow {
  const now = new Date();
  return {
    id: randomUUID(), user_id: randomUUID(), status, currency: 'USD', subtotal_minor: 1000, discount_minor: 0, shipping_minor: 0, total_minor: 1000,
    coupon_codes: [], discounts: [], shipping_address: {}, payment_id: status === 'pending' || status === 'reserved' ? null : randomUUID(),
    payment_intent_id: null, client_secret: null, failure_reason: null, failure_detail: null, idempotency_key: null, request_hash: null,
    version: 1, workflow_started_at: now, workflow_run: 1, workflow_name: null, paid_at: null, refunded_minor: 0, created_at: now, updated_at: now, ...extra,
  };
}

export class FakeOrderStore {
  rows = new Map<string, OrderRow>();
  events = new Map<string, OrderEvent[]>();
  orderLines = new Map<string, OrderLine[]>();
  reversalRows = new Map<string, Reversal>();
  /** Runs where the SQL store locks the order row (a concurrent move in a test). */
  onLock: (id: string) => void = () => {};

  add(row: OrderRow, lines: OrderLine[] = []): OrderRow {
    this.rows.set(row.id, row);
    this.events.set(row.id, []);
    this.orderLines.set(row.id, lines);
    return row;
  }
  async byId(id: string) {
    const row = this.rows.get(id);
    return row ? { ...row } : undefined;
  }
  async lines(id: string) {
    return this.orderLines.get(id) ?? [];
  }
  async history(id: string) {
    return this.events.get(id) ?? [];
  }
  async note(id: string, event: string, detail?: unknown) {
    this.events.get(id)?.push({ from_status: null, to_status: null, event, detail: detail ?? null, at: new Date() });
  }
  async markWorkflowStarted(id: string) {
    const row = this.rows.get(id)!;
    row.workflow_started_at ??= new Date();
  }
  async move(id: string, to: OrderStatus, event = 'moved'): Promise<MoveResult> {
    this.onLock(id);
    const row = this.rows.get(id);
    if (!row) return { ok: false, order: undefined };
    if (row.status === to) return { ok: true, order: { ...row }, changed: false };
    if (!canMove(row.status, to)) return { ok: false, order: { ...row } };
    this.events.get(id)!.push({ from_status: row.status, to_status: to, event, detail: null, at: new Date() });
    row.status = to;
    row.version += 1;
    return { ok: true, order: { ...row }, changed: true };
  }
  async unstarted() {
    return [...this.rows.values()].filter((r) => !r.workflow_started_at && r.status === 'pending').map((r) => r.id);
  }
  /** Orders the tests call unchanged for long enough (the real query's age is not modelled): only these are ever stalled. */
  readonly quiet = new Set<string>();
  async stalled(_olderThanSeconds?: number, _limit?: number, statuses = ['pending', 'reserved', 'awaiting_payment']) {
    return [...this.quiet].filter((id) => {
      const r = this.rows.get(id);
      return r && r.workflow_started_at && statuses.includes(r.status);
    });
  }
  async nextWorkflowRun(id: string) {
    const row = this.rows.get(id)!;
    row.workflow_run += 1;
    return row.workflow_run;
  }
  /** Every unsettled, started order with a recorded cancel (the age the real query asks for is not modelled). */
  async standingCancels() {
    return [...this.rows.values()]
      .filter((r) => ['pending', 'reserved', 'awaiting_payment'].includes(r.status) && r.workflow_started_at)
      .flatMap((r) => {
        const asked = (this.events.get(r.id) ?? []).filter((e) => e.event === 'cancel_requested').pop();
        return asked ? [{ id: r.id, workflow_run: r.workflow_run, detail: asked.detail }] : [];
      });
  }

  async openReversal(orderId: string, request: ReversalRequest): Promise<OpenedReversal> {
    this.onLock(orderId);
    const row = this.rows.get(orderId);
    if (!row) return { ok: false, order: undefined, status: 404, code: 'not_found', detail: 'no order' };
    const order = { ...row };
    const earlier = [...this.reversalRows.values()].filter((r) => r.order_id === orderId).map((r) => ({ ...r }));
    const same = request.idempotency_key
      ? earlier.find((r) => r.idempotency_key === request.idempotency_key)
      : request.kind === 'cancel' || request.kind === 'refund' ? earlier.find((r) => r.kind === 'cancel' || r.kind === 'refund') : undefined;
    if (same) {
      if (request.idempotency_key && same.request_hash !== request.request_hash) return { ok: false, order, status: 422, code: 'key_reused', detail: 'key reused', reversal: same };
      return { ok: true, order, reversal: same, created: false };
    }
    const open = earlier.find((r) => !r.completed_at);
    if (open) return { ok: false, order, status: 409, code: 'reversal_in_progress', detail: 'in progress', reversal: open };
    const plan = request.plan(order, this.orderLines.get(orderId) ?? [], earlier);
    if (!plan.ok) return { ok: false, order, status: plan.status, code: plan.code, detail: plan.detail };
    const { move_to, ...rest } = plan.reversal;
    const reversal: Reversal = {
      id: randomUUID(), order_id: orderId, idempotency_key: request.idempotency_key, request_hash: request.request_hash, ...rest,
      refunded_at: null, restocked: [], promotions_released_at: null, completed_at: null, attempts: 0, last_error: null,
      requested_by: request.requested_by, reason: request.reason, created_at: new Date(),
    };
    this.reversalRows.set(reversal.id, reversal);
    if (move_to && move_to !== row.status) {
      this.events.get(orderId)!.push({ from_status: row.status, to_status: move_to, event: `${rest.kind}_requested`, detail: null, at: new Date() });
      row.status = move_to;
      row.version += 1;
    }
    return { ok: true, order: { ...row }, reversal: { ...reversal }, created: true };
  }
  async reversal(id: string) {
    const r = this.reversalRows.get(id);
    return r ? { ...r, restocked: [...r.restocked] } : undefined;
  }
  async reversals(orderId: string) {
    return [...this.reversalRows.values()].filter((r) => r.order_id === orderId).map((r) => ({ ...r }));
  }
  claimed = new Set<string>();
  async claimReversal(id: string) {
    const r = this.reversalRows.get(id);
    if (!r || r.completed_at || this.claimed.has(id)) return undefined;
    this.claimed.add(id);
    return { ...r, restocked: [...r.restocked] };
  }
  async reversalStepDone(id: string, step: 'refund' | 'restock' | 'release_promotions', sku?: string) {
    const r = this.reversalRows.get(id)!;
    if (step === 'refund') r.refunded_at ??= new Date();
    else if (step === 'release_promotions') r.promotions_released_at ??= new Date();
    else if (!r.restocked.includes(sku!)) r.restocked.push(sku!);
  }
  async reversalFailed(id: string, error: string) {
    const r = this.reversalRows.get(id)!;
    r.attempts += 1;
    r.last_error = error;
    this.claimed.delete(id);
  }
  /** The lease of a runner that died runs out. */
  expireLeases() {
    this.claimed.clear();
  }
  async completeReversal(id: string) {
    const r = this.reversalRows.get(id)!;
    this.onLock(r.order_id);
    const row = this.rows.get(r.order_id)!;
    if (r.completed_at) return { ...row };
    r.completed_at = new Date();
    this.claimed.delete(id);
    row.refunded_minor += r.amount_minor;
    if (r.target_status && r.target_status !== row.status && canMove(row.status, r.target_status)) {
      this.events.get(row.id)!.push({ from_status: row.status, to_status: r.target_status, event: r.kind, detail: null, at: new Date() });
      row.status = r.target_status;
    }
    row.version += 1;
    return { ...row };
  }
  async reversalsDue() {
    return [...this.reversalRows.values()].filter((r) => !r.completed_at && !this.claimed.has(r.id)).map((r) => r.id);
  }
}
