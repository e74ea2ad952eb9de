/**
 * PostgreSQL made slow for the stock writers (their rows held locked from another connection
 * for longer than the actor timeout, again and again) while administrators adjust stock: the
 * sidecars time the actor calls out and retry them, clients repeat their calls after 5xx with
 * the same Idempotency-Key. Each acknowledged adjustment must be applied exactly once: on hand
 * = initial + the acknowledged deltas, one ledger line and one adjustment record per
 * acknowledged call, no more.
 */
import { randomUUID } from 'node:crypto';
import { api } from '../../test/support/gateway';
import { call, Tally } from '../lib/client';
import type { Scenario } from '../lib/scenario';
import { adminToken, stockedProduct } from '../lib/shop';
import { sidecarCounter, sleep, storePool } from '../lib/stack';

/** Past the actor timeout of components/resiliency.yaml (5 s), under the callers' 10 s. */
const LOCK_MS = 7000;
const INITIAL = 100;

export const slowPostgres: Scenario = {
  name: 'slow-postgres',
  async run(ctx, report) {
    const token = await adminToken();
    const products = await Promise.all([0, 1, 2].map((i) => stockedProduct(`SLOW-${i}`, '1.00', INITIAL)));
    const skus = products.map((p) => p.sku);
    const db = storePool();
    const tally = new Tally();
    const retries = () => sidecarCounter('inventory', 'dapr_resiliency_activations_total', { policy: 'retry', target: 'actor_InventoryItemActor' });
    const retriesBefore = await retries();
    let locking = true;
    let locks = 0;
    try {
      // The slow database: each SKU's stock rows locked for LOCK_MS, released for a moment, locked again.
      const lockers = skus.map(async (sku) => {
        while (locking) {
          const client = await db.connect();
          try {
            await client.query('BEGIN');
            await client.query('SELECT 1 FROM inventory.stock_levels WHERE sku = $1 FOR UPDATE', [sku]);
            locks += 1;
            await sleep(LOCK_MS);
            await client.query('COMMIT');
          } finally {
            client.release();
          }
          await sleep(300);
        }
      });
      await sleep(200);
      const acked = new Map<string, { delta: number; count: number }>(skus.map((s) => [s, { delta: 0, count: 0 }]));
      const n = ctx.profile.slowAdjustments;
      const t0 = Date.now();
      await Promise.all(
        Array.from({ length: n }, async (_, i) => {
          await sleep(Math.random() * LOCK_MS * 2);
          const sku = skus[i % skus.length]!;
          const delta = i % 3 === 2 ? -1 : 1 + (i % 5);
          const res = await call('POST', `/inventory/${sku}/adjustments`, { token, body: { location: 'wh-1', delta, reason: `chaos slow ${randomUUID().slice(0, 8)}` }, tally, withinMs: 120_000 });
          if (res?.status === 201) {
            const a = acked.get(sku)!;
            a.delta += delta;
            a.count += 1;
          } else tally.unexpected.push(`adjustment ended ${res?.status ?? 'without an answer'} ${JSON.stringify(res?.body ?? '').slice(0, 120)}`);
        }),
      );
      const seconds = (Date.now() - t0) / 1000;
      locking = false;
      await Promise.all(lockers);

      let drift = 0;
      let extraLedger = 0;
      let extraRecords = 0;
      let acknowledged = 0;
      for (const sku of skus) {
        const a = acked.get(sku)!;
        acknowledged += a.count;
        const stock = await api('GET', `/inventory/${sku}`);
        drift += Math.abs(Number(stock.body?.on_hand) - (INITIAL + a.delta));
        const ledger = await db.query("SELECT count(*)::int AS n FROM inventory.ledger WHERE sku = $1 AND reason LIKE 'adjustment: chaos slow %'", [sku]);
        extraLedger += Math.abs(ledger.rows[0].n - a.count);
        const records = await db.query("SELECT count(*)::int AS n FROM inventory.adjustments WHERE sku = $1 AND reason LIKE 'chaos slow %'", [sku]);
        extraRecords += Math.abs(records.rows[0].n - a.count);
      }
      // The point of the scenario: the sidecar did time actor calls out and run them again.
      const retried = (await retries()) - retriesBefore;
      report.check('actor calls retried by the sidecar', retried > 0, retried);
      report.zero('adjustments not acknowledged', n - acknowledged, n);
      report.zero('stock drift (units)', drift);
      report.zero('ledger lines beyond one per adjustment', extraLedger);
      report.zero('adjustment records beyond one per adjustment', extraRecords);
      report.zero('answers other than 2xx/4xx/503+Retry-After', tally.unexpected.length);
      if (tally.unexpected.length) ctx.log(`  unexpected: ${tally.unexpected.slice(0, 5).join(' | ')}`);
      report.figure('adjustments', n);
      report.figure('locks held', locks);
      report.figure('answers', JSON.stringify(tally.statuses));
      report.figure('seconds', seconds.toFixed(0));
    } finally {
      locking = false;
      await db.end().catch(() => undefined);
    }
  },
};
