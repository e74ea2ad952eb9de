/**
 * Promotion rules, pure: no I/O. A promotion is a condition (does it apply to this cart?) and an
 * action (what discount does it give?), each a small named strategy object (the Vendure model).
 * All money is integer minor units; multiplications run in BigInt, percentages round half-up
 * per line, a discount never takes a line below zero nor the order below zero.
 */
import { HttpProblem } from '../../../../kernel/problem';

export interface CartLine {
  product_id: string;
  quantity: number;
  unit_price_minor: number;
}

export interface Cart {
  items: CartLine[];
  currency: string;
}

export interface Condition {
  /** The order subtotal (all lines, before discounts) must reach this. */
  min_subtotal_minor: number;
  /** The promotion applies only to carts in this currency. */
  currency: string;
  /** When set, the cart must hold one of these products, and the discount applies to their lines only. */
  product_ids?: string[];
}

export type Action =
  | { type: 'percentage'; basis_points: number }
  | { type: 'fixed_amount'; amount_minor: number; currency: string }
  | { type: 'free_shipping' }
  | { type: 'buy_x_get_y'; buy_product_id: string; buy_quantity: number; get_product_id: string; get_quantity: number; basis_points: number };

export interface Promotion {
  id: string;
  code: string | null;
  name: string;
  condition: Condition;
  action: Action;
  starts_at: Date | null;
  ends_at: Date | null;
  usage_limit: number | null;
  per_customer_limit: number | null;
  exclusive: boolean;
  priority: number;
  active: boolean;
  /** Active (not released) redemptions, all customers. */
  used: number;
}

/** Per promotion id: this customer's active redemptions. */
export type CustomerUsage = Record<string, number>;

export interface AppliedDiscount {
  promotion_id: string;
  code: string | null;
  name: string;
  type: Action['type'];
  discount_minor: number;
  free_shipping: boolean;
}

export type RejectReason = 'unknown_code' | 'inactive' | 'not_started' | 'ended' | 'currency_mismatch' | 'condition_not_met' | 'usage_limit_reached' | 'customer_limit_reached';

export interface Evaluation {
  currency: string;
  subtotal_minor: number;
  discount_minor: number;
  total_minor: number;
  free_shipping: boolean;
  discounts: AppliedDiscount[];
  /** Eligible promotions left out by stacking (an exclusive one won, or the stack beat it). */
  not_applied: Array<{ promotion_id: string; code: string | null; reason: 'not_combinable' | 'no_discount' }>;
  /** Promotions (coupons named by the caller, or automatic ones) that do not apply, and why. */
  rejected: Array<{ promotion_id: string; code: string | null; reason: RejectReason }>;
}

// ---------------------------------------------------------------- arithmetic

/** round_half_up(amount × basis_points / 10 000), exact for any safe-integer amount. */
export function percentOf(amountMinor: number, basisPoints: number): number {
  if (amountMinor <= 0 || basisPoints <= 0) return 0;
  return Number((BigInt(amountMinor) * BigInt(basisPoints) + 5000n) / 10000n);
}

export function lineTotal(line: CartLine): number {
  const total = BigInt(line.unit_price_minor) * BigInt(line.quantity);
  if (total > BigInt(Number.MAX_SAFE_INTEGER)) throw new HttpProblem(400, 'A line total is too large.');
  return Number(total);
}

export function subtotalOf(cart: Cart): number {
  const total = cart.items.reduce((sum, line) => sum + BigInt(lineTotal(line)), 0n);
  if (total > BigInt(Number.MAX_SAFE_INTEGER)) throw new HttpProblem(400, 'The subtotal is too large.');
  return Number(total);
}

// ---------------------------------------------------------------- conditions

/** What a condition and an action see: the cart, and what is left of each line after earlier promotions. */
export interface Working {
  cart: Cart;
  subtotal: number;
  /** Remaining (not yet discounted) amount per line index. */
  remaining: number[];
}

export interface ConditionStrategy {
  name: string;
  check(condition: Condition, work: Working): RejectReason | null;
}

export const currencyCondition: ConditionStrategy = {
  name: 'currency',
  check: (c, w) => (c.currency === w.cart.currency ? null : 'currency_mismatch'),
};

export const minimumSubtotalCondition: ConditionStrategy = {
  name: 'minimum_subtotal',
  check: (c, w) => (w.subtotal >= c.min_subtotal_minor ? null : 'condition_not_met'),
};

export const containsProductsCondition: ConditionStrategy = {
  name: 'contains_products',
  check: (c, w) => {
    if (!c.product_ids?.length) return null;
    const wanted = new Set(c.product_ids);
    return w.cart.items.some((l) => wanted.has(l.product_id) && l.quantity > 0) ? null : 'condition_not_met';
  },
};

