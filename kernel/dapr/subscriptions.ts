import Router from '@koa/router';
import type { Logger } from '../logger';

/** What a handler tells Dapr: keep (SUCCESS), redeliver later (RETRY) or dead-letter (DROP). */
export type Delivery = 'SUCCESS' | 'RETRY' | 'DROP';

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
  /** Where Dapr sends messages the handler DROPs, or that exhaust the resiliency retries. */
  deadLetterTopic?: string;
  handler: (event: CloudEvent, log: Logger) => Promise<Delivery>;
}

/**
 * Programmatic Dapr subscriptions served by Koa. A handler that throws answers RETRY, never
 * SUCCESS: the SDK's own server acknowledges a throwing handler (js-sdk #720), which loses
 * the message; here nothing is acknowledged unless the handler says so.
 */
export function subscriptionRouter(subscriptions: Subscription[]): Router {
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
      let status: Delivery;
      try {
        status = event && typeof event === 'object' ? await subscription.handler(event, log) : 'DROP';
      } catch (err) {
        log.warn({ err }, 'event handler failed; asking for redelivery');
        status = 'RETRY';
      }
      ctx.status = 200;
      ctx.body = { status };
    });
  }
  return router;
}
