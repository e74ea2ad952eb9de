/**
 * Giving an order back after payment — a cancel, a full refund or a return of some lines — is
 * one kind of job, a **reversal**, with three idempotent steps: refund the payment (its share),
 * restock the lines chosen, release the coupon uses (cancels only). A reversal is written in the
 * same transaction that locks the order row and moves it (paid → cancelling for a cancel), so
 * the intent survives any crash; each step is recorded on the reversal as it is done, and the
 * order moves on (cancelling → cancelled, or → refunded) only once every step is done.
 *
 * Pure rules only: what a request becomes given the order, its lines and earlier reversals.
 */
import type { OrderLine } from './pricing';
import type { OrderStatus } from './status';

export type ReversalKind = 'cancel' | 'refund' | 'return';

export interface ReversalLine {
  sku: string;
  quantity: number;
  /** Put back on hand (inventory `POST /internal/inventory/:sku/returns`). */
  restock: boolean;
}

export interface Reversal {
  id: string;
  order_id: string;
  kind: ReversalKind;
  idempotency_key: string | null;
  request_hash: string | null;
  payment_id: string | null;
  /** What this reversal refunds, in minor units (0: nothing to refund). */
  amount_minor: number;
  lines: ReversalLine[];
  release_promotions: boolean;
  /** Where the order goes when the reversal is done (none: it stays where it is). */
  target_status: OrderStatus | null;
  refunded_at: Date | null;
  /** SKUs already put back. */
  restocked: string[];
  promotions_released_at: Date | null;
  completed_at: Date | null;
  attempts: number;
  last_error: string | null;
  requested_by: string;
  reason: string | null;
  created_at: Date;
}

export type Step = { step: 'refund' } | { step: 'restock'; sku: string; quantity: number } | { step: 'release_promotions' } | { step: 'complete' };

/** The next step a reversal still has to do (steps are done in this order; each is idempotent). */
export function nextStep(r: Pick<Reversal, 'amount_minor' | 'payment_id' | 'refunded_at' | 'lines' | 'restocked' | 'release_promotions' | 'promotions_released_at'>): Step {
  if (r.amount_minor > 0 && r.payment_id && !r.refunded_at) return { step: 'refund' };
  for (const { sku, quantity } of restockOf(r.lines)) if (!r.restocked.includes(sku)) return { step: 'restock', sku, quantity };
  if (r.release_promotions && !r.promotions_released_at) return { step: 'release_promotions' };
  return { step: 'complete' };
}

/** One restock per SKU (the inventory keeps returns by SKU and order), in SKU order. */
export function restockOf(lines: ReversalLine[]): Array<{ sku: string; quantity: number }> {
  const bySku = new Map<string, number>();
  for (const l of lines) if (l.restock && l.quantity > 0) bySku.set(l.sku, (bySku.get(l.sku) ?? 0) + l.quantity);
  return [...bySku.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([sku, quantity]) => ({ sku, quantity }));
}

/** What the order's earlier reversals already took: units per SKU, money, SKUs restocked. */
export function takenBy(earlier: Array<Pick<Reversal, 'lines' | 'amount_minor'>>): { units: Map<string, number>; refunded_minor: number; restocked: Set<string>; refunds: number } {
  const units = new Map<string, number>();
  const restocked = new Set<string>();
  let refunded = 0;
  let refunds = 0;
  for (const r of earlier) {
    refunded += r.amount_minor;
    if (r.amount_minor > 0) refunds += 1;
    for (const l of r.lines) {
      units.set(l.sku, (units.get(l.sku) ?? 0) + l.quantity);
      if (l.restock) restocked.add(l.sku);
    }
  }
  return { units, refunded_minor: refunded, restocked, refunds };
}

export interface OrderForReversal {
  id: string;
  status: OrderStatus;
  payment_id: string | null;
  subtotal_minor: number;
  total_minor: number;
  shipping_minor: number;
  /** When prices exclude tax, the total holds shipping's tax too: it is shipping's, not the goods'. */
  shipping_tax_minor?: number;
  prices_include_tax?: boolean | null;
}

export type NewReversal = Pick<Reversal, 'kind' | 'payment_id' | 'amount_minor' | 'lines' | 'release_promotions' | 'target_status'> & {
  /** Where the order moves now, in the same transaction (cancel: paid → cancelling). */
  move_to: OrderStatus | null;
};

export type Plan = { ok: true; reversal: NewReversal } | { ok: false; status: 409 | 422; detail: string; code: string };

const refuse = (status: 409 | 422, code: string, detail: string): Plan => ({ ok: false, status, code, detail });

/** Units bought per SKU. */
function boughtOf(lines: Array<Pick<OrderLine, 'sku' | 'quantity'>>): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of lines) m.set(l.sku, (m.get(l.sku) ?? 0) + l.quantity);
  return m;
}

/**
 * The payment service takes **one refund per payment** (a second amount is 409 there): an
 * order whose payment was already partly refunded cannot be refunded again through it.
 */
function oneRefundOnly(order: OrderForReversal, taken: ReturnType<typeof takenBy>, amount: number): Plan | undefined {
  if (amount > 0 && order.payment_id && taken.refunds > 0) {
    return refuse(409, 'one_refund_per_payment', `Order ${order.id} was already refunded ${taken.refunded_minor} (minor units); the payment service takes one refund per payment, so a further refund needs an operator.`);
  }
  return undefined;
}

/**
 * A cancel (or an admin's full refund) of a paid order that has not shipped: refund what is
 * left of the payment, restock every line not yet returned, release the coupon uses; the order
 * is `cancelling` until all three are done, then `cancelled`.
 */
