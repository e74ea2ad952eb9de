/**
 * Order mails and password resets without servers: what a mail says (exact money, escaped
 * text), which order events are believed (the owner's record decides), and the reset's limits.
 */
import { orderMail, passwordResetMail } from '../../apps/user/src/domain/mail';
import { checkAgainst, malformed } from '../../apps/user/src/events/order-mail';
import { PasswordResets, hashResetCode } from '../../apps/user/src/domain/password-reset';
import type { RecordedOrder } from '../../apps/order/src/client';

const ORDER_ID = '0190c0de-0000-7000-8000-0000000000aa';
const USER_ID = '0190c0de-0000-7000-8000-0000000000bb';

const order = (changes: Partial<RecordedOrder> = {}): RecordedOrder => ({
  id: ORDER_ID, user_id: USER_ID, status: 'paid', version: 4, currency: 'JPY',
  subtotal_minor: 1500, discount_minor: 100, shipping_minor: 500, tax_minor: 0, total_minor: 1900, refunded_minor: 0,
  failure_reason: null, failure_detail: null,
  items: [{ sku: 'TEA-1', name: 'Tea <b>& cake</b>', quantity: 3, line_total_minor: 1500 }],
  history: [{ from_status: null, to_status: 'pending', event: 'placed' }, { from_status: 'awaiting_payment', to_status: 'paid', event: 'paid' }],
  ...changes,
});

const event = (changes: Record<string, unknown> = {}) => ({
  event_id: '0190c0de-0000-7000-8000-0000000000cc', order_id: ORDER_ID, user_id: USER_ID, status: 'paid', currency: 'JPY',
  subtotal_minor: 1500, discount_minor: 100, shipping_minor: 500, tax_minor: 0, total_minor: 1900, refunded_minor: 0,
  lines: [{ sku: 'TEA-1', name: 'Tea', quantity: 3, unit_price_minor: 500, line_total_minor: 1500 }], reason: null, detail: null, version: 4,
  ...changes,
});

test('an order mail states the lines and totals exactly in the currency, escaped for the HTML body', () => {
  const mail = orderMail('order.paid', order(), { email: 'ada@example.test', name: 'Ada' });
  expect(mail.subject).toBe('Order 0190C0DE confirmed');
  expect(mail.text).toContain('3 × Tea <b>& cake</b> (TEA-1)  1500 JPY');
  expect(mail.text).toContain('Discount  -100 JPY');
  expect(mail.text).toContain('Total     1900 JPY');
  expect(mail.html).toContain('Tea &lt;b&gt;&amp; cake&lt;/b&gt;');
  expect(mail.html).not.toContain('<b>');
  expect(orderMail('order.failed', order({ status: 'failed', failure_reason: 'payment_declined', failure_detail: 'The card was declined.' }), { email: 'a@b.c', name: '' }).text).toContain('Reason: The card was declined.');
});

test('events are believed only as far as the order record bears them out', () => {
  expect(checkAgainst('order.paid', event() as never, order())).toBe('ok');
  expect(checkAgainst('order.placed', event() as never, order())).toBe('ok');
  expect(checkAgainst('order.paid', event({ user_id: '0190c0de-0000-7000-8000-0000000000dd' }) as never, order())).toMatch(/not of user/);
  expect(checkAgainst('order.paid', event({ total_minor: 1 }) as never, order())).toMatch(/totals 1900 JPY, the event says 1/);
  // A step the order never took: parked, unless the record is behind the event (retried).
  expect(checkAgainst('order.refunded', event() as never, order())).toMatch(/never reached refunded/);
  expect(checkAgainst('order.refunded', event({ version: 9 }) as never, order())).toBe('behind');
});

test('malformed events are named before anything is looked up', () => {
  expect(malformed(undefined)).toBe('not an order event');
  expect(malformed({ ...event(), event_id: 'x' })).toBe('no event_id');
  expect(malformed({ ...event(), total_minor: 1.5 })).toBe('no total_minor');
  expect(malformed({ ...event(), lines: [{}] })).toBe('no lines');
  expect(malformed(event())).toBeUndefined();
});

test('a reset code is mailed only to an existing account under its limit, and only its hash is kept', async () => {
  const created: Array<{ userId: string; hash: string }> = [];
  const sent: Array<{ key: string; text: string }> = [];
  let recent = 0;
  const resets = new PasswordResets(
    {
      userByEmail: async (email) => (email === 'ada@example.test' ? { id: USER_ID, email, name: 'Ada' } : undefined),
      recentCount: async () => recent,
      create: async (userId, hash) => (created.push({ userId, hash }), 'reset-1'),
      consume: async (hash) => (created.some((c) => c.hash === hash) ? USER_ID : undefined),
      send: async (key, mail) => void sent.push({ key, text: mail.text }),
      mail: passwordResetMail,
    },
    { ttlSeconds: 1800, perWindow: 3, windowSeconds: 3600 },
  );
  expect(await resets.request('nobody@example.test')).toBeUndefined();
  const send = await resets.request('ada@example.test');
  await send!();
  expect(sent).toHaveLength(1);
  expect(sent[0]!.key).toBe('password-reset:reset-1');
  const code = /^\s+([A-Za-z0-9_-]{43})$/m.exec(sent[0]!.text)![1]!;
  expect(created[0]!.hash).toBe(hashResetCode(code));
  expect(created[0]!.hash).not.toContain(code);
  expect(await resets.confirm(code, 'hash')).toBe(USER_ID);
  recent = 3; // the limit reached: nothing more is sent
  expect(await resets.request('ada@example.test')).toBeUndefined();
});
