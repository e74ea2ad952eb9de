/**
 * Failover with replicas: cart, inventory and order each run twice (SCALE; started here when the
 * stack runs them once). While guest carts are updated one line at a time and shoppers check out
 * (reserving stock through the inventory actors, sagas in the order workflow), replica 2 of all
 * three is killed with SIGKILL, app and sidecar, and not started again. Then:
 *   - the actors it hosted are active again on the survivor (placement moved them);
 *   - no cart update lost or applied twice: every cart holds exactly the units its client was
 *     told were added, at the version it was told;
 *   - every order terminal, the stock ledger balanced (nothing left reserved, none reserved
 *     twice), no payment captured without a paid order, none twice;
 *   - the clients saw nothing but answers and retryable 503s (with Retry-After) or 429s.
 */
import { Tally, call } from '../../chaos/lib/client';
import { Report } from '../../chaos/lib/scenario';
import { checkLedger, checkout, checkPayments, notTerminalAfter, type Intent, type Placed } from '../../chaos/scenarios/checkout-kills';
import { customers, stockedProduct, type Customer, type Product } from '../../chaos/lib/shop';
import { storePool } from '../../chaos/lib/stack';
import { activeActors, ensureTwoReplicas, instance, restoreScale, waitReady } from '../support/replicas';
import { relaunch, runningParts, stop, type Captured } from '../support/relaunch';

const APPS = ['cart', 'inventory', 'order'];
const CARTS = 16;
const ADDS_PER_CART = 12;
const CHECKOUTS = 30;
const SKUS = 10;
const UNITS_PER_SKU = 40;

jest.setTimeout(900_000);

let restoreTo: string | undefined;
let killed: Array<{ app: string; parts: Captured[] }> = [];

beforeAll(async () => {
  restoreTo = await ensureTwoReplicas(APPS);
  for (const app of APPS) {
    await waitReady(instance(app, 1));
    await waitReady(instance(app, 2));
  }
});

afterAll(async () => {
  if (restoreTo !== undefined) {
    await restoreScale(restoreTo, APPS);
    return;
  }
  // The stack ran these replicas before: start them again as they were.
  for (const { app, parts } of killed) {
    for (const part of parts) relaunch(part, `failover-${app}-${part.pid}`);
    await waitReady(instance(app, 2), 180_000);
  }
});

interface CartRun {
  cartId: string;
  acknowledged: number;
  version: number;
  /** How long the longest update took, sent to acknowledged (retries included). */
  slowestMs: number;
}

/** One guest cart, `ADDS_PER_CART` single-unit adds of `product`, each sent until answered (same Idempotency-Key). */
async function cartClient(product: Product, tally: Tally, pace: () => Promise<void>): Promise<CartRun> {
  const created = await call('POST', '/cart', { tally, withinMs: 120_000 });
  if (created?.status !== 201) throw new Error(`POST /cart: ${created?.status} ${JSON.stringify(created?.body)}`);
  const run: CartRun = { cartId: created.body.cart_id, acknowledged: 0, version: created.body.version, slowestMs: 0 };
  for (let i = 0; i < ADDS_PER_CART; i++) {
    await pace();
    const started = Date.now();
    const added = await call('POST', '/cart/items', {
      tally,
      withinMs: 180_000,
      headers: { 'x-cart-id': run.cartId },
      body: { product_id: product.id, quantity: 1, expected_version: run.version },
    });
    if (added?.status !== 200) {
      tally.unexpected.push(`POST /cart/items ended ${added?.status ?? 'without an answer'} ${JSON.stringify(added?.body ?? '').slice(0, 160)}`);
      break;
    }
    run.acknowledged += 1;
    run.version = added.body.version;
    run.slowestMs = Math.max(run.slowestMs, Date.now() - started);
  }
  return run;
}

/** SIGKILL the app and the sidecar of replica 2 of `app`, returning what ran (to start it again). */
async function killReplica2(app: string): Promise<Captured[]> {
  const { app: proc, sidecar } = runningParts(app, instance(app, 2).appPort);
  if (!proc || !sidecar) throw new Error(`replica 2 of ${app} is not running`);
  await Promise.all([stop(proc, 'SIGKILL'), stop(sidecar, 'SIGKILL')]);
  return [proc, sidecar];
}

