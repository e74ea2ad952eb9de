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
