import {
  buyXGetYAction,
  evaluate,
  fixedAmountAction,
  minimumSubtotalCondition,
  percentOf,
  percentageAction,
  type Action,
  type Cart,
  type Promotion,
  type Working,
} from '../src/domain/promotion';

const NOW = new Date('2026-06-01T12:00:00Z');
let n = 0;
function promo(action: Action, extra: Partial<Promotion> = {}): Promotion {
  n += 1;
  return {
    id: `00000000-0000-0000-0000-${String(n).padStart(12, '0')}`,
    code: null,
    name: `P${n}`,
    condition: { min_subtotal_minor: 0, currency: 'USD' },
    action,
    starts_at: null,
    ends_at: null,
    usage_limit: null,
    per_customer_limit: null,
    exclusive: false,
    priority: 0,
    active: true,
    used: 0,
    ...extra,
  };
}
const cart = (...items: Array<[string, number, number]>): Cart => ({ currency: 'USD', items: items.map(([product_id, quantity, unit_price_minor]) => ({ product_id, quantity, unit_price_minor })) });
const work = (c: Cart): Working => ({ cart: c, subtotal: c.items.reduce((s, l) => s + l.quantity * l.unit_price_minor, 0), remaining: c.items.map((l) => l.quantity * l.unit_price_minor) });

describe('arithmetic', () => {
  test('percentages round half-up, exactly, even past 2^53 intermediate products', () => {
    expect(percentOf(5, 1000)).toBe(1); // 0.5 → 1
    expect(percentOf(4, 1000)).toBe(0); // 0.4 → 0
    expect(percentOf(15, 1000)).toBe(2); // 1.5 → 2
    expect(percentOf(9_007_199_254_740_991, 5000)).toBe(4_503_599_627_370_496);
    expect(percentOf(0, 1000)).toBe(0);
  });
});

describe('condition strategies', () => {
  test('minimum subtotal', () => {
    const c = { min_subtotal_minor: 5000, currency: 'USD' };
    expect(minimumSubtotalCondition.check(c, work(cart(['a', 1, 4999])))).toBe('condition_not_met');
    expect(minimumSubtotalCondition.check(c, work(cart(['a', 1, 5000])))).toBeNull();
  });
});

describe('action strategies', () => {
  test('percentage rounds per line', () => {
    const r = percentageAction.apply({ type: 'percentage', basis_points: 1000 }, { min_subtotal_minor: 0, currency: 'USD' }, work(cart(['a', 1, 5], ['b', 1, 5])));
    expect([...r.perLine.values()]).toEqual([1, 1]); // 0.5 + 0.5 rounded per line = 2, not 1
  });
  test('fixed amount never exceeds what is left', () => {
    const r = fixedAmountAction.apply({ type: 'fixed_amount', amount_minor: 10_000, currency: 'USD' }, { min_subtotal_minor: 0, currency: 'USD' }, work(cart(['a', 2, 1500])));
    expect([...r.perLine.values()]).toEqual([3000]);
  });
  test('buy 2 get 1 of the same product, and buy X of P get Y of Q at 50 %', () => {
    const same = buyXGetYAction.apply({ type: 'buy_x_get_y', buy_product_id: 'a', buy_quantity: 2, get_product_id: 'a', get_quantity: 1, basis_points: 10000 }, { min_subtotal_minor: 0, currency: 'USD' }, work(cart(['a', 7, 999])));
    expect([...same.perLine.values()]).toEqual([2 * 999]); // 7 units = 2 groups of 3
    const other = buyXGetYAction.apply({ type: 'buy_x_get_y', buy_product_id: 'a', buy_quantity: 1, get_product_id: 'b', get_quantity: 2, basis_points: 5000 }, { min_subtotal_minor: 0, currency: 'USD' }, work(cart(['a', 1, 100], ['b', 5, 333])));
    expect([...other.perLine.values()]).toEqual([2 * 167]); // 166.5 → 167 per unit
  });
});

