/**
 * Stock rules of one SKU, pure (no I/O): allocation of a reservation across locations, the
 * life of a reservation, and admin adjustments. The store applies what these decide inside a
 * transaction that holds the SKU's stock rows locked; the actor calls the store one turn at a time.
 */

/** One location's stock of a SKU. Invariants (also CHECK constraints): 0 ≤ reserved ≤ on_hand. */
export interface StockRow {
  location: string;
  on_hand: number;
  reserved: number;
}

export interface Allocation {
  location: string;
  quantity: number;
}

export type AllocationResult = { ok: true; allocations: Allocation[] } | { ok: false; available: number };

export const availableOf = (row: StockRow): number => row.on_hand - row.reserved;

/**
 * All or nothing: takes from the locations with the most available first (fewest splits),
 * ties broken by location name, so the same stock always gives the same allocation.
 */
export function allocate(rows: readonly StockRow[], quantity: number): AllocationResult {
  if (!Number.isSafeInteger(quantity) || quantity <= 0) throw new RangeError(`quantity must be a positive integer, got ${quantity}`);
  const candidates = rows
    .filter((r) => availableOf(r) > 0)
    .sort((a, b) => availableOf(b) - availableOf(a) || (a.location < b.location ? -1 : a.location > b.location ? 1 : 0));
  const available = candidates.reduce((sum, r) => sum + availableOf(r), 0);
  if (available < quantity) return { ok: false, available };
  const allocations: Allocation[] = [];
  let left = quantity;
  for (const row of candidates) {
    if (left === 0) break;
    const take = Math.min(left, availableOf(row));
    allocations.push({ location: row.location, quantity: take });
    left -= take;
  }
  return { ok: true, allocations };
}

export type ReservationStatus = 'active' | 'committed' | 'released' | 'expired';
export type ReservationAction = 'commit' | 'release' | 'expire';

/**
 * What an action does to a reservation in `status`:
 * - `to`: the status to move the reservation to (stock changes with it), or none;
 * - `outcome`: what the caller is told: done (possibly a no-op repeat) or refused with a reason.
 * The deadline is authoritative: a commit that arrives after `expires_at` finds the reservation
 * expired even if the expiry reminder has not fired yet (it expires it then and there).
 */
export type Decision =
  | { to?: ReservationStatus; outcome: 'done' }
  | { to?: ReservationStatus; outcome: 'refused'; reason: 'expired' | 'released' | 'committed' };

export function decide(status: ReservationStatus, action: ReservationAction, pastDeadline: boolean): Decision {
  switch (action) {
    case 'commit':
      if (status === 'active') return pastDeadline ? { to: 'expired', outcome: 'refused', reason: 'expired' } : { to: 'committed', outcome: 'done' };
      if (status === 'committed') return { outcome: 'done' };
      return { outcome: 'refused', reason: status };
    case 'release':
      if (status === 'active') return { to: 'released', outcome: 'done' };
      if (status === 'committed') return { outcome: 'refused', reason: 'committed' };
      return { outcome: 'done' }; // already released or expired: nothing is held any more
    case 'expire':
      return status === 'active' ? { to: 'expired', outcome: 'done' } : { outcome: 'done' };
  }
}

/** Stock deltas of leaving `active` for `to`, for one reserved line of `quantity`. */
export function deltasFor(to: ReservationStatus, quantity: number): { on_hand: number; reserved: number } {
  if (to === 'committed') return { on_hand: -quantity, reserved: -quantity };
  if (to === 'released' || to === 'expired') return { on_hand: 0, reserved: -quantity };
  throw new RangeError(`no transition from active to ${to}`);
}

export type AdjustmentCheck = { ok: true; on_hand: number } | { ok: false; reason: 'below_reserved'; on_hand: number; reserved: number };

/** An adjustment may take on_hand down to what is reserved there, never below (nor below 0). */
export function checkAdjustment(row: StockRow | undefined, delta: number): AdjustmentCheck {
  const current = row ?? { on_hand: 0, reserved: 0 };
  const next = current.on_hand + delta;
  if (next < current.reserved || next < 0) return { ok: false, reason: 'below_reserved', on_hand: current.on_hand, reserved: current.reserved };
  return { ok: true, on_hand: next };
}

