/**
 * `npm run seed` on the real stack: a shop to look at (categories, products with variants and
 * images, stock in two locations, shipping methods, tax rates, a welcome coupon), through the
 * public API; run twice, it finds what it made and changes nothing.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { api, signUpAdmin } from '../support/gateway';
import { ROOT, eventually } from '../support/processes';
import { stockFigures } from '../support/inventory';
import { SEED } from '../../scripts/seed-data';

const run = promisify(execFile);
const seed = () => run(process.execPath, [path.join(ROOT, 'dist', 'scripts', 'seed.js')], { cwd: ROOT, env: process.env, timeout: 300_000 });

test('the seed builds a shop once: a second run finds it and receives no stock twice', async () => {
  const first = await seed();
  expect(first.stdout).toMatch(/seed: 4 categories, \d+ products created/);
  const hoodie = SEED.products.find((p) => p.sku === 'SEED-HOODIE')!;
  const variantSku = hoodie.variants![0]!.sku;
  const before = await stockFigures(variantSku);

  const second = await seed();
  expect(second.stdout).toMatch(/0 products created \(7 already there\)/);
  expect(await stockFigures(variantSku)).toEqual(before);
  expect(before.on_hand).toBeGreaterThanOrEqual(hoodie.stock['wh-berlin']! + hoodie.stock['wh-rotterdam']!);

  // What a shopper sees: the product with its variants and images, found by search; what ships to DE; the coupon.
  const found = await eventually(async () => {
    const res = await api('GET', '/search?q=hoodie', { headers: { 'cache-control': 'no-cache' } });
    return res.body.items?.find((h: { sku: string }) => h.sku === 'SEED-HOODIE');
  }, 60_000, 'the hoodie searchable');
  const product = await api('GET', `/products/${found.id}`);
  expect(product.status).toBe(200);
  expect(product.body.variants).toHaveLength(6);
  expect(product.body.images[0]).toMatchObject({ url: expect.stringMatching(/^https:\/\//), alt: 'Grey hoodie, front view' });
  const methods = await api('GET', '/shipping-methods?country=DE&currency=EUR&weight_grams=650');
  expect(methods.body.items.map((m: { code: string }) => m.code)).toEqual(expect.arrayContaining(['SEED-EU-STD', 'SEED-EU-EXP']));
  const admin = (await signUpAdmin('seed-check')).access;
  const promotions = await api('GET', '/promotions?view=admin', { token: admin });
  expect(promotions.body.items.some((p: { code: string | null }) => p.code?.toUpperCase() === 'WELCOME10')).toBe(true);
  const rates = await api('GET', '/tax-rates', { token: admin });
  expect(rates.body.rates).toEqual(expect.arrayContaining([expect.objectContaining({ country: 'DE', tax_class: 'reduced', rate_bp: 700 })]));
});
