import type { SortKey } from './criteria';

/** A sort value as Elasticsearch returns it in `hit.sort` and takes back in `search_after`. */
export type SortValue = string | number;

/**
 * The opaque `cursor` of GET /search: base64url of `{v, s, h, a}` — format version, sort,
 * fingerprint of the query, and the search_after values of the last item shown. Not signed:
 * it carries nothing secret, and whatever a client forges is checked here before it reaches
 * Elasticsearch (shape and value types), so the worst a forged cursor does is skip results.
 */
interface CursorBody {
  v: 1;
  s: SortKey;
  h: string;
  a: SortValue[];
}

export class InvalidCursor extends Error {}

export function encodeCursor(sort: SortKey, fingerprint: string, after: SortValue[]): string {
  const body: CursorBody = { v: 1, s: sort, h: fingerprint, a: after };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

/**
 * Reads a cursor back for the query now being asked. `types` says what each search_after value
 * must be for this sort (see search-request.ts). Throws InvalidCursor on garbage or a mismatch.
 */
export function decodeCursor(cursor: string, expected: { sort: SortKey; fingerprint: string; types: Array<'number' | 'string'> }): SortValue[] {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursor('The cursor is not one this service issued.');
  }
  if (!isCursorBody(body)) throw new InvalidCursor('The cursor is not one this service issued.');
  if (body.s !== expected.sort || body.h !== expected.fingerprint) {
    throw new InvalidCursor('The cursor belongs to a different query; start again without it.');
  }
  const fits = body.a.length === expected.types.length && body.a.every((value, i) => typeof value === expected.types[i] && (typeof value !== 'number' || Number.isFinite(value)));
  if (!fits) throw new InvalidCursor('The cursor is not one this service issued.');
  return body.a;
}

function isCursorBody(value: unknown): value is CursorBody {
  if (typeof value !== 'object' || value === null) return false;
  const body = value as Record<string, unknown>;
  return body.v === 1 && typeof body.s === 'string' && typeof body.h === 'string' && Array.isArray(body.a);
}
