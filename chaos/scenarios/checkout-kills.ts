/**
 * Processes killed (SIGKILL) at random points while checkouts run: the order app alone, its
 * sidecar alone, the inventory sidecar (the stock actors' host), the payment sidecar. For each,
 * `checkoutsPerTarget` checkouts at once, `killsPerTarget` kills. The shoppers behave as a real
 * storefront and Stripe do (retry with the same Idempotency-Key, webhooks redelivered until
 * acknowledged); most pay, some pay with a second card after a decline, some are declined
 * until their attempts are used up, some cancel. Then, for every order placed:
 *   - it reaches a terminal state (paid, failed, cancelled);
 *   - the stock ledger balances: on hand = initial − units of paid orders, nothing left
 *     reserved, the ledger's sums equal the stock levels, never below zero;
 *   - no captured payment without a paid order (a failed or cancelled order's payment is
 *     cancelled or refunded), and no order with two captured payments.
 */
import type pg from 'pg';
import { sendWebhook, stripeEvent } from '../../test/support/stripe';
import { call, pollUntil, Tally } from '../lib/client';
import type { Report, Scenario, ScenarioContext } from '../lib/scenario';
import { ADDRESS, customers, stockedProduct, type Customer, type Product } from '../lib/shop';
import { between, killAndRestart, sleep, storePool, type Part } from '../lib/stack';

const TERMINAL = ['paid', 'failed', 'cancelled'];
/** pay; decline every card until the order fails; retry: one card declined, the next pays; cancel. */
export type Intent = 'pay' | 'decline' | 'retry' | 'cancel';

interface Target {
  app: string;
  part: Part;
}

export const TARGETS: Target[] = [
  { app: 'order', part: 'app' },
  { app: 'order', part: 'sidecar' },
  { app: 'inventory', part: 'sidecar' },
  { app: 'payment', part: 'sidecar' },
];

export interface Placed {
  id: string;
  customer: Customer;
  intent: Intent;
  lines: Array<{ sku: string; quantity: number }>;
}

/** Stripe redelivers a webhook until it is acknowledged; so does this. */
async function deliverWebhook(payload: string, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    try {
      const res = await sendWebhook(payload);
      if (res.status === 200) return true;
      if (res.status < 500 && res.status !== 429) return false;
    } catch {
      // the gateway or the payment app is going down: Stripe tries again later
    }
    await sleep(1000);
  }
  return false;
}

/** One shopper's checkout, start to end; returns the order (or undefined if it was never placed). */
export async function checkout(customer: Customer, products: Product[], intent: Intent, tally: Tally): Promise<Placed | undefined> {
  const pick = products[Math.floor(Math.random() * products.length)]!;
  const lines = [{ product: pick, quantity: 1 + Math.floor(Math.random() * 2) }];
  const placed = await call('POST', '/orders', {
    token: customer.access,
    body: { items: lines.map((l) => ({ product_id: l.product.id, quantity: l.quantity })), shipping_address: ADDRESS },
    withinMs: 240_000,
    tally,
    tolerate: [502],
  });
  if (!placed || placed.status !== 202) {
    tally.unexpected.push(`POST /orders ended ${placed?.status ?? 'without an answer'} ${JSON.stringify(placed?.body ?? '').slice(0, 120)}`);
    return undefined;
  }
  const order: Placed = { id: placed.body.id, customer, intent, lines: lines.map((l) => ({ sku: l.product.sku, quantity: l.quantity })) };
  const payable = await pollUntil<any>(`/orders/${order.id}`, customer.access, (o) => o.status === 'awaiting_payment' || TERMINAL.includes(o.status), 240_000, tally);
  if (payable?.status !== 'awaiting_payment') return order;
  if (intent === 'cancel') {
    await call('POST', `/orders/${order.id}/cancel`, { token: customer.access, body: { reason: 'changed my mind' }, withinMs: 240_000, tally, tolerate: [502] });
    return order;
  }
  const intentOf = { id: payable.payment.intent_id, payment_id: payable.payment.payment_id };
  const send = async (outcome: 'succeeded' | 'failed') => {
    const type = outcome === 'succeeded' ? 'payment_intent.succeeded' : 'payment_intent.payment_failed';
    const payload = stripeEvent(type, { ...intentOf, status: outcome === 'succeeded' ? 'succeeded' : 'requires_payment_method' }, Math.floor(Date.now() / 1000));
    const acknowledged = await deliverWebhook(payload, 240_000);
    if (!acknowledged) tally.unexpected.push(`webhook for ${order.id} never acknowledged`);
    return acknowledged;
  };
  if (intent === 'pay') {
    await send('succeeded');
    return order;
  }
  // A declined card: the order waits for another (its history shows the decline); `decline`
  // goes on declining until the order fails, `retry` pays with the next card.
  for (let declines = 1; declines <= 20; declines++) {
    if (!(await send('failed'))) return order;
    const seen = await pollUntil<any>(`/orders/${order.id}`, customer.access, (o) => TERMINAL.includes(o.status) || (o.payment?.attempts ?? []).filter((a: { outcome: string }) => a.outcome === 'declined').length >= declines, 240_000, tally);
    if (!seen || TERMINAL.includes(seen.status)) return order;
    if (intent === 'retry') {
      await send('succeeded');
      return order;
    }
  }
  return order;
}