export interface Availability {
  sku: string;
  on_hand: number;
  reserved: number;
  available: number;
  locations: Array<{ location: string; on_hand: number; reserved: number; available: number }>;
}

/** Totals and per-location figures, locations in name order. */
export function summarize(sku: string, rows: readonly StockRow[]): Availability {
  const locations = [...rows]
    .sort((a, b) => (a.location < b.location ? -1 : a.location > b.location ? 1 : 0))
    .map((r) => ({ location: r.location, on_hand: r.on_hand, reserved: r.reserved, available: availableOf(r) }));
  const sum = (pick: (l: (typeof locations)[number]) => number) => locations.reduce((total, l) => total + pick(l), 0);
  return { sku, on_hand: sum((l) => l.on_hand), reserved: sum((l) => l.reserved), available: sum((l) => l.available), locations };
}

/**
 * The id of an adjustment sent with an Idempotency-Key: the same (caller, SKU, key) always gives
 * the same id, so a client's retry (and any sidecar retry of it) is applied once. Shaped as a
 * version-8 (custom) UUID, like the order service's order ids.
 */
export function adjustmentIdFor(callerId: string, sku: string, idempotencyKey: string, hash: (text: string) => string): string {
  const h = hash(`adjustment\0${callerId}\0${sku}\0${idempotencyKey}`);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface AdjustmentRequest {
  sku: string;
  location: string;
  delta: number;
  reason: string;
}

/** A repeat of an adjustment id must be the same request; the same id with another is refused. */
export function sameAdjustment(first: AdjustmentRequest, repeat: AdjustmentRequest): boolean {
  return first.sku === repeat.sku && first.location === repeat.location && first.delta === repeat.delta && first.reason === repeat.reason;
}

export type ReturnPlan =
  | { ok: true; allocations: Allocation[] }
  | { ok: false; reason: 'not_committed' }
  | { ok: false; reason: 'exceeds_committed'; committed: number; returned: number };

const total = (lines: readonly Allocation[]) => lines.reduce((sum, l) => sum + l.quantity, 0);

/**
 * Where a return of `quantity` for an order goes. `committed`: what the order's commit took from
 * each location, in the original allocation's order; `returned`: what it has had back already.
 * Refused when nothing was committed, or when more comes back than was committed less what was
 * returned. To `location` when one is given; else back where it came from, location by location
 * in the original order, each up to what it gave less what it has had back.
 */
export function planReturn(committed: readonly Allocation[], returned: readonly Allocation[], quantity: number, location?: string): ReturnPlan {
  if (!Number.isSafeInteger(quantity) || quantity <= 0) throw new RangeError(`quantity must be a positive integer, got ${quantity}`);
  const committedTotal = total(committed);
  if (committedTotal <= 0) return { ok: false, reason: 'not_committed' };
  const returnedTotal = total(returned);
  if (quantity > committedTotal - returnedTotal) return { ok: false, reason: 'exceeds_committed', committed: committedTotal, returned: returnedTotal };
  if (location !== undefined) return { ok: true, allocations: [{ location, quantity }] };
  const gave = new Map<string, number>();
  for (const l of committed) gave.set(l.location, (gave.get(l.location) ?? 0) + l.quantity);
  for (const l of returned) if (gave.has(l.location)) gave.set(l.location, gave.get(l.location)! - l.quantity);
  const allocations: Allocation[] = [];
  let left = quantity;
  for (const [at, open] of gave) {
    if (left === 0) break;
    const take = Math.min(left, Math.max(0, open));
    if (take > 0) allocations.push({ location: at, quantity: take });
    left -= take;
  }
  // Earlier returns sent elsewhere lower the total but not a location's share, so this is unreachable;
  // kept as a guard so a plan never returns less than asked.
  if (left > 0) return { ok: false, reason: 'exceeds_committed', committed: committedTotal, returned: returnedTotal };
  return { ok: true, allocations };
}
