/**
 * E-mail on the real stack: order events (order outbox → RabbitMQ → user service) become mails
 * sent through Dapr's SMTP binding to the local SMTP server (aiosmtpd, every message a file in
 * .data/mail/new); a redelivered event mails nothing more; a forged one (put straight into the
 * broker) mails nothing and is parked; a password is reset by an e-mailed one-time code.
 */
import { randomUUID } from 'node:crypto';
import { api, signUp, signUpAdmin, uniqueEmail, PASSWORD, hashingCall } from '../support/gateway';
import { eventually } from '../support/processes';
import { mailArrives, mailsTo } from '../support/mail';
import { publishToBroker } from '../support/rabbitmq';
import { sendWebhook, stripeEvent } from '../support/stripe';
import { waitForParked } from '../support/dead-letters';

const address = { recipient: 'Ada Lovelace', line1: '12 Analytical St', city: 'London', postal_code: 'N1 9GU', country: 'GB' };
const tag = randomUUID().slice(0, 6).toUpperCase();

let admin = '';
let product = { id: '', sku: '' };

beforeAll(async () => {
  admin = (await signUpAdmin('mail-admin')).access;
  const sku = `ML${tag}-CUP`;
  const created = await api('POST', '/products', { token: admin, body: { sku, name: 'Mail cup', base_price: '8.00', currency: 'USD' } });
  if (created.status !== 201) throw new Error(`create product: ${created.status} ${JSON.stringify(created.body)}`);
  product = { id: created.body.id, sku };
  const adjusted = await api('POST', `/inventory/${sku}/adjustments`, { token: admin, body: { location: 'wh-1', delta: 20, reason: 'receiving' } });
  if (adjusted.status !== 201) throw new Error(`stock: ${adjusted.status}`);
});

test('an order placed and paid mails the customer twice (received, confirmed); a redelivered event mails nothing more', async () => {
  const customer = await signUp(`mail-${tag}`);
  const placed = await api('POST', '/orders', { token: customer.access, body: { items: [{ product_id: product.id, quantity: 2 }], shipping_address: address } });
  expect(placed.status).toBe(202);
  const id: string = placed.body.id;
  const short = id.slice(0, 8).toUpperCase();
  const received = await mailArrives(customer.email, new RegExp(`received your order ${short}`));
  expect(received.body).toContain(id);
  expect(received.body).toContain(`2 × Mail cup (${product.sku})`);

  const order = await eventually(async () => {
    const res = await api('GET', `/orders/${id}`, { token: customer.access });
    return res.body.status === 'awaiting_payment' ? res.body : undefined;
  }, 60_000, 'awaiting payment');
  const hook = await sendWebhook(stripeEvent('payment_intent.succeeded', { id: order.payment.intent_id, payment_id: order.payment.payment_id, status: 'succeeded' }, Math.floor(Date.now() / 1000)));
  expect(hook.status).toBe(200);
  const confirmed = await mailArrives(customer.email, new RegExp(`Order ${short} confirmed`));
  expect(confirmed.body).toContain('Total');
  expect(confirmed.body).toContain(`${order.total} USD`);

  // The same order.paid event again, as a broker redelivers it: no second mail.
  const { default: pg } = await import('pg');
  const { pgConfig } = await import('../../kernel/config');
  const db = new pg.Pool({ ...pgConfig(), max: 1 });
  try {
    const { rows } = await db.query("SELECT payload FROM orders.outbox WHERE topic = 'order.paid' AND payload->>'order_id' = $1", [id]);
    expect(rows).toHaveLength(1);
    await publishToBroker('order.paid', rows[0].payload);
    // The user service took the second delivery (it counts each one) and sent nothing for it.
    await eventually(async () => {
      const { rows: sent } = await db.query('SELECT status, deliveries FROM users.sent_mail WHERE key = $1', [rows[0].payload.event_id]);
      return sent[0]?.deliveries === 2 && sent[0].status === 'sent';
    }, 60_000, 'the redelivered order.paid taken');
  } finally {
    await db.end();
  }
  expect(mailsTo(customer.email).filter((m) => m.subject.includes(`Order ${short} confirmed`))).toHaveLength(1);
});

test('a forged order event (put straight into the broker) mails nothing and is parked for an operator', async () => {
  const victim = await signUp(`mail-victim-${tag}`);
  const forged = {
    event_id: randomUUID(), order_id: randomUUID(), user_id: victim.id, status: 'paid', currency: 'USD',
    subtotal_minor: 100, discount_minor: 0, shipping_minor: 0, tax_minor: 0, total_minor: 100, refunded_minor: 0,
    lines: [{ sku: 'X', name: 'Prize', quantity: 1, unit_price_minor: 100, line_total_minor: 100 }], reason: null, detail: null, version: 3,
  };
  const eventId = await publishToBroker('order.paid', forged);
  const entry = await waitForParked(admin, 'user', 'order.paid', (p) => p.event_id === eventId, 60_000);
  expect(entry.reason).toMatch(/not recorded by the order service/);
  expect(mailsTo(victim.email)).toHaveLength(0);
});

test('password reset: a one-time code by mail sets a new password and ends every session; unknown accounts get the same answer', async () => {
  const user = await signUp(`reset-${tag}`);
  const unknown = uniqueEmail('nobody');
  const asked = await api('POST', '/auth/password-reset', { body: { email: user.email } });
  const askedUnknown = await api('POST', '/auth/password-reset', { body: { email: unknown } });
  expect([asked.status, askedUnknown.status]).toEqual([202, 202]);
  expect(askedUnknown.body).toEqual(asked.body);

  const mail = await mailArrives(user.email, /Reset your password/);
  const code = /^\s+([A-Za-z0-9_-]{43})\s*$/m.exec(mail.body)?.[1];
  expect(code).toBeDefined();

  const newPassword = 'another long enough passphrase';
  expect((await api('POST', '/auth/password-reset/confirm', { body: { code, password: 'short' } })).status).toBe(400); // the policy
  const confirmed = await api('POST', '/auth/password-reset/confirm', { body: { code, password: newPassword } });
  expect(confirmed.status).toBe(204);
  // Used once only; the old password and the old session are gone; the new password works.
  const again = await api('POST', '/auth/password-reset/confirm', { body: { code, password: newPassword } });
  expect(again.status).toBe(400);
  expect(again.headers.get('content-type')).toMatch(/problem\+json/);
  expect((await api('POST', '/auth/refresh', { body: { refresh_token: user.refresh } })).status).toBe(401);
  expect((await hashingCall('/auth/login', { email: user.email, password: PASSWORD })).status).toBe(401);
  expect((await hashingCall('/auth/login', { email: user.email, password: newPassword })).status).toBe(200);
  expect(mailsTo(unknown)).toHaveLength(0);
});

test('password reset refuses bad input with a 400 problem', async () => {
  for (const body of [{}, { email: 'not an address' }, { email: 'a@b.c', extra: 1 }]) {
    const res = await api('POST', '/auth/password-reset', { body });
    expect(res.status).toBe(400);
  }
  for (const body of [{}, { code: 'x', password: 'a long enough passphrase' }, { code: 'A'.repeat(43) }, { code: 'A'.repeat(43), password: 7 }]) {
    const res = await api('POST', '/auth/password-reset/confirm', { body });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
  }
  // A well-formed code nobody was sent.
  expect((await api('POST', '/auth/password-reset/confirm', { body: { code: 'A'.repeat(43), password: 'a long enough passphrase' } })).status).toBe(400);
});