/** Kills at random points while `busy` is unsettled; returns each kill's time to ready again. */
async function killer(target: Target, kills: number, busy: Promise<unknown>, log: (l: string) => void): Promise<number[]> {
  let settled = false;
  void busy.finally(() => {
    settled = true;
  });
  const recoveries: number[] = [];
  for (let k = 1; k <= kills; k++) {
    await sleep(between(1500, 6000));
    if (settled && k > 1) break;
    const ms = await killAndRestart(target.app, target.part, between(0, 3000), `${target.app}-${target.part}-${k}`);
    recoveries.push(ms);
    log(`  kill ${k}/${kills}: ${target.app} ${target.part}, ready again after ${(ms / 1000).toFixed(1)} s`);
  }
  return recoveries;
}

/** The orders still not terminal once `withinMs` has passed (polled every second; returns early when none is left). */
export async function notTerminalAfter(db: pg.Pool, orders: Placed[], withinMs: number): Promise<string[]> {
  const deadline = Date.now() + withinMs;
  let open = orders.map((o) => o.id);
  while (open.length > 0 && Date.now() < deadline) {
    const { rows } = await db.query<{ id: string }>("SELECT id::text FROM orders.orders WHERE id = ANY($1::uuid[]) AND status NOT IN ('paid','failed','cancelled')", [open]);
    open = rows.map((r) => r.id);
    if (open.length > 0) await sleep(1000);
  }
  return open;
}

export async function checkLedger(db: pg.Pool, products: Product[], initial: Map<string, number>, orders: Placed[], report: Report): Promise<void> {
  const ids = orders.map((o) => o.id);
  const { rows: ended } = await db.query<{ id: string; status: string }>('SELECT id::text, status FROM orders.orders WHERE id = ANY($1::uuid[])', [ids]);
  const status = new Map(ended.map((r) => [r.id, r.status]));
  const soldBySku = new Map<string, number>();
  for (const o of orders) {
    if (status.get(o.id) !== 'paid') continue;
    for (const l of o.lines) soldBySku.set(l.sku, (soldBySku.get(l.sku) ?? 0) + l.quantity);
  }
  let drift = 0;
  let leftReserved = 0;
  let ledgerMismatch = 0;
  for (const p of products) {
    const { rows } = await db.query<{ on_hand: number; reserved: number; ledger_on_hand: number; ledger_reserved: number }>(
      `SELECT coalesce(sum(s.on_hand), 0)::int AS on_hand, coalesce(sum(s.reserved), 0)::int AS reserved,
              (SELECT coalesce(sum(delta_on_hand), 0)::int FROM inventory.ledger WHERE sku = $1) AS ledger_on_hand,
              (SELECT coalesce(sum(delta_reserved), 0)::int FROM inventory.ledger WHERE sku = $1) AS ledger_reserved
         FROM inventory.stock_levels s WHERE s.sku = $1`,
      [p.sku],
    );
    const r = rows[0]!;
    drift += Math.abs(r.on_hand - ((initial.get(p.sku) ?? 0) - (soldBySku.get(p.sku) ?? 0)));
    leftReserved += r.reserved;
    if (r.ledger_on_hand !== r.on_hand || r.ledger_reserved !== r.reserved) ledgerMismatch += 1;
  }
  report.zero('stock drift', drift);
  report.zero('units left reserved', leftReserved);
  report.zero('SKUs whose ledger differs from their level', ledgerMismatch, products.length);
}