export const CONDITIONS: ConditionStrategy[] = [currencyCondition, minimumSubtotalCondition, containsProductsCondition];

/** Line indexes the discount may touch: the condition's products, else every line. */
function eligibleLines(condition: Condition, cart: Cart): number[] {
  const wanted = condition.product_ids?.length ? new Set(condition.product_ids) : undefined;
  return cart.items.flatMap((l, i) => (!wanted || wanted.has(l.product_id) ? [i] : []));
}

// ---------------------------------------------------------------- actions

/** An action's result: how much to take off each line (never more than what is left). */
export interface ActionResult {
  perLine: Map<number, number>;
  freeShipping: boolean;
}

export interface ActionStrategy<A extends Action = Action> {
  type: A['type'];
  apply(action: A, condition: Condition, work: Working): ActionResult;
}

export const percentageAction: ActionStrategy<Extract<Action, { type: 'percentage' }>> = {
  type: 'percentage',
  apply: (a, c, w) => {
    const perLine = new Map<number, number>();
    for (const i of eligibleLines(c, w.cart)) perLine.set(i, Math.min(w.remaining[i]!, percentOf(w.remaining[i]!, a.basis_points)));
    return { perLine, freeShipping: false };
  },
};

/** A fixed amount off the eligible lines, taken from them in cart order, capped at what is left. */
export const fixedAmountAction: ActionStrategy<Extract<Action, { type: 'fixed_amount' }>> = {
  type: 'fixed_amount',
  apply: (a, c, w) => {
    const perLine = new Map<number, number>();
    let left = a.amount_minor;
    for (const i of eligibleLines(c, w.cart)) {
      const take = Math.min(left, w.remaining[i]!);
      if (take > 0) perLine.set(i, take);
      left -= take;
      if (left === 0) break;
    }
    return { perLine, freeShipping: false };
  },
};

export const freeShippingAction: ActionStrategy<Extract<Action, { type: 'free_shipping' }>> = {
  type: 'free_shipping',
  apply: () => ({ perLine: new Map(), freeShipping: true }),
};

/**
 * Buy X of P, get Y of Q free (basis_points 10 000) or at a percentage off. When P = Q a group is
 * X + Y units of the same line; otherwise every X units of P unlock Y units of Q, as far as the
 * cart holds Q. Each discounted unit is rounded half-up, capped at what is left of Q's lines.
 */
export const buyXGetYAction: ActionStrategy<Extract<Action, { type: 'buy_x_get_y' }>> = {
  type: 'buy_x_get_y',
  apply: (a, _c, w) => {
    const perLine = new Map<number, number>();
    const qty = (id: string) => w.cart.items.reduce((n, l) => n + (l.product_id === id ? l.quantity : 0), 0);
    const buyQty = qty(a.buy_product_id);
    let units =
      a.buy_product_id === a.get_product_id
        ? Math.floor(buyQty / (a.buy_quantity + a.get_quantity)) * a.get_quantity
        : Math.min(Math.floor(buyQty / a.buy_quantity) * a.get_quantity, qty(a.get_product_id));
    w.cart.items.forEach((line, i) => {
      if (units === 0 || line.product_id !== a.get_product_id) return;
      const n = Math.min(units, line.quantity);
      units -= n;
      const off = Math.min(w.remaining[i]!, percentOf(line.unit_price_minor, a.basis_points) * n);
      if (off > 0) perLine.set(i, off);
    });
    return { perLine, freeShipping: false };
  },
};

const ACTIONS: Record<Action['type'], ActionStrategy> = {
  percentage: percentageAction as ActionStrategy,
  fixed_amount: fixedAmountAction as ActionStrategy,
  free_shipping: freeShippingAction as ActionStrategy,
  buy_x_get_y: buyXGetYAction as ActionStrategy,
};

// ---------------------------------------------------------------- eligibility and stacking

/** Why a promotion cannot be used for this cart, now, by this customer; null when it can. */
export function eligibility(p: Promotion, work: Working, now: Date, customerUsage: CustomerUsage): RejectReason | null {
  if (!p.active) return 'inactive';
  if (p.starts_at && now < p.starts_at) return 'not_started';
  if (p.ends_at && now >= p.ends_at) return 'ended';
  for (const condition of CONDITIONS) {
    const reason = condition.check(p.condition, work);
    if (reason) return reason;
  }
  if (p.usage_limit !== null && p.used >= p.usage_limit) return 'usage_limit_reached';
  if (p.per_customer_limit !== null && (customerUsage[p.id] ?? 0) >= p.per_customer_limit) return 'customer_limit_reached';
  return null;
}

