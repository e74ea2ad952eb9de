import Router from '@koa/router';
import type { Logger } from '../logger';
import type { Sidecar } from './sidecar';

/**
 * What a handler decides: done (SUCCESS), try again later (RETRY: transient failure), or
 * `{ deadLetter: reason }` for a message that can never be processed (a poison message): it is
 * published to the subscription's dead-letter topic with the reason, then acknowledged.
 */
export type Delivery = 'SUCCESS' | 'RETRY' | { deadLetter: string };

export interface CloudEvent<T = unknown> {
  id: string;
  source: string;
  type: string;
  topic: string;
  pubsubname: string;
  data: T;
  traceparent?: string;
  [key: string]: unknown;
}

export interface Subscription {
  pubsub: string;
  topic: string;
  /** Where poison messages go, and where Dapr sends messages that exhaust the resiliency retries. */
  deadLetterTopic?: string;
  handler: (event: CloudEvent, log: Logger) => Promise<Delivery>;
}

/**
 * Programmatic Dapr subscriptions served by Koa. A handler that throws answers RETRY, never
 * SUCCESS: the SDK's own server acknowledges a throwing handler (js-sdk #720), which loses
 * the message; here nothing is acknowledged unless the handler says so.
 */
export function subscriptionRouter(subscriptions: Subscription[], sidecar: Sidecar): Router {
  const router = new Router();
  const routeOf = (s: Subscription) => `/dapr/events/${s.pubsub}/${s.topic}`;
  router.get('/dapr/subscribe', (ctx) => {
    ctx.body = subscriptions.map((s) => ({
      pubsubname: s.pubsub,
      topic: s.topic,
      route: routeOf(s),
      ...(s.deadLetterTopic ? { deadLetterTopic: s.deadLetterTopic } : {}),
    }));
  });
  for (const subscription of subscriptions) {
    router.post(routeOf(subscription), async (ctx) => {
      const event = ctx.request.body as CloudEvent;
      const log = ctx.state.log.child({ topic: subscription.topic, event_id: event?.id });
      let decision: Delivery;
      try {
        decision = event && typeof event === 'object' ? await subscription.handler(event, log) : { deadLetter: 'not a CloudEvent' };
      } catch (err) {
        log.warn({ err }, 'event handler failed; asking for redelivery');
        decision = 'RETRY';
      }
      ctx.status = 200;
      ctx.body = { status: typeof decision === 'string' ? decision : await deadLetter(subscription, event, decision.deadLetter, sidecar, log) };
    });
  }
  return router;
}

/** Parks a poison message on the dead-letter topic; acknowledges it only once that worked. */
async function deadLetter(subscription: Subscription, event: CloudEvent, reason: string, sidecar: Sidecar, log: Logger): Promise<'SUCCESS' | 'RETRY'> {
  if (!subscription.deadLetterTopic) {
    log.error({ reason }, 'poison message and no dead-letter topic: keeping it for redelivery');
    return 'RETRY';
  }
  try {
    await sidecar.publish(subscription.pubsub, subscription.deadLetterTopic, {
      reason,
      topic: subscription.topic,
      event_id: event?.id,
      data: event?.data ?? event,
    });
    log.warn({ reason, dead_letter_topic: subscription.deadLetterTopic }, 'poison message dead-lettered');
    return 'SUCCESS';
  } catch (err) {
    log.warn({ err }, 'dead-lettering failed; asking for redelivery');
    return 'RETRY';
  }
}
