/**
 * The catalog's page cursors: what encodeCursor wrote reads back; a forged one whose value the
 * sort column could not be compared with (found by the fuzz suite as 500s from PostgreSQL) is a 400.
 */
import { decodeCursor, encodeCursor } from '../../apps/catalog/src/http/cursor';
import type { ProductSort } from '../../apps/catalog/src/store/products';
import { HttpProblem } from '../../kernel/problem';

const id = '0b6f1f1e-7a4c-4c7e-9d43-2f0c7f4f9a10';
const forged = (value: unknown, sort: ProductSort) => Buffer.from(JSON.stringify([sort, value, id])).toString('base64url');

test('a cursor the catalog issued reads back', () => {
  for (const [sort, value] of [['newest', '2026-12-01T23:56:09.565Z'], ['oldest', '2020-02-29T00:00:00.000Z'], ['name', 'Café ✓'], ['price_asc', 0], ['price_desc', 129999]] as const) {
    expect(decodeCursor(encodeCursor({ sort, value, id }), sort)).toEqual({ sort, value, id });
  }
});

test.each([
  ['newest', '1'], ['oldest', '2020-02-30T00:00:00.000Z'], ['newest', 1], ['name', 12], ['name', 'a\u0000b'], ['name', 'x'.repeat(201)],
  ['price_asc', 'abc'], ['price_desc', 1.5], ['price_asc', -1], ['price_desc', 2 ** 63],
] as const)('a forged %s cursor with %j is a 400', (sort, value) => {
  expect(() => decodeCursor(forged(value, sort), sort)).toThrow(HttpProblem);
  try {
    decodeCursor(forged(value, sort), sort);
  } catch (err) {
    expect((err as HttpProblem).status).toBe(400);
  }
});