/** Higher priority first; ties by id so the order is stable. */
export function byPriority(a: Promotion, b: Promotion): number {
  return b.priority - a.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

interface Stack {
  discounts: AppliedDiscount[];
  total: number;
  freeShipping: boolean;
  noDiscount: Promotion[];
}

/** Applies promotions one after another, each on what the earlier ones left. */
function stack(promotions: Promotion[], cart: Cart, subtotal: number): Stack {
  const work: Working = { cart, subtotal, remaining: cart.items.map(lineTotal) };
  const result: Stack = { discounts: [], total: 0, freeShipping: false, noDiscount: [] };
  for (const p of promotions) {
    const { perLine, freeShipping } = ACTIONS[p.action.type].apply(p.action, p.condition, work);
    let amount = 0;
    for (const [i, off] of perLine) {
      const take = Math.min(off, work.remaining[i]!);
      work.remaining[i]! -= take;
      amount += take;
    }
    if (amount === 0 && !freeShipping) {
      result.noDiscount.push(p);
      continue;
    }
    result.discounts.push({ promotion_id: p.id, code: p.code, name: p.name, type: p.action.type, discount_minor: amount, free_shipping: freeShipping });
    result.total += amount;
    result.freeShipping ||= freeShipping;
  }
  return result;
}

/** Better for the customer: more money off; then free shipping; then fewer promotions used. */
function better(a: Stack, b: Stack): boolean {
  if (a.total !== b.total) return a.total > b.total;
  if (a.freeShipping !== b.freeShipping) return a.freeShipping;
  return a.discounts.length < b.discounts.length;
}

/**
 * The discounts a cart gets now. `promotions` are the candidates: the automatic ones and the
 * coupons the customer named. Stacking: the non-exclusive eligible promotions apply together,
 * by priority, each on the remaining amount; an exclusive one applies alone. Of the stack and
 * each exclusive promotion alone, the customer gets whichever is best for them.
 */
export function evaluate(cart: Cart, promotions: Promotion[], now: Date, customerUsage: CustomerUsage = {}): Evaluation {
  const subtotal = subtotalOf(cart);
  const work: Working = { cart, subtotal, remaining: cart.items.map(lineTotal) };
  const rejected: Evaluation['rejected'] = [];
  const eligible: Promotion[] = [];
  for (const p of promotions) {
    const reason = eligibility(p, work, now, customerUsage);
    if (reason) rejected.push({ promotion_id: p.id, code: p.code, reason });
    else eligible.push(p);
  }
  eligible.sort(byPriority);

  const options: Array<{ stack: Stack; used: Promotion[] }> = [];
  const combinable = eligible.filter((p) => !p.exclusive);
  options.push({ stack: stack(combinable, cart, subtotal), used: combinable });
  for (const p of eligible.filter((e) => e.exclusive)) options.push({ stack: stack([p], cart, subtotal), used: [p] });
  let best = options[0]!;
  for (const option of options.slice(1)) if (better(option.stack, best.stack)) best = option;

  const applied = new Set(best.stack.discounts.map((d) => d.promotion_id));
  const noDiscount = new Set(best.stack.noDiscount.map((p) => p.id));
  const notApplied: Evaluation['not_applied'] = eligible
    .filter((p) => !applied.has(p.id))
    .map((p) => ({ promotion_id: p.id, code: p.code, reason: noDiscount.has(p.id) ? ('no_discount' as const) : ('not_combinable' as const) }));

  return {
    currency: cart.currency,
    subtotal_minor: subtotal,
    discount_minor: best.stack.total,
    total_minor: subtotal - best.stack.total,
    free_shipping: best.stack.freeShipping,
    discounts: best.stack.discounts,
    not_applied: notApplied,
    rejected,
  };
}

// ---------------------------------------------------------------- definitions and versions

/** Rules a schema cannot say about a promotion's definition; a 400 naming the field. */
export function checkDefinition(p: Pick<Promotion, 'condition' | 'action' | 'starts_at' | 'ends_at'>): void {
  const errors: Array<{ pointer: string; detail: string }> = [];
  if (p.starts_at && p.ends_at && p.ends_at <= p.starts_at) errors.push({ pointer: '/body/ends_at', detail: 'must be after starts_at' });
  if (p.action.type === 'fixed_amount' && p.action.currency !== p.condition.currency) {
    errors.push({ pointer: '/body/action/currency', detail: 'must be the condition currency' });
  }
  if (errors.length) {
    throw new HttpProblem(400, 'The promotion is not consistent.', { type: 'https://problems.dapr-commerce.dev/validation', title: 'Invalid request', extensions: { errors } });
  }
}

export { etagOf } from '../../../../kernel/http/concurrency';
