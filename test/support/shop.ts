/** What several suites need before they can check out: a product with stock, an address the stack ships to. */
import { api } from './gateway';

/** An address in Germany (the stack's shipping methods serve it without any set-up). */
export const BERLIN = { recipient: 'Test Shopper', line1: '1 Fault Lane', city: 'Berlin', postal_code: '10115', country: 'DE' };

/** Creates a product under `sku` and receives `units` of it at wh-1; returns the product's id. Throws on any refusal. */
export async function productInStock(adminToken: string, sku: string, name: string, price: string, units: number): Promise<string> {
  const created = await api('POST', '/products', { token: adminToken, body: { sku, name, base_price: price, currency: 'USD' } });
  if (created.status !== 201) throw new Error(`create ${sku}: ${created.status} ${JSON.stringify(created.body)}`);
  const received = await api('POST', `/inventory/${sku}/adjustments`, { token: adminToken, body: { location: 'wh-1', delta: units, reason: 'receiving' } });
  if (received.status !== 201) throw new Error(`stock ${sku}: ${received.status} ${JSON.stringify(received.body)}`);
  return created.body.id as string;
}
