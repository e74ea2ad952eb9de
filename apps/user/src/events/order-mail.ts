/**
 * The user service's side of order events (order service → outbox → RabbitMQ): each becomes one
 * e-mail to the order's customer, sent through Dapr's SMTP output binding (`mail`).
 *
 * An event is a claim, not a fact: before a mail goes out, the order it names is read from the
 * order service (its owner) and must agree: the same customer, and the step the event announces
 * in the order's history. An event for an order the order service does not have, of another
 * customer, or announcing a step the order never took is parked on the dead-letter topic for an
 * operator and mails nothing (pub/sub scopes already stop other apps from publishing order
 * topics; this also covers a message put straight into the broker). An event ahead of the
 * order's record (a read behind the write) is retried.
 *
 * The mail is rendered from the owner's record, not from the event's copy of the order. Each
 * mail is keyed by the event's id before it is sent (store/sent-mail.ts): a redelivered event
 * mails nothing more.
 */
import type { Logger } from '../../../../kernel/logger';
import type { Sidecar } from '../../../../kernel/dapr/sidecar';
import type { Delivery, Subscription } from '../../../../kernel/dapr/subscriptions';
import { PUBSUB } from '../../../payment/src/events/contract';
import { ORDER_TOPICS, type OrderEventPayload, type OrderTopic } from '../../../order/src/events/contract';
import { recordedOrder, type RecordedOrder } from '../../../order/src/client';
import { orderMail, type Mail } from '../domain/mail';
import type { SentMailStore } from '../store/sent-mail';
import type { UserStore } from '../store/users';

export const ORDER_MAIL_DEAD_LETTER_TOPIC = 'user.order-events.deadletter';
export const MAIL_BINDING = 'mail';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The status an order reaches at the step a topic announces (placed: the order exists). */
const STATUS_OF_TOPIC: Record<OrderTopic, string | undefined> = {
  [ORDER_TOPICS.placed]: undefined,
  [ORDER_TOPICS.paid]: 'paid',
  [ORDER_TOPICS.failed]: 'failed',
  [ORDER_TOPICS.cancelled]: 'cancelled',
  [ORDER_TOPICS.fulfilled]: 'fulfilled',
  [ORDER_TOPICS.refunded]: 'refunded',
};

type OrderEvent = OrderEventPayload & { event_id: string };

/** The shape checks an event must pass before anything is looked up; a reason when it fails. */
export function malformed(data: unknown): string | undefined {
  const e = data as Partial<OrderEvent> | undefined;
  if (!e || typeof e !== 'object') return 'not an order event';
  if (typeof e.event_id !== 'string' || !UUID.test(e.event_id)) return 'no event_id';
  if (typeof e.order_id !== 'string' || !UUID.test(e.order_id)) return 'no order_id';
  if (typeof e.user_id !== 'string' || !UUID.test(e.user_id)) return 'no user_id';
  if (typeof e.currency !== 'string' || !/^[A-Z]{3}$/.test(e.currency)) return 'no currency';
  for (const field of ['subtotal_minor', 'discount_minor', 'shipping_minor', 'tax_minor', 'total_minor', 'refunded_minor', 'version'] as const) {
    if (!Number.isSafeInteger(e[field])) return `no ${field}`;
  }
  if (!Array.isArray(e.lines) || e.lines.some((l) => !l || typeof l.sku !== 'string' || typeof l.name !== 'string' || !Number.isSafeInteger(l.quantity) || !Number.isSafeInteger(l.line_total_minor))) {
    return 'no lines';
  }
  return undefined;
}

/** Whether the owner's record bears the event out: 'ok', 'behind' (retry) or why it does not. */
export function checkAgainst(topic: OrderTopic, event: OrderEvent, order: RecordedOrder): 'ok' | 'behind' | string {
  if (order.user_id !== event.user_id) return `order ${order.id} is not of user ${event.user_id}`;
  if (order.currency !== event.currency || order.total_minor !== event.total_minor) {
    return `order ${order.id} totals ${order.total_minor} ${order.currency}, the event says ${event.total_minor} ${event.currency}`;
  }
  const status = STATUS_OF_TOPIC[topic];
  if (!status || order.history.some((h) => h.to_status === status)) return 'ok';
  return order.version < event.version ? 'behind' : `order ${order.id} never reached ${status}`;
}

export interface OrderMailDeps {
  sidecar: Sidecar;
  users: UserStore;
  sent: SentMailStore;
}

/** Sends one mail through the SMTP binding, keyed: false when that key was already sent. */
export async function sendKeyed(deps: Pick<OrderMailDeps, 'sidecar' | 'sent'>, key: string, kind: string, mail: Mail): Promise<boolean> {
  if (!(await deps.sent.claim({ key, kind, recipient: mail.to, subject: mail.subject }))) return false;
  await deps.sidecar.invokeBinding(MAIL_BINDING, 'create', mail.html, { emailTo: mail.to, subject: mail.subject });
  await deps.sent.markSent(key);
  return true;
}

export function orderMailSubscriptions(deps: OrderMailDeps): Subscription[] {
  const handle = (topic: OrderTopic) => async (event: { data: unknown }, log: Logger): Promise<Delivery> => {
    const reason = malformed(event.data);
    if (reason) return { deadLetter: reason };
    const data = event.data as OrderEvent;
    const order = await recordedOrder(deps.sidecar, data.order_id);
    if (!order) {
      log.warn({ order_id: data.order_id, topic }, 'order event for an order the order service does not have; parked');
      return { deadLetter: `order ${data.order_id} is not recorded by the order service` };
    }
    const verdict = checkAgainst(topic, data, order);
    if (verdict === 'behind') return 'RETRY';
    if (verdict !== 'ok') {
      log.warn({ order_id: data.order_id, topic, verdict }, 'order event disagrees with the order record; parked');
      return { deadLetter: verdict };
    }
    const user = await deps.users.byId(order.user_id);
    if (!user) return 'SUCCESS'; // the account is gone: nobody to tell
    const sent = await sendKeyed(deps, data.event_id, topic, orderMail(topic, order, { email: user.email, name: user.name }));
    if (!sent) log.debug({ event_id: data.event_id, topic }, 'order mail already sent');
    return 'SUCCESS';
  };
  return (Object.values(ORDER_TOPICS) as OrderTopic[]).map((topic) => ({ pubsub: PUBSUB, topic, deadLetterTopic: ORDER_MAIL_DEAD_LETTER_TOPIC, handler: handle(topic) }));
}
