/** Catalog changes as an administrator's client makes them (If-Match; a lost answer is checked, not repeated blindly). */
import { call, type Tally } from './client';

export interface Change {
  name: string;
  base_price: string;
}

/**
 * Sets a product's name and price. A 412 (the product changed since it was read, e.g. because
 * an earlier attempt of this very change landed but its answer was lost) re-reads: if the
 * product already shows the change, it is done.
 */
export async function changeProduct(token: string, id: string, change: Change, tally: Tally, withinMs = 240_000): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    const current = await call('GET', `/products/${id}`, { token, tally, withinMs: deadline - Date.now() });
    if (!current || current.status !== 200) continue;
    if (current.body.name === change.name && current.body.base_price === change.base_price) return true;
    const etag = current.headers.get('etag') ?? '';
    const res = await call('PATCH', `/products/${id}`, { token, body: change, headers: { 'if-match': etag }, tally, withinMs: deadline - Date.now(), tolerate: [502] });
    if (res?.status === 200) return true;
    if (res && res.status !== 412) return false;
  }
  return false;
}
