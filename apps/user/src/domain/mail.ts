/**
 * The e-mails the shop sends (pure: no I/O): one for each step of an order's life, and the
 * password-reset code. Plain words; an order's lines and totals in its currency (exact, from
 * minor units), rendered from the order as its owner records it (events/order-mail.ts reads
 * it), not from the event's copy. The SMTP binding sends the body as text/html, so the text is
 * escaped and kept in <pre>: it reads the same in a plain-text mail client.
 */
import { fromMinorUnits } from '../../../../kernel/domain/money';
import { ORDER_TOPICS, type OrderTopic } from '../../../order/src/events/contract';
import type { RecordedOrder } from '../../../order/src/client';

export interface Mail {
  to: string;
  subject: string;
  /** The body as text; `html` is the same, escaped, for the binding. */
  text: string;
  html: string;
}

export interface Recipient {
  email: string;
  name: string;
}

const HEADLINES: Record<OrderTopic, (short: string) => { subject: string; opening: string }> = {
  [ORDER_TOPICS.placed]: (short) => ({ subject: `We received your order ${short}`, opening: 'Thank you for your order. We are confirming your payment now.' }),
  [ORDER_TOPICS.paid]: (short) => ({ subject: `Order ${short} confirmed`, opening: 'Your payment went through and your order is confirmed.' }),
  [ORDER_TOPICS.failed]: (short) => ({ subject: `Order ${short} could not be completed`, opening: 'We could not complete your order. You have not been charged.' }),
  [ORDER_TOPICS.cancelled]: (short) => ({ subject: `Order ${short} cancelled`, opening: 'Your order has been cancelled. Any payment taken is being refunded.' }),
  [ORDER_TOPICS.fulfilled]: (short) => ({ subject: `Order ${short} is on its way`, opening: 'Your order has been handed to the carrier.' }),
  [ORDER_TOPICS.refunded]: (short) => ({ subject: `Refund for order ${short}`, opening: 'We have refunded your payment.' }),
};

export function isOrderTopic(topic: string): topic is OrderTopic {
  return (Object.values(ORDER_TOPICS) as string[]).includes(topic);
}

/** The mail for one order event to the order's customer. */
export function orderMail(topic: OrderTopic, order: RecordedOrder, to: Recipient): Mail {
  const short = order.id.slice(0, 8).toUpperCase();
  const { subject, opening } = HEADLINES[topic](short);
  const money = (minor: number) => `${fromMinorUnits(minor, order.currency)} ${order.currency}`;
  const lines = [
    `Hello ${to.name || to.email},`,
    '',
    opening,
    ...(order.failure_reason && topic === ORDER_TOPICS.failed ? ['', `Reason: ${order.failure_detail ?? order.failure_reason}`] : []),
    '',
    `Order ${order.id}`,
    ...order.items.map((l) => `  ${l.quantity} × ${l.name} (${l.sku})  ${money(l.line_total_minor)}`),
    '',
    `  Subtotal  ${money(order.subtotal_minor)}`,
    ...(order.discount_minor ? [`  Discount  -${money(order.discount_minor)}`] : []),
    `  Shipping  ${money(order.shipping_minor)}`,
    ...(order.tax_minor ? [`  Tax       ${money(order.tax_minor)}`] : []),
    `  Total     ${money(order.total_minor)}`,
    ...(topic === ORDER_TOPICS.refunded || order.refunded_minor ? [`  Refunded  ${money(order.refunded_minor)}`] : []),
    '',
    'Dapr Commerce',
  ];
  const text = lines.join('\n');
  return { to: to.email, subject, text, html: `<pre>${escapeHtml(text)}</pre>` };
}

/** A one-time password-reset link's mail. */
export function passwordResetMail(to: Recipient, token: string, ttlMinutes: number): Mail {
  const text = [
    `Hello ${to.name || to.email},`,
    '',
    'Someone asked to reset the password of your account. If it was you, use this code',
    `within ${ttlMinutes} minutes (POST /auth/password-reset/confirm with it and your new password):`,
    '',
    `  ${token}`,
    '',
    'If it was not you, ignore this mail: your password stays as it is.',
    '',
    'Dapr Commerce',
  ].join('\n');
  return { to: to.email, subject: 'Reset your password', text, html: `<pre>${escapeHtml(text)}</pre>` };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
