/**
 * preparedRead (kernel/store/pg.ts): a named statement planned once per connection, that keeps
 * answering when a migration changes its table's columns while the process runs (PostgreSQL
 * refuses the prepared plan then: 0A000) — the read is sent unnamed instead of failing.
 */
import pg from 'pg';
import { pgConfig } from '../../kernel/config';
import { preparedRead } from '../../kernel/store/pg';

let pool: pg.Pool;
const table = `prepared_read_${process.pid}`;

beforeAll(async () => {
  pool = new pg.Pool({ ...pgConfig(), max: 1 }); // one connection: the second read meets the first one's prepared plan
  await pool.query(`CREATE TABLE public.${table} (id int PRIMARY KEY, name text)`);
  await pool.query(`INSERT INTO public.${table} VALUES (1, 'kettle')`);
});

afterAll(async () => {
  await pool.query(`DROP TABLE IF EXISTS public.${table}`);
  await pool.end();
});

it('reads through a prepared plan, and after a column is added reads the new shape instead of failing', async () => {
  const read = () => preparedRead<{ id: number; name: string; colour?: string }>(pool, `read-${table}`, `SELECT * FROM public.${table} WHERE id = $1`, [1]);
  expect((await read()).rows).toEqual([{ id: 1, name: 'kettle' }]);
  const prepared = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name = $1`, [`read-${table}`]);
  expect(prepared.rows[0]!.n).toBe(1);

  await pool.query(`ALTER TABLE public.${table} ADD COLUMN colour text DEFAULT 'red'`);
  // The prepared plan's result type no longer matches: PostgreSQL refuses it outright.
  await expect(pool.query({ name: `read-${table}`, text: `SELECT * FROM public.${table} WHERE id = $1`, values: [1] })).rejects.toMatchObject({ code: '0A000' });
  expect((await read()).rows).toEqual([{ id: 1, name: 'kettle', colour: 'red' }]);
});
