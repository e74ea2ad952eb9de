/**
 * Payments on the running stack: Stripe PaymentIntents (stripe-mock) with idempotency keys
 * stored in PostgreSQL before the provider is called, signed webhooks applied once and
 * monotonically, payment events through the outbox, idempotent cancel/refund, ownership.
 * Internal routes are called through the ORDER app's sidecar, as the checkout saga will.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { pgConfig } from '../../kernel/config';
import { api, GATEWAY, signUp } from '../support/gateway';
import { eventually } from '../support/processes';
import { LOCAL_WEBHOOK_SECRET } from '../../apps/payment/src/config';
import { intentCreationsFor, sendWebhook, stripe, stripeEvent } from '../support/stripe';

const ORDER_SIDECAR = 'http://127.0.0.1:3504';
const PAYMENT_SIDECAR = 'http://127.0.0.1:3505';
const STRIPE_MOCK = 'http://127.0.0.1:12111';

let db: pg.Pool;
let alice: { id: string; access: string };
let bob: { id: string; access: string };

beforeAll(async () => {
  db = new pg.Pool({ ...pgConfig(), max: 4, options: '-c search_path=payments' });
  alice = await signUp('payment-alice');
  bob = await signUp('payment-bob');
});

afterAll(async () => {
  await db.end();
});

/** An internal route, called from the order app's sidecar (dapr-caller-app-id: order). */
function internal(path: string, body: unknown = {}) {
  return api('POST', `/v1.0/invoke/payment/method${path}`, { base: ORDER_SIDECAR, body });
}

function intentRequest(overrides: Record<string, unknown> = {}) {
  return { order_id: randomUUID(), user_id: alice.id, amount_minor: 2599, currency: 'USD', attempt: 1, ...overrides };
}

async function row(id: string) {
  return (await db.query('SELECT * FROM payments WHERE id = $1', [id])).rows[0];
}

const now = () => Math.floor(Date.now() / 1000);

describe('stripe-mock', () => {
  test('ignores Idempotency-Key: the same key gives a fresh PaymentIntent id (so the dedupe must be ours)', async () => {
    const create = async () => {
      const res = await fetch(`${STRIPE_MOCK}/v1/payment_intents`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk_test_local', 'content-type': 'application/x-www-form-urlencoded', 'idempotency-key': `probe-${randomUUID()}-same` },
        body: 'amount=1000&currency=usd',
      });
      return ((await res.json()) as { id: string }).id;
    };
    const key = `probe-${randomUUID()}`;
    const sameKey = async () =>
      ((await (
        await fetch(`${STRIPE_MOCK}/v1/payment_intents`, {
          method: 'POST',
          headers: { authorization: 'Bearer sk_test_local', 'content-type': 'application/x-www-form-urlencoded', 'idempotency-key': key },
          body: 'amount=1000&currency=usd',
        })
      ).json()) as { id: string }).id;
    const [a, b] = [await sameKey(), await sameKey()];
    expect(a).toMatch(/^pi_/);
    expect(b).not.toBe(a);
    expect(await create()).not.toBe(a);
  });
});

