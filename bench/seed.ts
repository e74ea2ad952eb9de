/**
 * The benchmark's data set, created once through the public API (admins) and reused by later
 * runs: 10,000 products (every third with two variants) over 24 categories, stock for every
 * product SKU at two warehouses. Recognised by the `BENCH-` SKU prefix.
 */
import pg from 'pg';
import { pgConfig } from '../kernel/config';
import { call, expectStatus, inParallel } from './lib/http';

export const PRODUCT_COUNT = 10_000;
const WORDS = ['laptop', 'phone', 'headphones', 'keyboard', 'monitor', 'camera', 'speaker', 'charger', 'tablet', 'mouse', 'router', 'watch'];
const COLORS = ['black', 'white', 'blue', 'red', 'green', 'silver'];

export interface Dataset {
  products: Array<{ id: string; sku: string }>;
  categories: string[];
}

async function existing(db: pg.Pool): Promise<Dataset> {
  const products = (await db.query<{ id: string; sku: string }>("SELECT id, sku FROM catalog.products WHERE sku LIKE 'BENCH-%' AND status = 'active' ORDER BY sku")).rows;
  const categories = (await db.query<{ id: string }>("SELECT id FROM catalog.categories WHERE name LIKE 'Bench %' ORDER BY name")).rows.map((r) => r.id);
  return { products, categories };
}

export async function seed(gateway: string, adminToken: string, log: (line: string) => void): Promise<Dataset> {
  const db = new pg.Pool({ ...pgConfig(), max: 2 });
  try {
    let data = await existing(db);
    if (data.products.length >= PRODUCT_COUNT) return data;
    const started = Date.now();
    if (data.categories.length < 24) {
      for (let i = data.categories.length; i < 24; i++) {
        const parent = i >= 4 ? data.categories[i % 4] : undefined;
        const res = expectStatus(await call('POST', `${gateway}/categories`, { token: adminToken, body: { name: `Bench ${String(i).padStart(2, '0')}`, ...(parent ? { parent_id: parent } : {}) } }), 201);
        data.categories.push(res.body.id);
      }
    }
    const have = new Set(data.products.map((p) => p.sku));
    const todo = Array.from({ length: PRODUCT_COUNT }, (_, i) => i).filter((i) => !have.has(sku(i)));
    log(`seeding ${todo.length} products`);
    await inParallel(todo, 12, async (i) => {
      const word = WORDS[i % WORDS.length]!;
      const body = {
        sku: sku(i),
        name: `${COLORS[i % COLORS.length]} ${word} model ${i}`,
        description: `A ${word} for the benchmark, number ${i}.`,
        base_price: `${10 + (i % 490)}.${String(i % 100).padStart(2, '0')}`,
        currency: 'USD',
        category_id: data.categories[i % data.categories.length],
        attributes: { color: COLORS[i % COLORS.length], brand: `brand-${i % 40}` },
        ...(i % 3 === 0 ? { variants: [{ sku: `${sku(i)}-S`, options: { size: 's' } }, { sku: `${sku(i)}-L`, options: { size: 'l' }, price: `${11 + (i % 490)}.00` }] } : {}),
      };
      const res = await call('POST', `${gateway}/products`, { token: adminToken, body });
      if (res.status !== 201 && res.status !== 409) throw new Error(`seed product ${i}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
      for (const location of ['wh-east', 'wh-west']) {
        expectStatus(await call('POST', `${gateway}/inventory/${sku(i)}/adjustments`, { token: adminToken, body: { location, delta: 1000, reason: 'bench seed' }, headers: { 'idempotency-key': `bench-seed-${i}-${location}` } }), 201);
      }
      if ((i + 1) % 1000 === 0) log(`  ${i + 1} products`);
    });
    data = await existing(db);
    log(`seeded ${data.products.length} products in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return data;
  } finally {
    await db.end();
  }
}

function sku(i: number): string {
  return `BENCH-${String(i).padStart(5, '0')}`;
}
