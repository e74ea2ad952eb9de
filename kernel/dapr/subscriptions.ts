import Router from '@koa/router';
import client from 'prom-client';
import type { Logger } from '../logger';
import { registry } from '../http/metrics';
import type { DeadLetterStore, ParkedEvent } from '../store/dead-letters';
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
export function subscriptionRouter(services: Subscription[], sidecar: Sidecar, parking?: DeadLetterStore): Router {
  const router = new Router();
  // With a parking store, the app also consumes its own dead-letter topics into it.
  const subscriptions = parking ? [...services, ...parkingSubscriptions(services, parking)] : services;
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
    const parked: DeadLetterMessage = { reason, topic: subscription.topic, event_id: event?.id, data: event?.data ?? event };
    await sidecar.publish(subscription.pubsub, subscription.deadLetterTopic, parked);
    log.warn({ reason, dead_letter_topic: subscription.deadLetterTopic }, 'poison message dead-lettered');
    return 'SUCCESS';
  } catch (err) {
    log.warn({ err }, 'dead-lettering failed; asking for redelivery');
    return 'RETRY';
  }
}

/** What the kernel publishes to a dead-letter topic for a message its handler refused. */
interface DeadLetterMessage {
  reason: string;
  /** The topic the message came from. */
  topic: string;
  event_id?: string;
  data: unknown;
}

function isDeadLetterMessage(data: unknown): data is DeadLetterMessage {
  const d = data as Partial<DeadLetterMessage> | null;
  return typeof d === 'object' && d !== null && typeof d.reason === 'string' && typeof d.topic === 'string' && 'data' in d;
}

const parkedTotal = new client.Counter({
  name: 'events_parked_total',
  help: 'Messages parked for an operator (refused as poison, or out of delivery retries), by the topic they came from.',
  labelNames: ['topic'] as const,
  registers: [registry],
});

/** The `events_parked` gauge (parked, not yet replayed, per source topic), read from the store on scrape. */
export function parkedGauge(store: DeadLetterStore): void {
  registry.removeSingleMetric('events_parked');
  new client.Gauge({
    name: 'events_parked',
    help: 'Parked messages waiting for an operator (npm run events:replay), by the topic they came from.',
    labelNames: ['topic'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const row of await store.parkedByTopic().catch(() => [])) this.set({ topic: row.source_topic }, row.count);
    },
  });
}

/**
 * One subscription per dead-letter topic of the app's subscriptions, storing what arrives: the
 * kernel's own dead letters (the refused message with its reason) and messages Dapr moved there
 * after the last delivery retry (the original event as it was). Acknowledged only once stored;
 * a failed store is redelivered. This subscription has no dead-letter topic of its own.
 */
function parkingSubscriptions(subscriptions: Subscription[], store: DeadLetterStore): Subscription[] {
  const topics = new Map<string, string>();
  for (const s of subscriptions) if (s.deadLetterTopic) topics.set(s.deadLetterTopic, s.pubsub);
  return [...topics].map(([topic, pubsub]) => ({
    pubsub,
    topic,
    handler: async (event, log) => {
      const parked = isDeadLetterMessage(event.data)
        ? { sourceTopic: event.data.topic, eventId: event.data.event_id ?? event.id, payload: event.data.data, reason: event.data.reason }
        : { sourceTopic: event.topic && event.topic !== topic ? event.topic : 'unknown', eventId: event.id, payload: event.data, reason: 'delivery retries exhausted' };
      const row = await store.park({ deadLetterTopic: topic, ...parked });
      parkedTotal.inc({ topic: row.source_topic });
      log.warn({ parked_id: row.id, source_topic: row.source_topic, reason: row.reason, attempts: row.attempts }, 'message parked for an operator');
      return 'SUCCESS';
    },
  }));
}

export interface ReplayReport {
  replayed: string[];
  still_parked: Array<{ id: string; reason: string }>;
}

/**
 * Runs parked events through the handler of the subscription they came from, as a redelivery
 * (handlers are idempotent: versions, event ids, payment records). One that succeeds is marked
 * replayed; one that is refused again stays parked with its new reason and one more attempt.
 */
export async function replayParked(subscriptions: Subscription[], store: DeadLetterStore, filter: { ids?: string[]; topic?: string; limit: number }, log: Logger): Promise<ReplayReport> {
  const report: ReplayReport = { replayed: [], still_parked: [] };
  for (const parked of await store.toReplay(filter)) {
    const subscription = subscriptions.find((s) => s.topic === parked.source_topic);
    const outcome = subscription ? await redeliver(subscription, parked, log) : `no subscription of this app reads ${parked.source_topic}`;
    if (outcome === 'SUCCESS') {
      await store.markReplayed(parked.id);
      report.replayed.push(parked.id);
    } else {
      await store.markReplayFailed(parked.id, outcome);
      report.still_parked.push({ id: parked.id, reason: outcome });
    }
  }
  return report;
}

async function redeliver(subscription: Subscription, parked: ParkedEvent, log: Logger): Promise<'SUCCESS' | string> {
  const event: CloudEvent = {
    id: parked.event_id,
    source: 'replay',
    type: 'com.dapr.event.sent',
    topic: parked.source_topic,
    pubsubname: subscription.pubsub,
    data: parked.payload,
  };
  try {
    const decision = await subscription.handler(event, log.child({ topic: parked.source_topic, event_id: parked.event_id, replay_of: parked.id }));
    if (decision === 'SUCCESS') return 'SUCCESS';
    return decision === 'RETRY' ? 'the handler asked for a later retry' : decision.deadLetter;
  } catch (err) {
    return `the handler failed: ${(err as Error).message}`;
  }
}