export function planCancel(order: OrderForReversal, lines: Array<Pick<OrderLine, 'sku' | 'quantity'>>, earlier: Array<Pick<Reversal, 'lines' | 'amount_minor'>>): Plan {
  if (order.status !== 'paid') return refuse(409, 'not_cancellable', `Order ${order.id} is ${order.status}; only a paid order that has not shipped is cancelled (a shipped one is returned).`);
  const taken = takenBy(earlier);
  const amount = Math.max(0, order.total_minor - taken.refunded_minor);
  const refused = oneRefundOnly(order, taken, amount);
  if (refused) return refused;
  const rest: ReversalLine[] = [];
  for (const [sku, bought] of boughtOf(lines)) {
    const left = bought - (taken.units.get(sku) ?? 0);
    if (left > 0) rest.push({ sku, quantity: left, restock: !taken.restocked.has(sku) });
  }
  return {
    ok: true,
    reversal: { kind: 'cancel', payment_id: order.payment_id, amount_minor: order.payment_id ? amount : 0, lines: rest, release_promotions: true, target_status: 'cancelled', move_to: 'cancelling' },
  };
}

export interface ReturnRequest {
  items: Array<{ sku: string; quantity: number; restock: boolean }>;
}

/**
 * A return (or partial refund) of some lines of a paid or shipped order. The refund is the
 * lines' share of what was paid for goods: `(total − shipping (and its tax when prices exclude it)) × returned value / subtotal`,
 * rounded down (integer minor units, BigInt); the return that brings every unit back refunds
 * whatever is left (shipping included, and no cent lost to rounding). Never more than paid
 * minus already refunded. Restock is chosen per line. The order's status stays (paid or
 * fulfilled) until everything has come back; then it ends `refunded`.
 */
export function planReturn(order: OrderForReversal, lines: Array<Pick<OrderLine, 'sku' | 'quantity' | 'unit_price_minor'>>, earlier: Array<Pick<Reversal, 'lines' | 'amount_minor'>>, request: ReturnRequest): Plan {
  if (order.status !== 'paid' && order.status !== 'fulfilled') return refuse(409, 'not_returnable', `Order ${order.id} is ${order.status}; only paid or shipped orders take returns.`);
  const taken = takenBy(earlier);
  const bought = boughtOf(lines);
  const asked = new Map<string, { quantity: number; restock: boolean }>();
  for (const item of request.items) {
    const prior = asked.get(item.sku);
    if (prior && prior.restock !== item.restock) return refuse(422, 'mixed_restock', `${item.sku}: restock must be the same for every entry of a SKU in one return.`);
    asked.set(item.sku, { quantity: (prior?.quantity ?? 0) + item.quantity, restock: item.restock });
  }
  let value = 0n;
  const out: ReversalLine[] = [];
  for (const [sku, { quantity, restock }] of asked) {
    const had = bought.get(sku);
    if (had === undefined) return refuse(422, 'unknown_sku', `${sku} is not a line of order ${order.id}.`);
    const left = had - (taken.units.get(sku) ?? 0);
    if (quantity > left) return refuse(422, 'too_many', `${sku}: ${quantity} to return, ${left} of ${had} not yet returned.`);
    if (restock && taken.restocked.has(sku)) {
      // The inventory keeps one return per (SKU, order): a second restock of the SKU would be a no-op there.
      return refuse(409, 'already_restocked', `${sku} of order ${order.id} was already restocked once; the inventory takes one return per SKU and order.`);
    }
    // Value at the order's own prices: the units after those already returned, in line order.
    const from = taken.units.get(sku) ?? 0;
    let at = 0;
    for (const l of lines.filter((x) => x.sku === sku)) {
      const lo = Math.max(from, at);
      const hi = Math.min(from + quantity, at + l.quantity);
      if (hi > lo) value += BigInt(l.unit_price_minor) * BigInt(hi - lo);
      at += l.quantity;
    }
    out.push({ sku, quantity, restock });
  }
  const everything = [...bought].every(([sku, had]) => (taken.units.get(sku) ?? 0) + (asked.get(sku)?.quantity ?? 0) >= had);
  const remaining = Math.max(0, order.total_minor - taken.refunded_minor);
  const shippingTax = order.prices_include_tax === false ? (order.shipping_tax_minor ?? 0) : 0;
  const goods = BigInt(Math.max(0, order.total_minor - order.shipping_minor - shippingTax));
  const share = order.subtotal_minor > 0 ? Number((goods * value) / BigInt(order.subtotal_minor)) : 0;
  const amount = order.payment_id ? Math.min(remaining, everything ? remaining : share) : 0;
  const refused = oneRefundOnly(order, taken, amount);
  if (refused) return refused;
  return {
    ok: true,
    reversal: { kind: 'return', payment_id: order.payment_id, amount_minor: amount, lines: out, release_promotions: false, target_status: everything ? 'refunded' : null, move_to: null },
  };
}

/** A shipped order refunded in full (admin `POST /orders/{id}/refund`): a return of everything left, nothing restocked. */
export function planFullRefund(order: OrderForReversal, lines: Array<Pick<OrderLine, 'sku' | 'quantity' | 'unit_price_minor'>>, earlier: Array<Pick<Reversal, 'lines' | 'amount_minor'>>): Plan {
  const taken = takenBy(earlier);
  const items = [...boughtOf(lines)].map(([sku, had]) => ({ sku, quantity: had - (taken.units.get(sku) ?? 0), restock: false })).filter((i) => i.quantity > 0);
  const plan = planReturn(order, lines, earlier, { items });
  if (!plan.ok) return plan;
  return { ok: true, reversal: { ...plan.reversal, kind: 'refund', target_status: 'refunded' } };
}

/** Wait before the next attempt of a reversal that failed `attempts` times: 2 s doubling, at most 5 min. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(300, 2 * 2 ** Math.max(0, attempts - 1));
}
