import { HttpProblem } from '../../../../kernel/problem';
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
  if ((sort === 'newest' || sort === 'oldest') && (typeof value !== 'string' || Number.isNaN(Date.parse(value)))) {
    throw new HttpProblem(400, 'The cursor is not valid.');
  }
  return { sort, value, id };
}
