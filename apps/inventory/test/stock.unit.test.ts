import { allocate, checkAdjustment, decide, deltasFor, summarize, type StockRow } from '../src/domain/stock';

const row = (location: string, on_hand: number, reserved = 0): StockRow => ({ location, on_hand, reserved });

describe('allocate', () => {
  test('takes from the location with the most available first', () => {
    expect(allocate([row('a', 5), row('b', 10, 2)], 3)).toEqual({ ok: true, allocations: [{ location: 'b', quantity: 3 }] });
  });

  test('splits across locations only when one is not enough, most available first', () => {
    expect(allocate([row('a', 4), row('b', 10, 4), row('c', 1)], 9)).toEqual({
      ok: true,
      allocations: [{ location: 'b', quantity: 6 }, { location: 'a', quantity: 3 }],
    });
  });

  test('breaks ties by location name, whatever the input order', () => {
    const expected = { ok: true, allocations: [{ location: 'a', quantity: 2 }] };
    expect(allocate([row('b', 2), row('a', 2)], 2)).toEqual(expected);
    expect(allocate([row('a', 2), row('b', 2)], 2)).toEqual(expected);
  });

  test('is all or nothing: refuses with the total available when short', () => {
    expect(allocate([row('a', 3, 1), row('b', 1)], 4)).toEqual({ ok: false, available: 3 });
    expect(allocate([], 1)).toEqual({ ok: false, available: 0 });
  });

  test('never allocates from a location with nothing available', () => {
    expect(allocate([row('a', 5, 5), row('b', 1)], 1)).toEqual({ ok: true, allocations: [{ location: 'b', quantity: 1 }] });
  });

  test('refuses a quantity that is not a positive integer', () => {
    expect(() => allocate([row('a', 5)], 0)).toThrow(RangeError);
    expect(() => allocate([row('a', 5)], 1.5)).toThrow(RangeError);
  });
});

describe('decide (the life of a reservation)', () => {
  test('commit: active in time commits; a repeat is done; after the deadline it expires and is refused', () => {
    expect(decide('active', 'commit', false)).toEqual({ to: 'committed', outcome: 'done' });
    expect(decide('committed', 'commit', false)).toEqual({ outcome: 'done' });
    expect(decide('active', 'commit', true)).toEqual({ to: 'expired', outcome: 'refused', reason: 'expired' });
    expect(decide('expired', 'commit', false)).toEqual({ outcome: 'refused', reason: 'expired' });
    expect(decide('released', 'commit', false)).toEqual({ outcome: 'refused', reason: 'released' });
  });

  test('release: active releases; repeats and expired are no-ops; committed is refused', () => {
    expect(decide('active', 'release', false)).toEqual({ to: 'released', outcome: 'done' });
    expect(decide('released', 'release', false)).toEqual({ outcome: 'done' });
    expect(decide('expired', 'release', false)).toEqual({ outcome: 'done' });
    expect(decide('committed', 'release', false)).toEqual({ outcome: 'refused', reason: 'committed' });
  });

  test('expire touches only active reservations', () => {
    expect(decide('active', 'expire', true)).toEqual({ to: 'expired', outcome: 'done' });
    for (const status of ['committed', 'released', 'expired'] as const) expect(decide(status, 'expire', true)).toEqual({ outcome: 'done' });
  });

  test('stock deltas: a commit takes the units out, a release or expiry frees them', () => {
    expect(deltasFor('committed', 3)).toEqual({ on_hand: -3, reserved: -3 });
    expect(deltasFor('released', 3)).toEqual({ on_hand: 0, reserved: -3 });
    expect(deltasFor('expired', 3)).toEqual({ on_hand: 0, reserved: -3 });
    expect(() => deltasFor('active', 3)).toThrow(RangeError);
  });
});

describe('checkAdjustment', () => {
  test('on hand may fall to what is reserved, not below', () => {
    expect(checkAdjustment(row('a', 10, 4), -6)).toEqual({ ok: true, on_hand: 4 });
    expect(checkAdjustment(row('a', 10, 4), -7)).toEqual({ ok: false, reason: 'below_reserved', on_hand: 10, reserved: 4 });
  });

  test('a new location starts empty', () => {
    expect(checkAdjustment(undefined, 5)).toEqual({ ok: true, on_hand: 5 });
    expect(checkAdjustment(undefined, -1)).toEqual({ ok: false, reason: 'below_reserved', on_hand: 0, reserved: 0 });
  });
});

test('summarize totals the locations and lists them by name', () => {
  expect(summarize('S', [row('b', 5, 1), row('a', 3)])).toEqual({
    sku: 'S', on_hand: 8, reserved: 1, available: 7,
    locations: [{ location: 'a', on_hand: 3, reserved: 0, available: 3 }, { location: 'b', on_hand: 5, reserved: 1, available: 4 }],
  });
});
