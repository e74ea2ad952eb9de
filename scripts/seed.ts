/**
 * npm run seed: a small real shop on the running stack, through the public API (the gateway),
 * as an administrator would build it: categories, products with variants and images, stock
 * for every variant in two locations, shipping methods, tax rates and a welcome coupon.
 *
 *   npm run up && npm run seed
 *
 * Idempotent: run it again and it finds what it made (SKUs, category names, method codes and
 * the coupon code are fixed) and leaves it, so stock is received once. The administrator it uses
 * is `SEED_ADMIN_EMAIL` (default seed-admin@dapr-commerce.local), created (or promoted) directly
 * in PostgreSQL like `npm run create-admin`, with a random password unless SEED_ADMIN_PASSWORD is
 * set; customers sign up themselves.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { pgConfig } from '../kernel/config';
import { createLogger } from '../kernel/logger';
import { createPool, migrate } from '../kernel/store/pg';
import { migrations } from '../apps/user/src/store/migrations';
import { UserStore } from '../apps/user/src/store/users';
import { hashPassword } from '../apps/user/src/domain/passwords';
import { SEED } from './seed-data';

const GATEWAY = process.env.GATEWAY_URL ?? `http://127.0.0.1:${process.env.GATEWAY_PORT ?? '8000'}`;

interface Answer {
  status: number;
  body: any;
}

async function call(method: string, path: string, token: string, body?: unknown): Promise<Answer> {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${GATEWAY}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(method === 'GET' ? {} : { 'idempotency-key': randomUUID() }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    const answer = { status: res.status, body: text ? JSON.parse(text) : undefined };
    // The stack answers 503/429 with Retry-After while it warms up or is busy: wait and repeat.
    const retryAfter = Number(res.headers.get('retry-after'));
    if ((res.status === 503 || res.status === 429) && attempt < 20) {
      await new Promise((r) => setTimeout(r, Math.min(5, retryAfter || 1) * 1000));
      continue;
    }
    return answer;
  }
}

function expectStatus(answer: Answer, ok: number[], what: string): Answer {
  if (!ok.includes(answer.status)) throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
  return answer;
}

async function seedAdminToken(): Promise<string> {
  const email = process.env.SEED_ADMIN_EMAIL ?? 'seed-admin@dapr-commerce.local';
  const password = process.env.SEED_ADMIN_PASSWORD ?? randomBytes(24).toString('base64url');
  const pool = createPool(pgConfig(), 'users', 'seed');
  try {
    await migrate(pool, 'users', migrations, createLogger('seed', 'warn'));
    const users = new UserStore(pool);
    const existing = await users.byEmail(email);
    // The seed's own account: its password is set on every run, so no secret needs keeping.
    if (existing) await users.update(existing.id, { role: 'admin', passwordHash: await hashPassword(password) });
    else await users.create({ id: randomUUID(), email, name: 'Seed administrator', role: 'admin', passwordHash: await hashPassword(password) });
  } finally {
    await pool.end();
  }
  const res = await fetch(`${GATEWAY}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  if (res.status !== 200) throw new Error(`seed admin login: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

async function categories(token: string): Promise<Map<string, string>> {
  const listed = expectStatus(await call('GET', '/categories', token), [200], 'list categories');
  const items: Array<{ id: string; name: string }> = listed.body.items ?? listed.body;
  const ids = new Map(items.map((c) => [c.name, c.id]));
  for (const name of SEED.categories) {
    if (ids.has(name)) continue;
    const created = expectStatus(await call('POST', '/categories', token, { name }), [201], `category ${name}`);
    ids.set(name, created.body.id);
  }
  return ids;
}

async function products(token: string, categoryIds: Map<string, string>): Promise<{ created: number; existing: number }> {
  let created = 0;
  let existing = 0;
  for (const p of SEED.products) {
    const { category, stock, ...fields } = p;
    const answer = await call('POST', '/products', token, { ...fields, category_id: categoryIds.get(category) ?? null, status: 'active' });
    if (answer.status === 409) {
      existing++;
      continue; // made by an earlier run: its stock was received then
    }
    expectStatus(answer, [201], `product ${p.sku}`);
    created++;
    const skus = p.variants?.length ? p.variants.map((v) => v.sku) : [p.sku];
    for (const sku of skus) {
      for (const [location, units] of Object.entries(stock)) {
        expectStatus(await call('POST', `/inventory/${encodeURIComponent(sku)}/adjustments`, token, { location, delta: units, reason: 'receiving' }), [201], `stock ${sku}@${location}`);
      }
    }
  }
  return { created, existing };
}

async function shippingAndTax(token: string): Promise<void> {
  const listed = expectStatus(await call('GET', '/shipping-methods?view=admin', token), [200], 'list shipping methods');
  const have = new Set(((listed.body.items ?? listed.body) as Array<{ code: string }>).map((m) => m.code));
  for (const method of SEED.shippingMethods) {
    if (have.has(method.code)) continue;
    expectStatus(await call('POST', '/shipping-methods', token, method), [201], `shipping method ${method.code}`);
  }
  // The table is replaced whole by PUT: the seed's pairs are added to what is there, never over it.
  const current: Array<{ country: string; tax_class: string; rate_bp: number }> = expectStatus(await call('GET', '/tax-rates', token), [200], 'tax rates').body.rates;
  const missing = SEED.taxRates.filter((r) => !current.some((c) => c.country === r.country && c.tax_class === r.tax_class));
  if (missing.length) expectStatus(await call('PUT', '/tax-rates', token, { rates: [...current.map(({ country, tax_class, rate_bp }) => ({ country, tax_class, rate_bp })), ...missing] }), [200], 'tax rates');
}

async function coupon(token: string): Promise<void> {
  const answer = await call('POST', '/promotions', token, SEED.welcomeCoupon);
  expectStatus(answer, [201, 409], `coupon ${SEED.welcomeCoupon.code}`);
}

async function main(): Promise<void> {
  const token = await seedAdminToken();
  const categoryIds = await categories(token);
  const made = await products(token, categoryIds);
  await shippingAndTax(token);
  await coupon(token);
  console.log(
    `seed: ${SEED.categories.length} categories, ${made.created} products created (${made.existing} already there), ` +
      `${SEED.shippingMethods.length} shipping methods, ${SEED.taxRates.length} tax rates, coupon ${SEED.welcomeCoupon.code}. ` +
      `Try: curl '${GATEWAY}/search?q=hoodie'`,
  );
}

main().catch((err) => {
  console.error(`seed: ${(err as Error).message}`);
  process.exit(1);
});
