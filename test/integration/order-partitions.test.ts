/**
 * Orders are hash-partitioned by user_id (apps/order/src/store/migrations.ts, 011): the table is
 * partitioned, a customer's orders all live in one partition, and the queries a customer's
 * requests make (their history, their order by id) are planned against that one partition only.
 */
import pg from 'pg';
import { pgConfig } from '../../kernel/config';
import { api, signUp, signUpAdmin } from '../support/gateway';
import { BERLIN, productInStock } from '../support/shop';

let db: pg.Pool;
beforeAll(() => {
  db = new pg.Pool({ ...pgConfig(), max: 2 });
});
afterAll(() => db.end());

/** The partitions a plan reads (the leaf tables named in EXPLAIN's scans). */
async function partitionsScanned(sql: string, args: unknown[]): Promise<string[]> {
  const { rows } = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, args);
  return [...new Set(rows.flatMap((r) => [...r['QUERY PLAN'].matchAll(/ on (orders_h\d+)/g)].map((m) => m[1]!)))];
}

test('orders.orders is hash-partitioned by user_id into 16 partitions', async () => {
  const { rows } = await db.query<{ strategy: string; key: string; partitions: number }>(
    `SELECT p.partstrat AS strategy, pg_get_partkeydef(c.oid) AS key,
            (SELECT count(*)::int FROM pg_inherits i WHERE i.inhparent = c.oid) AS partitions
       FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'orders' AND c.relname = 'orders'`,
  );
  expect(rows).toEqual([{ strategy: 'h', key: 'HASH (user_id)', partitions: 16 }]);
});

test("a customer's orders share one partition, and their history and order reads scan only it", async () => {
  const admin = (await signUpAdmin('partition-admin')).access;
  const productId = await productInStock(admin, `PART-${Date.now().toString(36).toUpperCase()}`, 'Partition mug', '3.00', 20);
  const customer = await signUp('partitions');
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const placed = await api('POST', '/orders', { token: customer.access, body: { items: [{ product_id: productId, quantity: 1 }], shipping_address: BERLIN } });
    expect(placed.status).toBe(202);
    ids.push(placed.body.id);
  }
  const { rows } = await db.query<{ part: string }>('SELECT DISTINCT tableoid::regclass::text AS part FROM orders.orders WHERE user_id = $1', [customer.id]);
  expect(rows).toHaveLength(1);
  const own = rows[0]!.part.replace(/^orders\./, '');

  // The queries OrderStore.listByUser and byId(id, userId) run for a customer.
  expect(await partitionsScanned('SELECT * FROM orders.orders WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2', [customer.id, 20])).toEqual([own]);
  expect(await partitionsScanned('SELECT * FROM orders.orders WHERE id = $1 AND user_id = $2', [ids[0], customer.id])).toEqual([own]);
  // Through the API, the customer sees exactly their orders.
  const listed = await api('GET', '/orders?limit=10', { token: customer.access });
  expect(listed.body.items.map((o: { id: string }) => o.id).sort()).toEqual([...ids].sort());
  const one = await api('GET', `/orders/${ids[0]}`, { token: customer.access });
  expect(one.status).toBe(200);
  // Another customer's id is not found in their partition (a 404, as before).
  const other = await signUp('partitions-other');
  expect((await api('GET', `/orders/${ids[0]}`, { token: other.access })).status).toBe(404);
});
