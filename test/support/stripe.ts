/** Stripe as the tests see it: signed webhooks like Stripe's, and stripe-mock's request log. */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Stripe from 'stripe';
import { LOCAL_WEBHOOK_SECRET } from '../../apps/payment/src/config';
import { GATEWAY } from './gateway';
import { eventually, ROOT } from './processes';

export const stripe = new Stripe('sk_test_local', { host: '127.0.0.1', port: 12111, protocol: 'http' });

/** A Stripe event as Stripe would send it; the exact string is what gets signed. */
export function stripeEvent(type: string, intent: { id: string; payment_id: string; status: string }, created: number, id = `evt_${randomUUID().replace(/-/g, '')}`): string {
  return JSON.stringify({
    id,
    object: 'event',
    type,
    created,
    livemode: false,
    api_version: '2025-01-27.acacia',
    data: { object: { id: intent.id, object: 'payment_intent', status: intent.status, metadata: { payment_id: intent.payment_id } } },
  });
}

export async function sendWebhook(payload: string, signature = stripe.webhooks.generateTestHeaderString({ payload, secret: LOCAL_WEBHOOK_SECRET })) {
  const res = await fetch(`${GATEWAY}/payments/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    body: payload,
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), body: text ? JSON.parse(text) : undefined };
}

/** stripe-mock logs every request's form data: how many intents were asked for this order. */
const STRIPE_MOCK_LOG = path.join(process.env.LOG_DIR ?? path.join(ROOT, '.data', 'logs'), 'stripe-mock.log');
export function intentCreationsFor(orderId: string): number | undefined {
  if (!existsSync(STRIPE_MOCK_LOG)) return undefined;
  return readFileSync(STRIPE_MOCK_LOG, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('Request data') && line.includes(`order_id:${orderId}`) && line.includes('automatic_payment_methods')).length;
}

/** What Stripe sends once the customer's confirmation of the order's PaymentIntent succeeded or failed. */
export async function paymentWebhook(order: { payment: { intent_id: string; payment_id: string } }, outcome: 'succeeded' | 'failed'): Promise<void> {
  const type = outcome === 'succeeded' ? 'payment_intent.succeeded' : 'payment_intent.payment_failed';
  const status = outcome === 'succeeded' ? 'succeeded' : 'requires_payment_method';
  const res = await sendWebhook(stripeEvent(type, { id: order.payment.intent_id, payment_id: order.payment.payment_id, status }, Math.floor(Date.now() / 1000)));
  if (res.status !== 200) throw new Error(`webhook ${res.status} ${JSON.stringify(res.body)}`);
}

/** Declined attempts the order shows (GET /orders/{id}: payment.attempts). */
export const declinesOf = (order: any): number => (order.payment?.attempts ?? []).filter((a: { outcome: string }) => a.outcome === 'declined').length;

/**
 * A declined card: resolves with the order once it counted the decline (still awaiting payment,
 * for another card) or ended. `read` reads the order as its owner.
 */
export async function declineCard(read: () => Promise<any>, order: any): Promise<any> {
  const before = declinesOf(order);
  await paymentWebhook(order, 'failed');
  return eventually(async () => {
    const now = await read();
    return now.status !== 'awaiting_payment' || declinesOf(now) > before ? now : undefined;
  }, 60_000, `order ${order.id} counting a decline`);
}

/** Declines card after card until the order gives up (its payment attempts used up). */
export async function declineUntilFailed(read: () => Promise<any>, order: any): Promise<any> {
  let now = order;
  for (let i = 0; i < 20 && now.status === 'awaiting_payment'; i++) now = await declineCard(read, now);
  return now;
}
