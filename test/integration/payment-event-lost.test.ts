/**
 * A payment event that never reaches the order service (here: the order's queue unbound from
 * the payment.intent.succeeded exchange, so RabbitMQ routes the event nowhere, as it does for
 * any publish to an exchange without a bound queue) does not leave a paid customer's order
 * waiting for its payment timeout: the recovery sweep asks the payment service about orders
 * awaiting payment for a while and raises the recorded outcome into the saga
 * (apps/order/src/domain/payment-reconciler.ts). The order's history says how it learnt it.
 */
import { api, signUp, signUpAdmin } from '../support/gateway';
import { stockFigures } from '../support/inventory';
import { eventually } from '../support/processes';
import { rabbit } from '../support/rabbitmq';
import { sendWebhook, stripeEvent } from '../support/stripe';

const EXCHANGE = 'payment.intent.succeeded';
const QUEUE = `order-${EXCHANGE}`;
const tag = Math.random().toString(36).slice(2, 8).toUpperCase();
const address = { recipient: 'Ada Lovelace', line1: '12 Analytical St', city: 'London', postal_code: 'N1 9GU', country: 'GB' };
const bindings = () => rabbit('GET', `/api/bindings/%2F/e/${encodeURIComponent(EXCHANGE)}/q/${encodeURIComponent(QUEUE)}`) as Promise<Array<{ properties_key: string }>>;

async function unbind(): Promise<void> {
  for (const b of await bindings()) {
    await rabbit('DELETE', `/api/bindings/%2F/e/${encodeURIComponent(EXCHANGE)}/q/${encodeURIComponent(QUEUE)}/${encodeURIComponent(b.properties_key)}`);
  }
}

async function rebind(): Promise<void> {
  if ((await bindings()).length === 0) await rabbit('POST', `/api/bindings/%2F/e/${encodeURIComponent(EXCHANGE)}/q/${encodeURIComponent(QUEUE)}`, { routing_key: '' });
}

afterAll(rebind);

test('an order whose payment event was lost ends paid through reconciliation with the payment service', async () => {
  const admin = (await signUpAdmin('lost-event-admin')).access;
  const shopper = await signUp('lost-event');
  const sku = `LE${tag}`;
  const product = await api('POST', '/products', { token: admin, body: { sku, name: 'Lost event lamp', base_price: '12.00', currency: 'USD' } });
  expect(product.status).toBe(201);
  expect((await api('POST', `/inventory/${sku}/adjustments`, { token: admin, body: { location: 'wh-1', delta: 5, reason: 'receiving' } })).status).toBe(201);
  expect(await bindings()).not.toHaveLength(0); // the queue the test takes away exists

  const placed = await api('POST', '/orders', { token: shopper.access, body: { items: [{ product_id: product.body.id, quantity: 2 }], shipping_address: address } });
  expect(placed.status).toBe(202);
  const awaiting = await eventually(async () => {
    const o = (await api('GET', `/orders/${placed.body.id}`, { token: shopper.access })).body;
    return o.status === 'awaiting_payment' && o;
  }, 60_000, 'the order awaiting payment');

  await unbind();
  try {
    const webhook = await sendWebhook(stripeEvent('payment_intent.succeeded', { id: awaiting.payment.intent_id, payment_id: awaiting.payment.payment_id, status: 'succeeded' }, Math.floor(Date.now() / 1000)));
    expect(webhook.status).toBe(200);
    const paid = await eventually(async () => {
      const o = (await api('GET', `/orders/${placed.body.id}`, { token: shopper.access })).body;
      return o.status === 'paid' && o;
    }, 150_000, 'the order paid without its payment event');
    expect(paid.history.map((h: { event: string }) => h.event)).toContain('payment_reconciled');
  } finally {
    await rebind();
  }
  expect(await stockFigures(sku)).toEqual(expect.objectContaining({ on_hand: 3, reserved: 0 }));
}, 240_000);
