import { HttpProblem } from '../../../../kernel/problem';
import { unstorable } from '../../../../kernel/validation';
import type { ProductSort } from '../store/products';

/**
 * Opaque page cursors: base64url JSON of the sort and the last row's sort value and id.
 * A cursor made for one sort cannot be used with another, and garbage is a 400.
 */
export interface Cursor {
  sort: ProductSort;
  value: string | number;
  id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.sort, cursor.value, cursor.id])).toString('base64url');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function decodeCursor(text: string, sort: ProductSort): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw new HttpProblem(400, 'The cursor is not valid.');
  const [cursorSort, value, id] = parsed as [unknown, unknown, unknown];
  if (cursorSort !== sort) throw new HttpProblem(400, 'The cursor belongs to another sort order.');
  if (typeof id !== 'string' || !UUID.test(id) || (typeof value !== 'string' && typeof value !== 'number')) {
    throw new HttpProblem(400, 'The cursor is not valid.');
  }
  if (!valueFits(sort, value)) throw new HttpProblem(400, 'The cursor is not valid.');
  return { sort, value, id };
}

/**
 * The value must be what encodeCursor wrote for this sort, or PostgreSQL's comparison with the
 * column would fail (a 500): a timestamp that round-trips through toISOString (Date.parse alone
 * takes "1"), a name PostgreSQL can hold, a non-negative safe integer price.
 */
function valueFits(sort: ProductSort, value: string | number): boolean {
  switch (sort) {
    case 'newest':
    case 'oldest':
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(value) && new Date(value).toISOString() === value;
    case 'name':
      return typeof value === 'string' && value.length <= 200 && unstorable(value) === undefined;
    case 'price_asc':
    case 'price_desc':
      return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
    default:
      return false;
  }
}
