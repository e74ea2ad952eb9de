/** A small shop made through the public gateway for a scenario: an admin, customers, stocked products. */
import { randomUUID } from 'node:crypto';
import { api, signUp, signUpAdmin } from '../../test/support/gateway';

export interface Customer {
  id: string;
  access: string;
}

export interface Product {
  id: string;
  sku: string;
}

export const ADDRESS = { recipient: 'Chaos Shopper', line1: '1 Fault Lane', city: 'Berlin', postal_code: '10115', country: 'DE' };

export const tag = () => randomUUID().slice(0, 8).toUpperCase();

let admin: Promise<string> | undefined;
/** One administrator per run (made with the documented create-admin command). */
export function adminToken(): Promise<string> {
  admin ??= signUpAdmin('chaos-admin').then((a) => a.access);
  return admin;
}

export async function customers(n: number, label: string): Promise<Customer[]> {
  const out: Customer[] = [];
  // A few at a time: the user service's hashing gate sheds bursts (the client retries anyway).
  for (let i = 0; i < n; i += 8) {
    out.push(...(await Promise.all(Array.from({ length: Math.min(8, n - i) }, (_, j) => signUp(`chaos-${label}-${i + j}`)))));
  }
  return out.map((c) => ({ id: c.id, access: c.access }));
}

/** A product with `stock` units on hand at one location. */
export async function stockedProduct(label: string, price: string, stock: number): Promise<Product> {
  const token = await adminToken();
  const sku = `CH${tag()}-${label}`.slice(0, 40);
  const created = await api('POST', '/products', { token, body: { sku, name: `Chaos ${label}`, base_price: price, currency: 'USD' }, headers: { 'idempotency-key': randomUUID() } });
  if (created.status !== 201) throw new Error(`create product: ${created.status} ${JSON.stringify(created.body)}`);
  if (stock > 0) {
    const adjusted = await api('POST', `/inventory/${sku}/adjustments`, { token, body: { location: 'wh-1', delta: stock, reason: 'receiving' }, headers: { 'idempotency-key': randomUUID() } });
    if (adjusted.status !== 201) throw new Error(`stock ${sku}: ${adjusted.status} ${JSON.stringify(adjusted.body)}`);
  }
  return { id: created.body.id, sku };
}