describe('intents', () => {
  test('the same attempt sent 20 times at once: one row, one intent, one answer', async () => {
    const request = intentRequest();
    const answers = await Promise.all(Array.from({ length: 20 }, () => internal('/internal/payments/intents', request)));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(new Set(answers.map((a) => a.body.payment_id)).size).toBe(1);
    expect(new Set(answers.map((a) => a.body.intent_id)).size).toBe(1);
    expect(answers[0]!.body.intent_id).toMatch(/^pi_/);
    expect(answers[0]!.body.client_secret).toEqual(expect.any(String));
    expect(answers[0]!.body.status).toBe('requires_payment');
    const { rows } = await db.query('SELECT * FROM payments WHERE order_id = $1', [request.order_id]);
    expect(rows).toHaveLength(1);
    expect(rows[0].idempotency_key).toBe(`order:${request.order_id}:attempt:1`);
    expect(rows[0].provider_intent_id).toBe(answers[0]!.body.intent_id);
    expect(rows[0].claimed_until).toBeNull();
    // And Stripe itself was asked once (stripe-mock's request log), not 20 times.
    const calls = intentCreationsFor(request.order_id);
    if (calls !== undefined) expect(calls).toBe(1);

    // A later retry (the saga replaying its activity) gets the same again, without Stripe.
    const retry = await internal('/internal/payments/intents', request);
    expect(retry.body).toEqual(answers[0]!.body);
  });

  test('a new attempt gets a new key and a new intent; the same attempt with other values is refused', async () => {
    const first = intentRequest();
    const a1 = await internal('/internal/payments/intents', first);
    const a2 = await internal('/internal/payments/intents', { ...first, attempt: 2 });
    expect(a2.status).toBe(200);
    expect(a2.body.payment_id).not.toBe(a1.body.payment_id);
    expect(a2.body.intent_id).not.toBe(a1.body.intent_id);
    const keys = (await db.query('SELECT idempotency_key FROM payments WHERE order_id = $1 ORDER BY attempt', [first.order_id])).rows.map((r) => r.idempotency_key);
    expect(keys).toEqual([`order:${first.order_id}:attempt:1`, `order:${first.order_id}:attempt:2`]);

    const changed = await internal('/internal/payments/intents', { ...first, amount_minor: 1 });
    expect(changed.status).toBe(422);
    expect(changed.headers.get('content-type')).toContain('application/problem+json');
  });

  test('a caller that died mid-creation: its expired lease is taken over with the same key', async () => {
    const request = intentRequest();
    const id = randomUUID();
    await db.query(
      `INSERT INTO payments (id, order_id, user_id, status, amount_minor, currency, idempotency_key, attempt, claimed_until)
       VALUES ($1, $2, $3, 'creating', $4, $5, $6, 1, now() - interval '1 second')`,
      [id, request.order_id, request.user_id, request.amount_minor, request.currency, `order:${request.order_id}:attempt:1`],
    );
    const res = await internal('/internal/payments/intents', request);
    expect(res.status).toBe(200);
    expect(res.body.payment_id).toBe(id);
    expect(res.body.intent_id).toMatch(/^pi_/);
    expect((await db.query('SELECT 1 FROM payments WHERE order_id = $1', [request.order_id])).rowCount).toBe(1);
  });

  test('bad input is a 4xx problem', async () => {
    for (const bad of [intentRequest({ amount_minor: -1 }), intentRequest({ currency: 'usd' }), intentRequest({ order_id: 'nope' }), { amount_minor: 1 }]) {
      const res = await internal('/internal/payments/intents', bad);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    const unknown = await internal(`/internal/payments/${randomUUID()}/cancel`);
    expect(unknown.status).toBe(404);
  });

  test('internal routes are 404 through the gateway and without a calling app', async () => {
    const body = intentRequest();
    expect((await api('POST', '/internal/payments/intents', { body, token: alice.access })).status).toBe(404);
    expect((await api('POST', '/payments/internal/payments/intents', { body, token: alice.access })).status).toBeGreaterThanOrEqual(400);
    const direct = await api('POST', '/v1.0/invoke/payment/method/internal/payments/intents', { base: PAYMENT_SIDECAR, body });
    expect(direct.status).toBe(404);
    expect((await db.query('SELECT 1 FROM payments WHERE order_id = $1', [body.order_id])).rowCount).toBe(0);
  });
});

describe('webhook', () => {
  test('signed events are applied once and monotonically, and succeeded reaches the outbox', async () => {
    const created = await internal('/internal/payments/intents', intentRequest());
    const intent = { id: created.body.intent_id, payment_id: created.body.payment_id, status: 'succeeded' };

    // A bad signature (and a missing one) changes nothing.
    const forged = stripeEvent('payment_intent.succeeded', intent, now());
    const bad = await sendWebhook(forged, stripe.webhooks.generateTestHeaderString({ payload: forged, secret: 'whsec_wrong' }));
    expect(bad.status).toBe(400);
    expect(bad.type).toContain('application/problem+json');
    expect((await sendWebhook(forged, '')).status).toBe(400);
    const tampered = await sendWebhook(forged.replace('"livemode":false', '"livemode":true'), stripe.webhooks.generateTestHeaderString({ payload: forged, secret: LOCAL_WEBHOOK_SECRET }));
    expect(tampered.status).toBe(400);
    expect((await row(intent.payment_id)).status).toBe('requires_payment');

    // processing, then succeeded.
    const t = now();
    expect((await sendWebhook(stripeEvent('payment_intent.processing', { ...intent, status: 'processing' }, t - 5))).body.outcome).toBe('applied');
    expect((await row(intent.payment_id)).status).toBe('processing');
    const succeeded = stripeEvent('payment_intent.succeeded', intent, t);
    const ok = await sendWebhook(succeeded);
    expect(ok).toMatchObject({ status: 200, body: { received: true, outcome: 'applied' } });
    const after = await row(intent.payment_id);
    expect(after.status).toBe('succeeded');

    // The same event again (Stripe retries): a 200 no-op.
    const again = await sendWebhook(succeeded);
    expect(again).toMatchObject({ status: 200, body: { outcome: 'duplicate' } });
    // An older event arriving late cannot move it back.
    const late = await sendWebhook(stripeEvent('payment_intent.processing', { ...intent, status: 'processing' }, t - 3));
    expect(late).toMatchObject({ status: 200, body: { outcome: 'stale' } });
    const final = await row(intent.payment_id);
    expect(final.status).toBe('succeeded');
    expect(final.version).toBe(after.version);

    // One payment.intent.succeeded in the outbox, published by the relay.
    const outbox = await eventually(async () => {
      const { rows } = await db.query("SELECT * FROM outbox WHERE topic = 'payment.intent.succeeded' AND payload->>'payment_id' = $1", [intent.payment_id]);
      return rows.length === 1 && rows[0].published_at ? rows : undefined;
    }, 15_000, 'the succeeded event published');
    expect(outbox[0].payload).toMatchObject({ payment_id: intent.payment_id, order_id: final.order_id, provider_intent_id: intent.id, status: 'succeeded', amount_minor: 2599, currency: 'USD' });
    const events = (await db.query('SELECT outcome FROM webhook_events WHERE payment_id = $1 ORDER BY received_at', [intent.payment_id])).rows.map((r) => r.outcome);
    expect(events).toEqual(['applied', 'applied', 'stale']);
  });

  test('a webhook that beats the recording of the intent id finds the payment by its metadata', async () => {
    // The state between Stripe's answer and our UPDATE: row still `creating`, no intent id.
    const request = intentRequest();
    const id = randomUUID();
    await db.query(
      `INSERT INTO payments (id, order_id, user_id, status, amount_minor, currency, idempotency_key, attempt, claimed_until)
       VALUES ($1, $2, $3, 'creating', $4, $5, $6, 1, now() + interval '30 seconds')`,
      [id, request.order_id, request.user_id, request.amount_minor, request.currency, `order:${request.order_id}:attempt:1`],
    );
    const intentId = `pi_race${randomUUID().slice(0, 8)}`;
    const res = await sendWebhook(stripeEvent('payment_intent.succeeded', { id: intentId, payment_id: id, status: 'succeeded' }, now()));
    expect(res.body.outcome).toBe('applied');
    expect(await row(id)).toMatchObject({ status: 'succeeded', provider_intent_id: intentId });
    // The saga's retry now gets that intent, and Stripe is not asked again.
    const again = await internal('/internal/payments/intents', request);
    expect(again.body).toMatchObject({ payment_id: id, intent_id: intentId, status: 'succeeded' });
    // And another attempt of a paid order is refused (one paid attempt per order).
    expect((await internal('/internal/payments/intents', { ...request, attempt: 2 })).status).toBe(409);
  });

  test('a failed payment publishes payment.intent.failed; events for unknown intents are accepted and ignored', async () => {
    const created = await internal('/internal/payments/intents', intentRequest());
    const intent = { id: created.body.intent_id, payment_id: created.body.payment_id, status: 'requires_payment_method' };
    expect((await sendWebhook(stripeEvent('payment_intent.payment_failed', intent, now()))).body.outcome).toBe('applied');
    expect((await row(intent.payment_id)).status).toBe('failed');
    const { rowCount } = await db.query("SELECT 1 FROM outbox WHERE topic = 'payment.intent.failed' AND payload->>'payment_id' = $1", [intent.payment_id]);
    expect(rowCount).toBe(1);
    expect((await sendWebhook(stripeEvent('payment_intent.succeeded', { id: 'pi_unknown', payment_id: randomUUID(), status: 'succeeded' }, now()))).body.outcome).toBe('unknown_payment');
    expect((await sendWebhook(stripeEvent('customer.created', intent, now()))).body.outcome).toBe('ignored');
  });
});

describe('cancel, refund, reads', () => {
  async function succeededPayment(amount = 5000) {
    const created = await internal('/internal/payments/intents', intentRequest({ amount_minor: amount }));
    const intent = { id: created.body.intent_id, payment_id: created.body.payment_id, status: 'succeeded' };
    expect((await sendWebhook(stripeEvent('payment_intent.succeeded', intent, now()))).body.outcome).toBe('applied');
    return intent.payment_id as string;
  }

  test('cancel is idempotent; a succeeded payment cannot be canceled', async () => {
    const created = await internal('/internal/payments/intents', intentRequest());
    const id = created.body.payment_id;
    const [c1, c2] = await Promise.all([internal(`/internal/payments/${id}/cancel`), internal(`/internal/payments/${id}/cancel`)]);
    expect([c1.status, c2.status]).toEqual([200, 200]);
    const c3 = await internal(`/internal/payments/${id}/cancel`);
    expect(c3).toMatchObject({ status: 200, body: { id, status: 'canceled' } });
    expect((await row(id)).status).toBe('canceled');
    // A late succeeded event cannot revive a canceled payment.
    expect((await sendWebhook(stripeEvent('payment_intent.succeeded', { id: created.body.intent_id, payment_id: id, status: 'succeeded' }, now()))).body.outcome).toBe('stale');

    const paid = await succeededPayment();
    expect((await internal(`/internal/payments/${paid}/cancel`)).status).toBe(409);
  });

  test('refund is idempotent: repeats give the same refund, a different amount is refused', async () => {
    const id = await succeededPayment(5000);
    expect((await internal(`/internal/payments/${id}/refund`, { amount_minor: 6000 })).status).toBe(422);
    const answers = await Promise.all(Array.from({ length: 5 }, () => internal(`/internal/payments/${id}/refund`, { amount_minor: 2000 })));
    expect(answers.map((a) => a.status)).toEqual(Array(5).fill(200));
    const refundIds = new Set(answers.map((a) => a.body.provider_refund_id));
    expect(refundIds.size).toBe(1);
    const r = await row(id);
    expect({ status: r.status, refunded: Number(r.refunded_minor), requested: Number(r.refund_requested_minor) }).toEqual({ status: 'succeeded', refunded: 2000, requested: 2000 });
    expect(r.provider_refund_id).toBe([...refundIds][0]);
    expect((await internal(`/internal/payments/${id}/refund`, { amount_minor: 1000 })).status).toBe(409);

    const full = await succeededPayment(3000);
    const f1 = await internal(`/internal/payments/${full}/refund`);
    const f2 = await internal(`/internal/payments/${full}/refund`);
    expect(f1.body).toMatchObject({ status: 'refunded', refunded_minor: 3000 });
    expect(f2.body.provider_refund_id).toBe(f1.body.provider_refund_id);
    const unpaid = await internal('/internal/payments/intents', intentRequest());
    expect((await internal(`/internal/payments/${unpaid.body.payment_id}/refund`)).status).toBe(409);
  });

  test('customers read only their own payments', async () => {
    const created = await internal('/internal/payments/intents', intentRequest());
    const id = created.body.payment_id;
    const mine = await api('GET', `/payments/${id}`, { token: alice.access });
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({ id, user_id: alice.id, status: 'requires_payment', amount_minor: 2599, amount: '25.99', currency: 'USD' });
    expect(mine.body.client_secret).toBeUndefined();
    expect(mine.body.idempotency_key).toBeUndefined();
    const theirs = await api('GET', `/payments/${id}`, { token: bob.access });
    expect(theirs.status).toBe(404);
    expect(theirs.headers.get('content-type')).toContain('application/problem+json');
    expect((await api('GET', `/payments/${id}`)).status).toBe(401);
    expect((await api('GET', '/payments/not-a-uuid', { token: alice.access })).status).toBe(400);

    const list = await api('GET', `/payments?order_id=${mine.body.order_id}`, { token: alice.access });
    expect(list.status).toBe(200);
    expect(list.body.items.map((p: { id: string }) => p.id)).toEqual([id]);
    const others = await api('GET', `/payments?order_id=${mine.body.order_id}`, { token: bob.access });
    expect(others.body.items).toEqual([]);
    expect((await api('GET', '/payments', { token: alice.access })).status).toBe(400);
  });
});