describe('evaluate', () => {
  test('a window, a currency and a minimum decide eligibility', () => {
    const c = cart(['a', 1, 1000]);
    const r = evaluate(c, [
      promo({ type: 'percentage', basis_points: 1000 }, { starts_at: new Date('2026-07-01T00:00:00Z') }),
      promo({ type: 'percentage', basis_points: 1000 }, { ends_at: NOW }),
      promo({ type: 'percentage', basis_points: 1000 }, { condition: { min_subtotal_minor: 0, currency: 'EUR' } }),
      promo({ type: 'percentage', basis_points: 1000 }, { condition: { min_subtotal_minor: 1001, currency: 'USD' } }),
      promo({ type: 'percentage', basis_points: 1000 }, { active: false }),
    ], NOW);
    expect(r.discount_minor).toBe(0);
    expect(r.rejected.map((x) => x.reason)).toEqual(['not_started', 'ended', 'currency_mismatch', 'condition_not_met', 'inactive']);
  });

  test('stacking by priority, each on the remaining amount', () => {
    const c = cart(['a', 1, 10_000]);
    const fixed = promo({ type: 'fixed_amount', amount_minor: 1000, currency: 'USD' }, { priority: 10 });
    const pct = promo({ type: 'percentage', basis_points: 1000 }, { priority: 1 });
    const r = evaluate(c, [pct, fixed], NOW);
    expect(r.discounts.map((d) => [d.promotion_id, d.discount_minor])).toEqual([[fixed.id, 1000], [pct.id, 900]]);
    expect(r.total_minor).toBe(8100);
    // Reversed priorities: 10 % of 10 000 first, then 1 000 off.
    const r2 = evaluate(c, [{ ...pct, priority: 20 }, fixed], NOW);
    expect(r2.discount_minor).toBe(2000);
  });

  test('an exclusive promotion applies alone, and only when it beats the stack', () => {
    const c = cart(['a', 1, 10_000]);
    const a = promo({ type: 'percentage', basis_points: 1000 });
    const b = promo({ type: 'percentage', basis_points: 1000 });
    const big = promo({ type: 'percentage', basis_points: 2500 }, { exclusive: true });
    const small = promo({ type: 'percentage', basis_points: 500 }, { exclusive: true });
    const r = evaluate(c, [a, b, big, small], NOW);
    expect(r.discounts.map((d) => d.promotion_id)).toEqual([big.id]);
    expect(r.discount_minor).toBe(2500);
    expect(r.not_applied.map((x) => x.reason)).toEqual(['not_combinable', 'not_combinable', 'not_combinable']);
    const r2 = evaluate(c, [a, b, small], NOW);
    expect(r2.discount_minor).toBe(1000 + 900);
  });

  test('never below zero, never more than the subtotal; free shipping is a flag', () => {
    const c = cart(['a', 1, 500]);
    const r = evaluate(c, [promo({ type: 'fixed_amount', amount_minor: 400, currency: 'USD' }), promo({ type: 'fixed_amount', amount_minor: 400, currency: 'USD' }), promo({ type: 'free_shipping' })], NOW);
    expect(r.discount_minor).toBe(500);
    expect(r.total_minor).toBe(0);
    expect(r.free_shipping).toBe(true);
  });

  test('product conditions limit the discount to those lines', () => {
    const c = cart(['a', 1, 1000], ['b', 1, 3000]);
    const r = evaluate(c, [promo({ type: 'percentage', basis_points: 5000 }, { condition: { min_subtotal_minor: 0, currency: 'USD', product_ids: ['b'] } })], NOW);
    expect(r.discount_minor).toBe(1500);
    expect(evaluate(cart(['a', 1, 1000]), [promo({ type: 'percentage', basis_points: 5000 }, { condition: { min_subtotal_minor: 0, currency: 'USD', product_ids: ['b'] } })], NOW).rejected[0]!.reason).toBe('condition_not_met');
  });

  test('global and per-customer limits', () => {
    const c = cart(['a', 1, 1000]);
    const p = promo({ type: 'percentage', basis_points: 1000 }, { usage_limit: 5, per_customer_limit: 1 });
    expect(evaluate(c, [{ ...p, used: 5 }], NOW).rejected[0]!.reason).toBe('usage_limit_reached');
    expect(evaluate(c, [p], NOW, { [p.id]: 1 }).rejected[0]!.reason).toBe('customer_limit_reached');
    expect(evaluate(c, [p], NOW, { [p.id]: 0 }).discount_minor).toBe(100);
  });
});