export async function checkPayments(db: pg.Pool, orders: Placed[], report: Report): Promise<void> {
  const ids = orders.map((o) => o.id);
  const { rows } = await db.query<{ order_id: string; order_status: string; captured: number; open: number }>(
    `SELECT o.id::text AS order_id, o.status AS order_status,
            count(p.*) FILTER (WHERE p.status = 'succeeded')::int AS captured,
            count(p.*) FILTER (WHERE p.status IN ('creating', 'requires_payment', 'processing'))::int AS open
       FROM orders.orders o LEFT JOIN payments.payments p ON p.order_id = o.id
      WHERE o.id = ANY($1::uuid[]) GROUP BY o.id, o.status`,
    [ids],
  );
  report.zero('captured payments without a paid order', rows.filter((r) => r.captured > 0 && r.order_status !== 'paid').length, rows.length);
  report.zero('orders paid twice', rows.filter((r) => r.captured > 1).length, rows.length);
  report.zero('paid orders without a captured payment', rows.filter((r) => r.order_status === 'paid' && r.captured === 0).length, rows.length);
  report.zero('payments left open on a finished order', rows.filter((r) => r.open > 0 && TERMINAL.includes(r.order_status)).length, rows.length);
}

async function round(target: Target, ctx: ScenarioContext, report: Report): Promise<void> {
  const { profile, log } = ctx;
  const n = profile.checkoutsPerTarget;
  const label = `${target.app}-${target.part}`;
  // One SKU scarce (sells out under the load: out-of-stock refusals are part of the test), two plentiful.
  const stock = [Math.max(2, Math.floor(n * 0.4)), n * 3, n * 3];
  const products = await Promise.all(stock.map((units, i) => stockedProduct(`${label}-${i}`.toUpperCase(), '9.99', units)));
  const initial = new Map(products.map((p, i) => [p.sku, stock[i]!]));
  const shoppers = await customers(Math.max(4, Math.ceil(n / 5)), label);
  const tally = new Tally();
  const intents: Intent[] = Array.from({ length: n }, (_, i) => (i % 10 === 9 ? 'cancel' : i % 10 === 8 ? 'decline' : i % 10 === 7 ? 'retry' : 'pay'));

  const t0 = Date.now();
  // Shoppers arrive over the time the kills take (about 6 s each), not all at once: otherwise
  // a quick stack finishes the 200 before the last kills and those rounds see fewer of them.
  const arrivalsMs = profile.killsPerTarget * 6000;
  const shopping = Promise.all(
    intents.map(async (intent, i) => {
      await sleep(Math.random() * arrivalsMs);
      return checkout(shoppers[i % shoppers.length]!, products, intent, tally);
    }),
  );
  const recoveries = await killer(target, profile.killsPerTarget, shopping, log);
  const placed = (await shopping).filter((o): o is Placed => o !== undefined);

  // Everything placed reaches its end (a cancelled or declined saga compensates first).
  const db = storePool();
  try {
    const open = await notTerminalAfter(db, placed, 300_000);
    const seconds = (Date.now() - t0) / 1000;
    const scoped = report.scoped(label);
    scoped.zero('orders not terminal', open.length, placed.length);
    scoped.zero('checkouts never placed', n - placed.length, n);
    scoped.zero('answers other than 2xx/4xx/503+Retry-After', tally.unexpected.length);
    if (tally.unexpected.length) log(`  unexpected: ${tally.unexpected.slice(0, 5).join(' | ')}`);
    await checkLedger(db, products, initial, placed, scoped);
    await checkPayments(db, placed, scoped);
    const { rows: ends } = await db.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM orders.orders WHERE id = ANY($1::uuid[]) GROUP BY status', [placed.map((o) => o.id)]);
    const by = Object.fromEntries(ends.map((r) => [r.status, r.n]));
    report.figure(`${label} orders`, placed.length);
    report.figure(`${label} kills`, recoveries.length);
    report.figure(`${label} paid/failed/cancelled`, `${by.paid ?? 0}/${by.failed ?? 0}/${by.cancelled ?? 0}`);
    report.figure(`${label} max ready-again s`, (Math.max(0, ...recoveries) / 1000).toFixed(1));
    report.figure(`${label} all terminal after s`, seconds.toFixed(0));
  } finally {
    await db.end();
  }
}

/** CHAOS_TARGETS=order-app,payment-sidecar picks rounds (to reproduce one); all by default. */
function chosenTargets(): Target[] {
  const chosen = (process.env.CHAOS_TARGETS ?? '').split(',').map((t) => t.trim()).filter(Boolean);
  return chosen.length === 0 ? TARGETS : TARGETS.filter((t) => chosen.includes(`${t.app}-${t.part}`));
}

export const checkoutKills: Scenario = {
  name: 'checkout-kills',
  async run(ctx, report) {
    for (const target of chosenTargets()) {
      ctx.log(` ${target.app} ${target.part}: ${ctx.profile.checkoutsPerTarget} checkouts, ${ctx.profile.killsPerTarget} kills`);
      await round(target, ctx, report);
    }
  },
};
