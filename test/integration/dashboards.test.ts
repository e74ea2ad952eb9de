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

const PROMETHEUS = `http://${process.env.PROMETHEUS_HOST ?? '127.0.0.1'}:${process.env.PROMETHEUS_PORT ?? '9090'}`;
const DIR = path.join(ROOT, 'charts', 'dapr-commerce', 'files', 'grafana');

interface Panel { title: string; targets: Array<{ expr: string }> }
const dashboards = readdirSync(DIR).filter((f) => f.endsWith('.json')).map((f) => ({ file: f, ...(JSON.parse(readFileSync(path.join(DIR, f), 'utf8')) as { uid: string; panels: Panel[] }) }));
const queries = dashboards.flatMap((d) => d.panels.flatMap((p) => p.targets.map((t) => ({ what: `${d.file}: ${p.title}`, expr: t.expr }))));

async function series(expr: string): Promise<number> {
  const res = await fetch(`${PROMETHEUS}/api/v1/query?query=${encodeURIComponent(expr)}`, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as { status: string; error?: string; data?: { result: unknown[] } };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  return body.data!.result.length;
}

test('two dashboards with unique ids, each panel with a query', () => {
  expect(dashboards.map((d) => d.uid).sort()).toEqual(['commerce-business', 'commerce-dapr']);
  for (const d of dashboards) for (const p of d.panels) expect({ panel: p.title, queries: p.targets.length > 0 }).toEqual({ panel: p.title, queries: true });
});

test('every panel of every dashboard has data once the shop has had some traffic', async () => {
  const admin = (await signUpAdmin('dash-admin')).access;
  const sku = `DB${randomUUID().slice(0, 6).toUpperCase()}-CUP`;
  const product = await api('POST', '/products', { token: admin, body: { sku, name: 'Dashboard cup', base_price: '5.00', currency: 'USD' } });
  expect(product.status).toBe(201);
  expect((await api('POST', `/inventory/${sku}/adjustments`, { token: admin, body: { location: 'wh-1', delta: 3, reason: 'receiving' } })).status).toBe(201);
  const shopper = await signUp('dash-shopper');
  const placed = await api('POST', '/orders', {
    token: shopper.access,
    headers: { 'idempotency-key': randomUUID() },
    body: { items: [{ product_id: product.body.id, quantity: 1 }], shipping_address: { recipient: 'Dash Board', line1: '1 Fault Lane', city: 'Berlin', postal_code: '10115', country: 'DE' } },
  });
  expect(placed.status).toBe(202);
  // Reads meanwhile: rate() needs two scrapes with traffic between them.
  let reading = true;
  const reads = (async () => {
    while (reading) {
      await api('GET', `/products/${product.body.id}`);
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