test('killing one replica of cart, inventory and order loses nothing and leaves nothing stuck', async () => {
  // Ten SKUs, ten stock actors: placement puts them all on one host once in 500 runs.
  const [forCarts, ...forCheckouts] = await Promise.all([
    stockedProduct('FO-CART', '4.00', 0),
    ...Array.from({ length: SKUS }, (_, i) => stockedProduct(`FO-${i}`, '9.99', UNITS_PER_SKU)),
  ]);
  const initial = new Map(forCheckouts.map((p) => [p.sku, UNITS_PER_SKU]));
  const shoppers: Customer[] = await customers(6, 'failover');
  const tally = new Tally();

  // The kill comes once a third of the cart updates are acknowledged, while all of it runs.
  let acknowledged = 0;
  let killedAt = 0;
  let killing: Promise<void> | undefined;
  const before: Record<string, Record<string, number>> = {};
  const pace = async () => {
    acknowledged += 1;
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 150));
    if (!killing && acknowledged >= (CARTS * ADDS_PER_CART) / 3) {
      killing = (async () => {
        for (const app of APPS) before[app] = await activeActors(instance(app, 2));
        killedAt = Date.now();
        killed = await Promise.all(APPS.map(async (app) => ({ app, parts: await killReplica2(app) })));
      })();
    }
  };

  const carts = Promise.all(Array.from({ length: CARTS }, () => cartClient(forCarts, tally, pace)));
  const intents: Intent[] = Array.from({ length: CHECKOUTS }, (_, i) => (i % 10 === 9 ? 'cancel' : i % 10 === 8 ? 'retry' : 'pay'));
  const orders = Promise.all(
    intents.map(async (intent, i) => {
      await new Promise((r) => setTimeout(r, Math.random() * 8000));
      return checkout(shoppers[i % shoppers.length]!, forCheckouts, intent, tally);
    }),
  );
  const cartRuns = await carts;
  const placed = (await orders).filter((o): o is Placed => o !== undefined);
  expect(killing).toBeDefined();
  await killing;

  // The survivor hosts the actors now: the carts answer from replica 1's cart actors.
  const after = Object.fromEntries(await Promise.all(APPS.map(async (app) => [app, await activeActors(instance(app, 1))] as const)));
  console.log(`failover: active actors on replica 2 before the kill ${JSON.stringify(before)}; on replica 1 afterwards ${JSON.stringify(after)}`);
  expect(before.cart?.CartActor ?? 0).toBeGreaterThan(0);
  expect(before.inventory?.InventoryItemActor ?? 0).toBeGreaterThan(0);

  // Every cart holds what its client was told, read back through the gateway.
  const wrong: string[] = [];
  for (const run of cartRuns) {
    const read = await call('GET', '/cart', { headers: { 'x-cart-id': run.cartId }, tally, withinMs: 60_000 });
    const units = (read?.body?.items ?? []).reduce((n: number, l: { quantity: number }) => n + l.quantity, 0);
    if (read?.status !== 200 || units !== ADDS_PER_CART || run.acknowledged !== ADDS_PER_CART || read.body.version !== run.version) {
      wrong.push(`${run.cartId}: ${read?.status} ${units} units, v${read?.body?.version} (client: ${run.acknowledged} acknowledged, v${run.version})`);
    }
  }
  const slowest = Math.max(...cartRuns.map((r) => r.slowestMs));
  console.log(`failover: ${cartRuns.length * ADDS_PER_CART} cart updates, slowest acknowledged ${(slowest / 1000).toFixed(1)} s after it was sent; ${placed.length} orders; answers ${JSON.stringify(tally.statuses)}`);
  expect(wrong).toEqual([]);

  const db = storePool();
  try {
    const t0 = Date.now();
    const open = await notTerminalAfter(db, placed, 300_000);
    console.log(`failover: every order terminal ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill (waited ${((Date.now() - t0) / 1000).toFixed(1)} s after the traffic)`);
    expect(open).toEqual([]);
    expect(placed.length).toBe(CHECKOUTS);
    const report = new Report();
    await checkLedger(db, forCheckouts, initial, placed, report);
    await checkPayments(db, placed, report);
    expect(report.invariants.filter((i) => !i.ok)).toEqual([]);
    // Each order's stock reserved at most once in the ledger, however often its saga step ran.
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT order_id, sku FROM inventory.ledger
         WHERE order_id = ANY($1::text[]) AND delta_reserved > 0 GROUP BY order_id, sku HAVING count(*) > 1) d`,
      [placed.map((o) => o.id)],
    );
    expect(rows[0]!.n).toBe(0);
  } finally {
    await db.end();
  }
  expect(tally.unexpected).toEqual([]);
});
