/**
 * Inventory → search and catalog images → search, end to end on the running stack: stock
 * changes reach the product's document (in_stock, the bucket) without touching its product
 * fields, a product update keeps them, the in_stock filter and the stock facet work, and a stock
 * event put straight onto the broker changes nothing (parked when malformed).
 */
import { randomUUID } from 'node:crypto';
import { api, signUpAdmin } from '../support/gateway';
import { eventually } from '../support/processes';
import { publishToBroker } from '../support/rabbitmq';

const INVENTORY_SIDECAR = 'http://127.0.0.1:3506';
const tag = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`.toUpperCase();
let admin = '';

beforeAll(async () => {
  admin = (await signUpAdmin('search-stock-admin')).access;
});

interface Hit {
  id: string;
  sku: string;
  name: string;
  in_stock: boolean | null;
  stock_bucket: string | null;
  image: { url: string; alt: string } | null;
}

async function search(sku: string, inStock = false): Promise<{ hit: Hit | undefined; facets: any }> {
  const res = await api<{ items: Hit[]; facets: any }>('GET', `/search?q=${encodeURIComponent(sku)}&page_size=5${inStock ? '&in_stock=true' : ''}`);
  expect(res.status).toBe(200);
  return { hit: res.body.items.find((h) => h.sku === sku), facets: res.body.facets };
}

async function adjust(sku: string, delta: number): Promise<void> {
  const res = await api('POST', `/inventory/${sku}/adjustments`, { token: admin, body: { location: 'wh-s', delta, reason: 'receiving' } });
  if (res.status !== 201) throw new Error(`adjust ${sku} ${delta}: ${res.status} ${JSON.stringify(res.body)}`);
}

/** An internal route of the inventory, as the order saga calls it. */
function internal(path: string, body: unknown) {
  return api('POST', `/v1.0/invoke/inventory/method${path}`, { base: INVENTORY_SIDECAR, body, headers: { 'dapr-caller-app-id': 'operator' } });
}

test('stock reaches search: absent from in_stock=true, +5 → present and low, kept across a product update, sold out → absent', async () => {
  const sku = `STK${tag}-A`;
  const created = await api('POST', '/products', { token: admin, body: { sku, name: 'Stocked Brass Lantern', base_price: '24.00' } });
  expect(created.status).toBe(201);
  const id = created.body.id as string;

  const indexed = await eventually(async () => (await search(sku)).hit, 15_000, 'the product is searchable');
  // Never stocked: the inventory answers 0, so it is known to be out of stock.
  await eventually(async () => (await search(sku)).hit?.in_stock === false, 15_000, 'stock known: none');
  expect(indexed.id).toBe(id);
  expect((await search(sku, true)).hit).toBeUndefined();

  await adjust(sku, 5);
  const stocked = await eventually(async () => (await search(sku, true)).hit, 15_000, 'in stock after +5');
  expect(stocked).toMatchObject({ in_stock: true, stock_bucket: 'low', name: 'Stocked Brass Lantern' });
  const facets = (await search(sku, true)).facets;
  expect(facets.stock).toEqual(expect.arrayContaining([{ value: 'low', count: expect.any(Number) }]));

  const renamed = await api('PATCH', `/products/${id}`, { token: admin, body: { name: 'Stocked Brass Lantern II' }, headers: { 'if-match': '"v1"' } });
  expect(renamed.status).toBe(200);
  const afterUpdate = await eventually(async () => {
    const { hit } = await search(sku, true);
    return hit?.name === 'Stocked Brass Lantern II' ? hit : undefined;
  }, 15_000, 'the update is indexed');
  expect(afterUpdate).toMatchObject({ in_stock: true, stock_bucket: 'low' });

  // Reserve 2 and commit them, then reserve and commit the other 3: nothing left.
  for (const [order, quantity] of [[`${sku}-o1`, 2], [`${sku}-o2`, 3]] as const) {
    expect((await internal(`/internal/inventory/${sku}/reservations`, { order_id: order, quantity, ttl_seconds: 600 })).status).toBe(201);
    expect((await internal(`/internal/inventory/${sku}/reservations/${order}/commit`, undefined)).status).toBe(200);
  }
  await eventually(async () => (await search(sku)).hit?.stock_bucket === 'none', 15_000, 'sold out');
  expect((await search(sku, true)).hit).toBeUndefined();
  expect((await search(sku)).hit).toMatchObject({ in_stock: false, name: 'Stocked Brass Lantern II' });
});

test('a forged stock event on the broker changes nothing; a malformed one is parked', async () => {
  const sku = `STK${tag}-F`;
  expect((await api('POST', '/products', { token: admin, body: { sku, name: 'Forgery Target Kettle', base_price: '9.00' } })).status).toBe(201);
  await adjust(sku, 3);
  await eventually(async () => (await search(sku, true)).hit?.stock_bucket === 'low', 15_000, 'in stock, low');

  // A claim of 500 units (no seq, as an old event would come): the inventory's 3 stay.
  await publishToBroker('inventory.stock.changed', { event_id: randomUUID(), sku, on_hand: 500, reserved: 0, available: 500, locations: [], occurred_at: new Date().toISOString() });
  // A claim of a change the inventory never made: parked.
  const lie = await publishToBroker('inventory.stock.changed', { event_id: randomUUID(), sku, on_hand: 500, reserved: 0, available: 500, locations: [], seq: Number.MAX_SAFE_INTEGER, occurred_at: new Date().toISOString() });
  const poison = await publishToBroker('inventory.stock.changed', { poison: true, sku });
  for (const id of [lie, poison]) {
    await eventually(async () => {
      const res = await api('GET', '/admin/dead-letters/search?topic=inventory.stock.changed', { token: admin });
      return (res.body.items as Array<{ event_id: string; status: string }>).find((p) => p.event_id === id && p.status === 'parked');
    }, 30_000, `event ${id} is parked`);
  }
  expect((await search(sku, true)).hit).toMatchObject({ in_stock: true, stock_bucket: 'low' });
});

test('images: created with images, read back in position order, search shows the first; bad images are 400', async () => {
  const sku = `IMG${tag}-A`;
  const images = [
    { url: 'https://cdn.example.com/kettle-side.jpg', alt: 'The kettle from the side', position: 2 },
    { url: 'https://cdn.example.com/kettle-front.jpg', alt: 'The kettle from the front', position: 1 },
  ];
  const created = await api('POST', '/products', { token: admin, body: { sku, name: 'Pictured Copper Kettle', base_price: '30.00', images } });
  expect(created.status).toBe(201);
  const read = await api('GET', `/products/${created.body.id}`);
  expect(read.body.images).toEqual([images[1], images[0]]);
  const hit = await eventually(async () => (await search(sku)).hit, 15_000, 'searchable');
  expect(hit.image).toEqual({ url: images[1]!.url, alt: images[1]!.alt });

  const patched = await api('PATCH', `/products/${created.body.id}`, { token: admin, body: { images: [images[0]] }, headers: { 'if-match': '"v1"' } });
  expect(patched.status).toBe(200);
  await eventually(async () => (await search(sku)).hit?.image?.url === images[0]!.url, 15_000, 'the new first image is searchable');

  for (const bad of [
    [{ url: 'http://cdn.example.com/a.jpg', alt: 'a' }],
    [{ url: 'javascript:alert(1)', alt: 'a' }],
    [{ url: 'https://cdn.example.com/a.jpg' }],
    Array.from({ length: 11 }, (_, i) => ({ url: `https://cdn.example.com/${i}.jpg`, alt: `${i}` })),
  ]) {
    const res = await api('POST', '/products', { token: admin, body: { sku: `${sku}-BAD`, name: 'Bad', base_price: '1.00', images: bad } });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
  }
});
