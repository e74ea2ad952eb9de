/**
 * Complete checkouts as shoppers do them: POST /orders, wait until the order can be paid, pay
 * (Stripe's signed webhook, as stripe-mock sends none), wait until it is paid. `customers`
 * shoppers in parallel, each one order after another, for `seconds`. Afterwards the stores are
 * checked: no SKU reserved or sold beyond its stock, no order with more than one payment.
 */
import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { pgConfig } from '../../kernel/config';
import { call } from '../lib/http';
import { summarize, type LoadResult } from '../lib/load';
import { sendWebhook, stripeEvent } from '../../test/support/stripe';

const SETTLED = ['paid', 'fulfilled', 'cancelled', 'failed', 'refunded'];
const address = { recipient: 'Bench Shopper', line1: '1 Load St', city: 'Berlin', postal_code: '10115', country: 'DE' };

export interface CheckoutResult extends LoadResult {
  /** POST /orders → awaiting_payment (the client has its client_secret), ms. */
  to_awaiting_payment: string;
  failed_orders: number;
  oversold_skus: number;
  orders_with_duplicate_payments: number;
}

export async function checkoutLoad(gateway: string, shoppers: Array<{ access: string }>, productIds: string[], seconds: number): Promise<CheckoutResult> {
  const latencies: number[] = [];
  const toPayable: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let failed = 0;
  const orderIds: string[] = [];
  const deadline = Date.now() + seconds * 1000;
  const poll = async (token: string, id: string, want: string) => {
    for (;;) {
      const order = await call('GET', `${gateway}/orders/${id}`, { token });
      if (order.body?.status === want) return order.body;
      if (SETTLED.includes(order.body?.status)) return order.body;
      await new Promise((r) => setTimeout(r, Number(process.env.BENCH_POLL_MS ?? 10)));
    }
  };
  const started = Date.now();
  await Promise.all(
    shoppers.map(async (shopper, s) => {
      let n = 0;
      while (Date.now() < deadline) {
        const t0 = performance.now();
        try {
          const productId = productIds[(s * 7919 + n++) % productIds.length]!;
          const placed = await call('POST', `${gateway}/orders`, { token: shopper.access, body: { items: [{ product_id: productId, quantity: 1 }], shipping_address: address }, headers: { 'idempotency-key': randomUUID() } });
          statuses[placed.status] = (statuses[placed.status] ?? 0) + 1;
          if (placed.status !== 202) continue;
          orderIds.push(placed.body.id);
          const payable = await poll(shopper.access, placed.body.id, 'awaiting_payment');
          if (payable.status !== 'awaiting_payment') {
            failed += 1;
            continue;
          }
          toPayable.push(performance.now() - t0);
          const event = stripeEvent('payment_intent.succeeded', { id: payable.payment.intent_id, payment_id: payable.payment.payment_id, status: 'succeeded' }, Math.floor(Date.now() / 1000));
          await sendWebhook(event);
          const end = await poll(shopper.access, placed.body.id, 'paid');
          if (end.status !== 'paid') failed += 1;
          else latencies.push(performance.now() - t0);
        } catch {
          errors += 1;
        }
      }
    }),
  );
  const result = summarize(latencies, (Date.now() - started) / 1000, errors, statuses);
  const payable = summarize(toPayable, 1, 0, {});

  const db = new pg.Pool({ ...pgConfig(), max: 2 });
  try {
    const oversold = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM inventory.stock_levels WHERE reserved > on_hand OR on_hand < 0');
    const duplicates = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM (SELECT order_id FROM payments.payments WHERE order_id = ANY($1::uuid[]) GROUP BY order_id HAVING count(*) > 1) d', [orderIds]);
    return { ...result, to_awaiting_payment: `p50 ${payable.p50} ms, p95 ${payable.p95} ms, p99 ${payable.p99} ms`, failed_orders: failed, oversold_skus: oversold.rows[0]!.n, orders_with_duplicate_payments: duplicates.rows[0]!.n };
  } finally {
    await db.end();
  }
}
