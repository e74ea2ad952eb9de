/**
 * POST /orders/{id}/cancel racing the checkout saga, through the gateway: concurrent cancels of
 * one order, a cancel racing the payment webhook, a cancel right after placing (the saga still
 * reserving) and concurrent cancels of a paid order. Never a 5xx: every answer is the order's
 * state (200 cancelled/refunded, 202 under way) or 409 when it cannot be cancelled, and the
 * customer is refunded at most once.
 */
import { api, signUp, signUpAdmin, type JsonResponse } from '../support/gateway';
import { eventually } from '../support/processes';
import { sendWebhook, stripeEvent } from '../support/stripe';

const tag = Math.random().toString(36).slice(2, 8).toUpperCase();
const SETTLED = ['paid', 'fulfilled', 'cancelled', 'failed', 'refunded'];
const address = { recipient: 'Ada Lovelace', line1: '12 Analytical St', city: 'London', postal_code: 'N1 9GU', country: 'GB' };

let admin = '';
let customer: { id: string; access: string };
let productId = '';

async function order(): Promise<any> {
  const placed = await api('POST', '/orders', { token: customer.access, body: { items: [{ product_id: productId, quantity: 1 }], shipping_address: address } });
  if (placed.status !== 202) throw new Error(`place ${placed.status} ${JSON.stringify(placed.body)}`);
  return placed.body;
}

function reaches(id: string, statuses: string[]): Promise<any> {
  return eventually(async () => {
    const res = await api('GET', `/orders/${id}`, { token: customer.access });
    return res.status === 200 && statuses.includes(res.body.status) ? res.body : undefined;
  }, 60_000, `order ${id} reaching ${statuses.join('|')}`);
}

const cancel = (id: string) => api('POST', `/orders/${id}/cancel`, { token: customer.access, body: { reason: 'race' } });

function expectAnswers(answers: JsonResponse[], allowed: number[]): void {
  for (const res of answers) {
    expect({ status: res.status, body: res.status >= 500 ? res.body : undefined }).toEqual({ status: expect.any(Number), body: undefined });
    expect(allowed).toContain(res.status);
    if (res.status >= 400) expect(res.headers.get('content-type')).toContain('application/problem+json');
  }
}

async function paid(awaiting: any): Promise<void> {
  const payload = stripeEvent('payment_intent.succeeded', { id: awaiting.payment.intent_id, payment_id: awaiting.payment.payment_id, status: 'succeeded' }, Math.floor(Date.now() / 1000));
  const res = await sendWebhook(payload);
  if (res.status !== 200) throw new Error(`webhook ${res.status} ${JSON.stringify(res.body)}`);
}

beforeAll(async () => {
  admin = (await signUpAdmin('race-admin')).access;
  customer = await signUp('race');
  const sku = `RACE${tag}`;
  const product = await api('POST', '/products', { token: admin, body: { sku, name: `Race ${tag}`, base_price: '3.00', currency: 'USD', status: 'active' } });
  if (product.status !== 201) throw new Error(`product ${product.status} ${JSON.stringify(product.body)}`);
  productId = product.body.id;
  const stock = await api('POST', `/inventory/${sku}/adjustments`, { token: admin, body: { location: 'wh-1', delta: 100, reason: 'receiving' } });
  if (stock.status !== 201) throw new Error(`stock ${stock.status} ${JSON.stringify(stock.body)}`);
});

describe('cancel racing the saga', () => {
  test('10 concurrent cancels before payment: 202 or 200, the order ends cancelled, repeats answer 200', async () => {
    const { id } = await order();
    await reaches(id, ['awaiting_payment']);
    expectAnswers(await Promise.all(Array.from({ length: 10 }, () => cancel(id))), [200, 202]);
    await reaches(id, ['cancelled']);
    const repeats = await Promise.all(Array.from({ length: 5 }, () => cancel(id)));
    expectAnswers(repeats, [200]);
    for (const res of repeats) expect(res.body.status).toBe('cancelled');
  });

  test('cancels racing the payment webhook: never a 5xx; the order ends cancelled (refunded if it was paid)', async () => {
    const { id } = await order();
    const awaiting = await reaches(id, ['awaiting_payment']);
    const [answers] = await Promise.all([Promise.all(Array.from({ length: 6 }, () => cancel(id))), paid(awaiting)]);
    expectAnswers(answers, [200, 202, 409]);
    const settled = await reaches(id, SETTLED);
    // Whichever won, a second round of cancels says where it ended: cancelled (refunded) or, paid, now cancelled.
    const after = await Promise.all(Array.from({ length: 4 }, () => cancel(id)));
    expectAnswers(after, [200]);
    expect(['cancelled', 'paid']).toContain(settled.status);
    for (const res of after) expect(res.body.status).toBe('cancelled');
  });

  test('a cancel right after placing, while the saga reserves: 202 and the order ends cancelled', async () => {
    const placed = await order();
    expectAnswers(await Promise.all([cancel(placed.id), cancel(placed.id)]), [200, 202]);
    expect((await reaches(placed.id, SETTLED)).status).toBe('cancelled');
  });

  test('concurrent cancels of a paid order: all 200 cancelled, one refund', async () => {
    const { id } = await order();
    await paid(await reaches(id, ['awaiting_payment']));
    await reaches(id, ['paid']);
    const answers = await Promise.all(Array.from({ length: 6 }, () => cancel(id)));
    expectAnswers(answers, [200]);
    for (const res of answers) expect(res.body.status).toBe('cancelled');
    const payments = await api('GET', `/payments?order_id=${id}`, { token: customer.access });
    expect(payments.body.items.filter((p: any) => p.status === 'refunded')).toHaveLength(1);
  });
});
