import { createHash } from 'node:crypto';
import { adjustmentIdFor, planReturn, sameAdjustment } from '../src/domain/stock';
import { adjustInput, returnBody } from '../src/domain/commands';
import { issuesOf } from '../../../kernel/validation';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const at = (location: string, quantity: number) => ({ location, quantity });

describe('planReturn', () => {
  test('puts a full return back where the commit took it from, in the original allocation order', () => {
    expect(planReturn([at('wh-b', 6), at('wh-a', 2)], [], 8)).toEqual({ ok: true, allocations: [at('wh-b', 6), at('wh-a', 2)] });
  });

  test('a partial return fills the original allocation in order', () => {
    expect(planReturn([at('wh-b', 6), at('wh-a', 2)], [], 7)).toEqual({ ok: true, allocations: [at('wh-b', 6), at('wh-a', 1)] });
  });

  test('skips what each location already had back', () => {
    expect(planReturn([at('wh-b', 6), at('wh-a', 2)], [at('wh-b', 5)], 3)).toEqual({ ok: true, allocations: [at('wh-b', 1), at('wh-a', 2)] });
  });

  test('goes to the location given, whatever the allocation was', () => {
    expect(planReturn([at('wh-b', 6), at('wh-a', 2)], [], 4, 'returns-desk')).toEqual({ ok: true, allocations: [at('returns-desk', 4)] });
  });

  test('refuses an order that committed nothing of the SKU', () => {
    expect(planReturn([], [], 1)).toEqual({ ok: false, reason: 'not_committed' });
    expect(planReturn([], [], 1, 'wh-a')).toEqual({ ok: false, reason: 'not_committed' });
  });

  test('refuses more than was committed less what was returned', () => {
    expect(planReturn([at('wh-a', 3)], [], 4)).toEqual({ ok: false, reason: 'exceeds_committed', committed: 3, returned: 0 });
    expect(planReturn([at('wh-a', 3)], [at('elsewhere', 2)], 2, 'wh-a')).toEqual({ ok: false, reason: 'exceeds_committed', committed: 3, returned: 2 });
    expect(planReturn([at('wh-a', 3)], [at('elsewhere', 2)], 1)).toEqual({ ok: true, allocations: [at('wh-a', 1)] });
  });

  test('rejects a quantity that is not a positive integer', () => {
    expect(() => planReturn([at('wh-a', 3)], [], 0)).toThrow(RangeError);
    expect(() => planReturn([at('wh-a', 3)], [], 1.5)).toThrow(RangeError);
  });
});

describe('adjustment ids', () => {
  test('the same caller, SKU and Idempotency-Key always give the same UUID-shaped id', () => {
    const id = adjustmentIdFor('admin-1', 'SKU-1', 'key-1', sha256);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(adjustmentIdFor('admin-1', 'SKU-1', 'key-1', sha256)).toBe(id);
  });

  test('another caller, SKU or key gives another id', () => {
    const id = adjustmentIdFor('admin-1', 'SKU-1', 'key-1', sha256);
    expect(new Set([id, adjustmentIdFor('admin-2', 'SKU-1', 'key-1', sha256), adjustmentIdFor('admin-1', 'SKU-2', 'key-1', sha256), adjustmentIdFor('admin-1', 'SKU-1', 'key-2', sha256)]).size).toBe(4);
  });

  test('a repeat must be the same adjustment: another location, delta or reason is not', () => {
    const first = { sku: 'S', location: 'wh-a', delta: 5, reason: 'receiving' };
    expect(sameAdjustment(first, { ...first })).toBe(true);
    expect(sameAdjustment(first, { ...first, delta: 6 })).toBe(false);
    expect(sameAdjustment(first, { ...first, location: 'wh-b' })).toBe(false);
    expect(sameAdjustment(first, { ...first, reason: 'count' })).toBe(false);
    expect(sameAdjustment(first, { ...first, sku: 'T' })).toBe(false);
  });

  test('the actor refuses an adjustment without an id (a retry could not be recognised)', () => {
    const args = { location: 'wh-a', delta: 1, reason: 'x', actor: 'admin' };
    expect(issuesOf(adjustInput, args, 'body').length).toBeGreaterThan(0);
    expect(issuesOf(adjustInput, { ...args, adjustment_id: '0190f5c2-1111-8222-9333-444455556666' }, 'body')).toEqual([]);
  });
});

describe('the returns contract', () => {
  test('takes order_id and a quantity of at least 1, location optional', () => {
    expect(issuesOf(returnBody, { order_id: 'o-1', quantity: 1 }, 'body')).toEqual([]);
    expect(issuesOf(returnBody, { order_id: 'o-1', quantity: 2, location: 'wh-a' }, 'body')).toEqual([]);
    for (const bad of [{ order_id: 'o-1', quantity: 0 }, { order_id: 'o-1' }, { quantity: 1 }, { order_id: 'o-1', quantity: 1.5 }, { order_id: 'o-1', quantity: 1, location: '' }, { order_id: 'o-1', quantity: 1, extra: 1 }]) {
      expect(issuesOf(returnBody, bad, 'body').length).toBeGreaterThan(0);
    }
  });
});
