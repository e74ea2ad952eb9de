/**
 * The shop manager's order search (GET /admin/orders) on the real stack: filters by status,
 * customer e-mail (resolved by the user service) or id, creation time and total, newest first
 * with cursor paging; customers are refused; bad filters are 400 problems.
 */
import { randomUUID } from 'node:crypto';
import { api, signUp, signUpAdmin } from '../support/gateway';
import { eventually } from '../support/processes';

const address = { recipient: 'Ada Lovelace', line1: '12 Analytical St', city: 'London', postal_code: 'N1 9GU', country: 'GB' };
let admin = '';
let product = { id: '' };

beforeAll(async () => {
  admin = (await signUpAdmin('orders-admin')).access;
  const sku = `AO${randomUUID().slice(0, 6).toUpperCase()}-PEN`;
  const created = await api('POST', '/products', { token: admin, body: { sku, name: 'Search pen', base_price: '2.50', currency: 'USD' } });
  if (created.status !== 201) throw new Error(`create product: ${created.status}`);
  product = { id: created.body.id };
  const adjusted = await api('POST', `/inventory/${sku}/adjustments`, { token: admin, body: { location: 'wh-1', delta: 50, reason: 'receiving' } });
  if (adjusted.status !== 201) throw new Error(`stock: ${adjusted.status}`);
});

const search = (query: string, token = admin) => api('GET', `/admin/orders${query}`, { token });

test('orders are found by customer e-mail, status, time and total, newest first, page by page', async () => {
  const customer = await signUp('orders-search');
  const other = await signUp('orders-search-other');
  const since = new Date().toISOString();
  const place = (who: { access: string }, quantity: number) =>
    api('POST', '/orders', { token: who.access, body: { items: [{ product_id: product.id, quantity }], shipping_address: address } });
  const ids: string[] = [];
  for (const quantity of [1, 2, 3]) {
    const placed = await place(customer, quantity);
    expect(placed.status).toBe(202);
    ids.push(placed.body.id);
  }
  expect((await place(other, 1)).status).toBe(202);
  await Promise.all(ids.map((id) => eventually(async () => (await api('GET', `/orders/${id}`, { token: customer.access })).body.status === 'awaiting_payment', 60_000, `${id} awaiting payment`)));

  const mine = await search(`?email=${encodeURIComponent(customer.email.toUpperCase())}`);
  expect(mine.status).toBe(200);
  expect(mine.body.items.map((o: { id: string }) => o.id)).toEqual([...ids].reverse()); // newest first, only hers

  // Paging: two, then one, then nothing more.
  const first = await search(`?user_id=${customer.id}&limit=2`);
  expect(first.body.items).toHaveLength(2);
  const second = await search(`?user_id=${customer.id}&limit=2&cursor=${first.body.next_cursor}`);
  expect(second.body.items.map((o: { id: string }) => o.id)).toEqual([ids[0]]);
  expect(second.body.next_cursor).toBeNull();

  // Total 5.00–7.50 USD (2 or 3 pens), awaiting payment, created since the start of the test.
  const ranged = await search(`?email=${encodeURIComponent(customer.email)}&status=awaiting_payment,paid&created_from=${encodeURIComponent(since)}&min_total_minor=500&max_total_minor=750&currency=USD`);
  expect(ranged.body.items.map((o: { id: string }) => o.id).sort()).toEqual([ids[1], ids[2]].sort());
  expect((await search(`?email=${encodeURIComponent(customer.email)}&status=paid`)).body.items).toEqual([]);
  expect((await search(`?email=nobody-${randomUUID()}@example.test`)).body).toEqual({ items: [], next_cursor: null });
  // An e-mail and another customer's id: nobody matches both.
  expect((await search(`?email=${encodeURIComponent(customer.email)}&user_id=${other.id}`)).body.items).toEqual([]);
});

test('customers are refused; malformed filters are 400 problems', async () => {
  const customer = await signUp('orders-search-customer');
  expect((await search('', customer.access)).status).toBe(403);
  expect((await api('GET', '/admin/orders')).status).toBe(401);
  for (const query of ['?status=shipped', '?status=paid,', '?email=not-an-address', '?created_from=yesterday', '?min_total_minor=-1', '?limit=0', '?limit=101', '?cursor=abc', '?unknown=1',
    `?created_from=${encodeURIComponent('2026-12-02T00:00:00Z')}&created_to=${encodeURIComponent('2026-12-01T00:00:00Z')}`, '?min_total_minor=10&max_total_minor=5']) {
    const res = await search(query);
    expect({ query, status: res.status }).toEqual({ query, status: 400 });
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
  }
});
