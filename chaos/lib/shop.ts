/** A small shop made through the public gateway for a scenario: an admin, customers, stocked products. */
import { randomUUID } from 'node:crypto';
import { api, hashingCall, PASSWORD, signUp, signUpAdmin } from '../../test/support/gateway';

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

export interface Admin {
  token(): Promise<string>;
}

/** An administrator (made with the documented create-admin command) whose access token is renewed: it lives 15 min, a full run is longer. */
export async function freshAdmin(label: string): Promise<Admin> {
  const made = await signUpAdmin(label);
  let access = made.access;
  let at = Date.now();
  return {
    async token() {
      if (Date.now() - at > 10 * 60_000) {
        const login = await hashingCall('/auth/login', { email: made.email, password: PASSWORD });
        if (login.status !== 200) throw new Error(`admin login: ${login.status}`);
        access = login.body.access_token;
        at = Date.now();
      }
      return access;
    },
  };
}

let admin: Promise<Admin> | undefined;
/** The run's administrator's current access token. */
export async function adminToken(): Promise<string> {
  admin ??= freshAdmin('chaos-admin');
  return (await admin).token();
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
