/**
 * The catalog through the gateway: admin writes with optimistic concurrency, public reads with
 * caching headers, cursor pagination, the category tree, and the transactional outbox.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { pgConfig } from '../../kernel/config';
import { api, signUp, signUpAdmin } from '../support/gateway';
import { eventually } from '../support/processes';

let admin = '';
let customer = '';
const tag = Math.random().toString(36).slice(2, 8).toUpperCase();
const sku = (name: string) => `T${tag}-${name}`;

beforeAll(async () => {
  admin = (await signUpAdmin('catalog-admin')).access;
  customer = (await signUp('catalog-customer')).access;
});

async function createProduct(body: Record<string, unknown>) {
  const res = await api('POST', '/products', { token: admin, body });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res;
}

describe('products', () => {
  test("accepts the seed's decimal price exactly and answers with ETag and Location", async () => {
    const res = await createProduct({ sku: sku('LAPTOP'), name: 'Gaming Laptop', base_price: 1299.99, attributes: { brand: 'Acme', ram_gb: 32 } });
    expect(res.body).toMatchObject({ base_price: '1299.99', base_price_minor: 129999, currency: 'USD', status: 'active', version: 1 });
    expect(res.headers.get('etag')).toBe('"v1"');
    expect(res.headers.get('location')).toBe(`/products/${res.body.id}`);
    const read = await api('GET', `/products/${res.body.id}`);
    expect(read.status).toBe(200);
    expect(read.headers.get('etag')).toBe('"v1"');
    expect(read.headers.get('cache-control')).toContain('public');
    const notModified = await fetch(`http://127.0.0.1:8000/products/${res.body.id}`, { headers: { 'if-none-match': '"v1"' } });
    expect(notModified.status).toBe(304);
  });

  test('updates need If-Match: missing 428, stale 412, current 200 with the next version', async () => {
    const { body: created } = await createProduct({ sku: sku('PHONE'), name: 'Phone', base_price: '499.00' });
    const path = `/products/${created.id}`;
    expect((await api('PATCH', path, { token: admin, body: { name: 'Phone 2' } })).status).toBe(428);
    const first = await api('PATCH', path, { token: admin, body: { name: 'Phone 2' }, headers: { 'if-match': '"v1"' } });
    expect(first.status).toBe(200);
    expect(first.body.version).toBe(2);
    const stale = await api('PATCH', path, { token: admin, body: { name: 'Lost update' }, headers: { 'if-match': '"v1"' } });
    expect(stale.status).toBe(412);
    expect(stale.headers.get('etag')).toBe('"v2"');
    expect((await api('GET', path)).body.name).toBe('Phone 2');
    expect((await api('DELETE', path, { token: admin, headers: { 'if-match': '"v1"' } })).status).toBe(412);
    expect((await api('DELETE', path, { token: admin, headers: { 'if-match': '"v2"' } })).status).toBe(204);
    expect((await api('GET', path)).status).toBe(404);
  });

  test('variants carry their own SKUs and prices; SKUs are unique across products and variants', async () => {
    const { body } = await createProduct({
      sku: sku('SHIRT'), name: 'Shirt', base_price: '20.00',
      variants: [{ sku: sku('SHIRT-S'), options: { size: 's' } }, { sku: sku('SHIRT-XL'), options: { size: 'xl' }, price: '22.50' }],
    });
    expect(body.variants).toEqual([
      { sku: sku('SHIRT-S'), name: '', options: { size: 's' }, price: '20.00', price_minor: 2000 },
      { sku: sku('SHIRT-XL'), name: '', options: { size: 'xl' }, price: '22.50', price_minor: 2250 },
    ]);
    expect((await api('POST', '/products', { token: admin, body: { sku: sku('SHIRT-S'), name: 'Clash', base_price: 1 } })).status).toBe(409);
    expect((await api('POST', '/products', { token: admin, body: { sku: sku('SHIRT'), name: 'Clash', base_price: 1 } })).status).toBe(409);
    const dupInside = await api('POST', '/products', { token: admin, body: { sku: sku('X1'), name: 'x', base_price: 1, variants: [{ sku: sku('X1'), options: {} }] } });
    expect(dupInside.status).toBe(400);
  });

  test('customers and anonymous callers cannot write, and do not see drafts', async () => {
    const body = { sku: sku('NOPE'), name: 'Nope', base_price: 1 };
    expect((await api('POST', '/products', { body })).status).toBe(401);
    expect((await api('POST', '/products', { token: customer, body })).status).toBe(403);
    const { body: draft } = await createProduct({ sku: sku('DRAFT'), name: 'Draft', base_price: 1, status: 'draft' });
    expect((await api('GET', `/products/${draft.id}`)).status).toBe(404);
    expect((await api('GET', `/products/${draft.id}`, { token: customer })).status).toBe(404);
    expect((await api('GET', `/products/${draft.id}`, { token: admin })).status).toBe(200);
    expect((await api('GET', '/products?status=draft', { token: customer })).status).toBe(403);
  });

  test('invalid payloads, unknown fields, bad prices and bad cursors are 4xx problems', async () => {
    const bad: Array<[Record<string, unknown>, number]> = [
      [{ name: 'no sku', base_price: 1 }, 400],
      [{ sku: sku('B1'), name: 'x', base_price: 1, colour: 'red' }, 400],
      [{ sku: sku('B2'), name: 'x', base_price: 10.001 }, 400],
      [{ sku: sku('B3'), name: 'x', base_price: -5 }, 400],
      [{ sku: sku('B4'), name: 'x', base_price: 'ten' }, 400],
      [{ sku: 'bad sku!', name: 'x', base_price: 1 }, 400],
      [{ sku: sku('B5'), name: 'x', base_price: 1, category_id: randomUUID() }, 422],
      [{ sku: sku('B6'), name: 'x', base_price: 1, attributes: { 'Bad Key': 1 } }, 400],
    ];
    for (const [body, status] of bad) {
      const res = await api('POST', '/products', { token: admin, body });
      expect([JSON.stringify(body), res.status]).toEqual([JSON.stringify(body), status]);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect((await api('GET', '/products?cursor=garbage')).status).toBe(400);
    const page = await api('GET', '/products?page_size=1&sort=name');
    expect((await api('GET', `/products?sort=price_asc&cursor=${page.body.next_cursor}`)).status).toBe(400);
  });
});

describe('lists and categories', () => {
  test('cursor pagination walks a category subtree without gaps or repeats, in every sort', async () => {
    const root = await api('POST', '/categories', { token: admin, body: { name: `Root ${tag}` } });
    const child = await api('POST', '/categories', { token: admin, body: { name: 'Child', parent_id: root.body.id } });
    expect(child.status).toBe(201);
    const ids = new Set<string>();
    for (let i = 0; i < 7; i += 1) {
      const { body } = await createProduct({ sku: sku(`P${i}`), name: `Item ${i}`, base_price: 10 + (i % 3), category_id: i % 2 ? root.body.id : child.body.id });
      ids.add(body.id);
    }
    for (const sort of ['newest', 'oldest', 'name', 'price_asc', 'price_desc']) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: { status: number; body: { items: Array<{ id: string }>; next_cursor: string | null } } = await api(
          'GET',
          `/products?category_id=${root.body.id}&page_size=3&sort=${sort}${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(res.status).toBe(200);
        seen.push(...res.body.items.map((p) => p.id));
        cursor = res.body.next_cursor;
      } while (cursor);
      expect(seen.length).toBe(7);
      expect(new Set(seen)).toEqual(ids);
    }
    const tree = await api('GET', '/categories');
    const node = tree.body.items.find((c: { id: string }) => c.id === root.body.id);
    expect(node.children.map((c: { id: string }) => c.id)).toEqual([child.body.id]);
  });

  test('a category cannot move under its own descendant, nor be deleted while in use', async () => {
    const a = await api('POST', '/categories', { token: admin, body: { name: `A ${tag}` } });
    const b = await api('POST', '/categories', { token: admin, body: { name: 'B', parent_id: a.body.id } });
    expect((await api('PATCH', `/categories/${a.body.id}`, { token: admin, body: { parent_id: b.body.id }, headers: { 'if-match': '"v1"' } })).status).toBe(409);
    expect((await api('DELETE', `/categories/${a.body.id}`, { token: admin, headers: { 'if-match': '"v1"' } })).status).toBe(409);
    expect((await api('DELETE', `/categories/${b.body.id}`, { token: admin, headers: { 'if-match': '"v1"' } })).status).toBe(204);
    expect((await api('POST', '/categories', { token: admin, body: { name: `a ${tag}`.toUpperCase() } })).status).toBe(409);
  });
});

describe('the transactional outbox', () => {
  test('every change is written as an event in its transaction and published', async () => {
    const { body } = await createProduct({ sku: sku('OUTBOX'), name: 'Outboxed', base_price: 5 });
    await api('PATCH', `/products/${body.id}`, { token: admin, body: { name: 'Outboxed 2' }, headers: { 'if-match': '"v1"' } });
    const pool = new pg.Pool({ ...pgConfig(), max: 1 });
    try {
      const rows = await eventually(async () => {
        const { rows } = await pool.query<{ topic: string; version: number; published: boolean }>(
          `SELECT topic, (payload->'product'->>'version')::int AS version, published_at IS NOT NULL AS published
             FROM catalog.outbox WHERE payload->'product'->>'id' = $1 ORDER BY seq`,
          [body.id],
        );
        return rows.length === 2 && rows.every((r) => r.published) && rows;
      }, 10_000, 'both events published');
      expect(rows.map((r) => [r.topic, r.version])).toEqual([['catalog.product.created', 1], ['catalog.product.updated', 2]]);
    } finally {
      await pool.end();
    }
  });
});
