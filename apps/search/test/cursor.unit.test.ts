import { fingerprintOf, type SearchCriteria } from '../src/domain/criteria';
import { decodeCursor, encodeCursor, InvalidCursor } from '../src/domain/cursor';

const criteria: SearchCriteria = { text: 'laptop', attributes: [{ name: 'color', values: ['red', 'blue'] }], inStockOnly: false, sort: 'price_asc' };
const expected = { sort: 'price_asc' as const, fingerprint: fingerprintOf(criteria), types: ['number', 'string'] as Array<'number' | 'string'> };

describe('cursors', () => {
  test('round-trip the search_after values, as URL-safe text', () => {
    const cursor = encodeCursor('price_asc', expected.fingerprint, [129999, '018f2c1e-aaaa']);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, expected)).toEqual([129999, '018f2c1e-aaaa']);
  });

  test('the fingerprint ignores the order of filters but not their content', () => {
    const reordered: SearchCriteria = { ...criteria, attributes: [{ name: 'color', values: ['blue', 'red', 'red'] }] };
    expect(fingerprintOf(reordered)).toBe(fingerprintOf(criteria));
    expect(fingerprintOf({ ...criteria, text: 'laptops' })).not.toBe(fingerprintOf(criteria));
    expect(fingerprintOf({ ...criteria, priceMaxMinor: 100 })).not.toBe(fingerprintOf(criteria));
    expect(fingerprintOf({ ...criteria, sort: 'price_desc' })).not.toBe(fingerprintOf(criteria));
  });

  test.each([
    ['not base64url JSON', 'garbage!'],
    ['JSON of another shape', Buffer.from('{"x":1}').toString('base64url')],
    ['another format version', Buffer.from(JSON.stringify({ v: 2, s: 'price_asc', h: expected.fingerprint, a: [1, 'a'] })).toString('base64url')],
    ['values of the wrong types', encodeCursor('price_asc', expected.fingerprint, ['1', 'a'])],
    ['too few values', encodeCursor('price_asc', expected.fingerprint, [1])],
    ['a non-finite number', Buffer.from(JSON.stringify({ v: 1, s: 'price_asc', h: expected.fingerprint, a: [1e400, 'a'] })).toString('base64url')],
  ])('refuses %s', (_what, cursor) => {
    expect(() => decodeCursor(cursor, expected)).toThrow(InvalidCursor);
  });

  test('refuses a cursor of another query or another sort', () => {
    const other = encodeCursor('price_asc', fingerprintOf({ ...criteria, text: 'phone' }), [1, 'a']);
    expect(() => decodeCursor(other, expected)).toThrow(/different query/);
    const otherSort = encodeCursor('newest', expected.fingerprint, [1, 'a']);
    expect(() => decodeCursor(otherSort, expected)).toThrow(/different query/);
  });
});
