/**
 * The Grafana dashboards shipped in the chart (charts/dapr-commerce/files/grafana/*.json): every
 * query of every panel, asked of the local Prometheus after some ordinary shop traffic (a
 * product created, an order placed, reads), returns data, so no panel opens empty. The
 * dashboards read the recording rules of files/prometheus/rules.yml, which the local Prometheus
 * loads as the cluster's does.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { api, signUp, signUpAdmin } from '../support/gateway';
import { eventually, ROOT } from '../support/processes';
import { query } from '../support/prometheus';
import { BERLIN, productInStock } from '../support/shop';

const DIR = path.join(ROOT, 'charts', 'dapr-commerce', 'files', 'grafana');

interface Panel { title: string; targets: Array<{ expr: string }> }
const dashboards = readdirSync(DIR).filter((f) => f.endsWith('.json')).map((f) => ({ file: f, ...(JSON.parse(readFileSync(path.join(DIR, f), 'utf8')) as { uid: string; panels: Panel[] }) }));
const queries = dashboards.flatMap((d) => d.panels.flatMap((p) => p.targets.map((t) => ({ what: `${d.file}: ${p.title}`, expr: t.expr }))));

const series = async (expr: string) => (await query(expr)).length;

test('two dashboards with unique ids, each panel with a query', () => {
  expect(dashboards.map((d) => d.uid).sort()).toEqual(['commerce-business', 'commerce-dapr']);
  for (const d of dashboards) for (const p of d.panels) expect({ panel: p.title, queries: p.targets.length > 0 }).toEqual({ panel: p.title, queries: true });
});

test('every panel of every dashboard has data once the shop has had some traffic', async () => {
  const admin = (await signUpAdmin('dash-admin')).access;
  const sku = `DB${randomUUID().slice(0, 6).toUpperCase()}-CUP`;
  const productId = await productInStock(admin, sku, 'Dashboard cup', '5.00', 3);
  const shopper = await signUp('dash-shopper');
  const placed = await api('POST', '/orders', {
    token: shopper.access,
    headers: { 'idempotency-key': randomUUID() },
    body: { items: [{ product_id: productId, quantity: 1 }], shipping_address: BERLIN },
  });
  expect(placed.status).toBe(202);
  // Reads meanwhile: rate() needs two scrapes with traffic between them.
  let reading = true;
  const reads = (async () => {
    while (reading) {
      await api('GET', `/products/${productId}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  try {
    await eventually(
      async () => {
        const empty: string[] = [];
        for (const q of queries) if ((await series(q.expr)) === 0) empty.push(q.what);
        return empty.length === 0 ? true : undefined;
      },
      120_000,
      'every panel with data',
    ).catch(async (err) => {
      const empty: string[] = [];
      for (const q of queries) if ((await series(q.expr)) === 0) empty.push(`${q.what} (${q.expr})`);
      throw new Error(`${(err as Error).message}; empty: ${empty.join('; ')}`);
    });
  } finally {
    reading = false;
    await reads;
  }
}, 180_000);
