/**
 * Poison messages: for every topic an app subscribes to (components/pubsub.yaml), messages put
 * straight onto the broker, past Dapr and its topic scopes, as a holder of the broker's
 * credentials could:
 *   (a) malformed: data that breaks the consumer's contract. It must be parked by the topic's
 *       consumer (GET /admin/dead-letters/<app>) within 90 s, with its topic and a reason; a
 *       replay is accepted and leaves it parked (one more attempt), never applied.
 *   (b) well-formed but false: a product the catalog does not have, a payment the payment
 *       service does not know. They must change nothing. What the code documents
 *       (checkedAgainstCatalog, apps/order/src/events/payment-events.ts): a change of a product
 *       the catalog does not have is acknowledged and indexes nothing; a delete of it is
 *       indexed as a hidden tombstone (the product is gone); a change that claims a newer
 *       version than the catalog has is parked; a payment event the payment service does not
 *       record is parked and the order it names is untouched.
 */
import { randomUUID } from 'node:crypto';
import type { Scenario } from '../lib/scenario';
import { storePool } from '../lib/stack';
import { freshAdmin, tag } from '../lib/shop';
import { eventually } from '../../test/support/processes';
import { api } from '../../test/support/gateway';
import { publishToBroker } from '../../test/support/rabbitmq';
import { consumedTopics, parkedEvents, replayParked, waitForParked, type ParkedEntry } from '../../test/support/dead-letters';
import { elasticsearch, searchDocuments } from './search-outage';

const PARK_WITHIN_MS = 90_000;

const CATALOG = new Set(['catalog.product.created', 'catalog.product.updated', 'catalog.product.deleted']);
const PAYMENT = new Set(['payment.intent.succeeded', 'payment.intent.failed']);

/** A product snapshot that satisfies the catalog's event contract. */
function snapshot(id: string, version: number, name: string) {
  const now = new Date().toISOString();
  return {
    id,
    sku: `POISON-${id.slice(0, 8)}`,
    name,
    description: 'forged on the broker',
    base_price_minor: 1,
    currency: 'USD',
    status: 'active',
    category: null,
    attributes: {},
    variants: [],
    version,
    updated_at: now,
  };
}

interface Sent {
  app: string;
  topic: string;
  kind: 'malformed' | 'false-fact';
  /** What the false fact is about (product or payment id). */
  about?: string;
  eventId: string;
  sentAt: number;
}

export const poisonMessages: Scenario = {
  name: 'poison-messages',
  async run(ctx, report) {
    const token = await (await freshAdmin('chaos-poison')).token();
    const topics = consumedTopics();
    report.figure('topics', topics.length);
    // A topic added later still gets a malformed message; its false facts need a case written here.
    const unknownTopics = topics.filter((t) => !CATALOG.has(t.topic) && !PAYMENT.has(t.topic));
    if (unknownTopics.length) report.figure('topics_without_false_fact_case', unknownTopics.map((t) => t.topic).join(' '));

    const db = storePool();
    try {
      // A real product, to forge a newer version of (the catalog contradicts the claim).
      const realSku = `PO${tag()}-real`;
      const createdReal = await api('POST', '/products', { token, body: { sku: realSku, name: `Poison target ${realSku}`, base_price: '4.00', currency: 'USD' }, headers: { 'idempotency-key': randomUUID() } });
      if (createdReal.status !== 201) throw new Error(`create product: ${createdReal.status} ${JSON.stringify(createdReal.body)}`);
      const real = { id: createdReal.body.id as string, sku: realSku };
      const realName = createdReal.body.name as string;
      const es = elasticsearch();
      await eventually(async () => (await searchDocuments(es, [real.id])).get(real.id)?.name === realName, 60_000, 'the target product indexed');
      // A settled order (nothing legitimate changes it any more) to name in the forged payment events.
      const { rows: settled } = await db.query<{ id: string; user_id: string; status: string; updated_at: Date; events: number }>(
        `SELECT o.id, o.user_id, o.status, o.updated_at, (SELECT count(*)::int FROM orders.order_events e WHERE e.order_id = o.id) AS events
           FROM orders.orders o WHERE o.status NOT IN ('pending', 'reserved', 'awaiting_payment') ORDER BY o.created_at LIMIT 1`,
      );
      const order = settled[0];
      const orderId = order?.id ?? randomUUID();
      ctx.log(`poison: ${topics.length} topics; forged payment events name ${order ? `settled order ${orderId} (${order.status})` : `no existing order (${orderId})`}`);

      const sent: Sent[] = [];
      const send = async (app: string, topic: string, kind: Sent['kind'], data: unknown, about?: string) => {
        const eventId = await publishToBroker(topic, data);
        sent.push({ app, topic, kind, about, eventId, sentAt: Date.now() });
      };
      const fakeProducts = new Map<string, string>(); // topic → fake product id
      const fakePayments = new Map<string, string>(); // topic → fake payment id
      for (const { app, topic } of topics) {
        // False facts first, the malformed one last: once it is parked, the others were delivered too.
        if (CATALOG.has(topic)) {
          const fake = randomUUID();
          fakeProducts.set(topic, fake);
          const product = topic.endsWith('.deleted') ? { id: fake, sku: `POISON-${fake.slice(0, 8)}`, version: 7 } : snapshot(fake, 7, `Forged ${fake.slice(0, 8)}`);
          await send(app, topic, 'false-fact', { event_id: randomUUID(), occurred_at: new Date().toISOString(), product }, fake);
          if (topic.endsWith('.updated')) {
            // A real product, a version the catalog never had, a rewritten name.
            await send(app, topic, 'false-fact', { event_id: randomUUID(), occurred_at: new Date().toISOString(), product: { ...snapshot(real.id, 1000, 'Forged rename'), sku: real.sku } }, real.id);
          }
          await send(app, topic, 'malformed', { event_id: 'not-a-uuid', occurred_at: 'yesterday', product: { id: 42 }, chaos: 'malformed' });
        } else if (PAYMENT.has(topic)) {
          const fake = randomUUID();
          fakePayments.set(topic, fake);
          await send(app, topic, 'false-fact', {
            payment_id: fake,
            order_id: orderId,
            user_id: order?.user_id ?? randomUUID(),
            attempt: 1,
            provider_intent_id: `pi_forged_${fake.slice(0, 8)}`,
            provider_event_id: `evt_forged_${fake.slice(0, 8)}`,
            status: topic.endsWith('.succeeded') ? 'succeeded' : 'failed',
            amount_minor: 100,
            currency: 'USD',
            version: 1,
          }, fake);
          await send(app, topic, 'malformed', { payment_id: 12345, order_id: null, chaos: 'malformed' });
        } else {
          await send(app, topic, 'malformed', { chaos: 'malformed', marker: randomUUID() });
        }
      }
      report.figure('poison_sent', sent.length);

      // (a) Malformed: parked with topic and reason, replay accepted, still parked with one more attempt.
      const malformed = sent.filter((s) => s.kind === 'malformed');
      const parkedMalformed = await Promise.all(
        malformed.map(async (s) => {
          try {
            const entry = await waitForParked(token, s.app, s.topic, (p) => p.event_id === s.eventId, PARK_WITHIN_MS - (Date.now() - s.sentAt), `${s.topic}'s malformed message parked by ${s.app}`);
            return { s, entry, after: Date.now() - s.sentAt };
          } catch (err) {
            ctx.log(`poison: ${(err as Error).message}`);
            return { s, entry: undefined, after: NaN };
          }
        }),
      );
      const notParked = parkedMalformed.filter((p) => !p.entry);
      report.zero(`malformed messages parked within ${PARK_WITHIN_MS / 1000} s`, notParked.length, malformed.length);
      const badEntry = parkedMalformed.filter((p) => p.entry && (p.entry.source_topic !== p.s.topic || !p.entry.reason || p.entry.status !== 'parked'));
      report.zero('parked with their topic and a reason', badEntry.length, parkedMalformed.length - notParked.length);
      const slowest = Math.max(0, ...parkedMalformed.filter((p) => p.entry).map((p) => p.after));
      report.figure('parked_within_s', Math.round(slowest / 100) / 10);

      let replayed = 0;
      let replayWrong = 0;
      for (const { s, entry } of parkedMalformed) {
        if (!entry) continue;
        const answer = await replayParked(token, s.app, [entry.id]);
        replayed += 1;
        const after = (await parkedEvents(token, s.app, `?topic=${encodeURIComponent(s.topic)}&limit=500`)).find((p) => p.id === entry.id);
        const ok = answer.status === 200 && !answer.replayed.includes(entry.id) && answer.still_parked.some((p) => p.id === entry.id) && after?.status === 'parked' && after.attempts > entry.attempts;
        if (!ok) {
          replayWrong += 1;
          ctx.log(`poison: replay of ${s.topic} ${entry.id}: ${answer.status} ${JSON.stringify(answer)}; now ${JSON.stringify(after && { status: after.status, attempts: after.attempts })} (was ${entry.attempts})`);
        }
      }
      report.zero('replayed malformed messages stay parked (accepted, attempts + 1, never applied)', replayWrong, replayed);

      // (b) False facts. By now every malformed message behind them has been handled; give the
      // false ones (delivered concurrently) a moment more.
      await new Promise((r) => setTimeout(r, 5000));
      const falseFacts = sent.filter((s) => s.kind === 'false-fact');
      const parkedOf = async (s: Sent): Promise<ParkedEntry | undefined> => (await parkedEvents(token, s.app, `?topic=${encodeURIComponent(s.topic)}&limit=500`)).find((p) => p.event_id === s.eventId);

      // Catalog topics. Documents of the fake products and of the real one, straight from Elasticsearch.
      const docs = await searchDocuments(es, [...fakeProducts.values(), real.id]);
      let indexedFake = 0;
      const outcomes: string[] = [];
      for (const [topic, fake] of fakeProducts) {
        const doc = docs.get(fake);
        const s = falseFacts.find((f) => f.topic === topic && f.about === fake)!;
        const parked = await parkedOf(s);
        const short = topic.replace('catalog.product.', '');
        if (topic.endsWith('.deleted')) {
          // Documented: a delete of a product the catalog does not have is indexed (as a hidden tombstone).
          if (doc && (doc.visible || !doc.deleted)) indexedFake += 1;
          outcomes.push(`${short}: ${parked ? 'parked' : doc ? 'hidden tombstone' : 'nothing indexed'}`);
        } else {
          if (doc) indexedFake += 1;
          outcomes.push(`${short}: ${parked ? 'parked' : 'dropped (acknowledged, nothing indexed)'}`);
        }
      }
      report.zero('forged events of unknown products visible in search', indexedFake, fakeProducts.size);
      let forgedParked = 0;
      const forgedRename = falseFacts.find((f) => f.about === real.id);
      if (forgedRename) {
        const parked = await parkedOf(forgedRename);
        const doc = docs.get(real.id);
        if (parked) forgedParked += 1;
        report.check('forged newer version of a real product parked, its document unchanged', Boolean(parked) && doc?.name === realName && doc?.version !== 1000, `${parked ? 'parked' : 'not parked'}, document ${doc ? `"${doc.name}" v${doc.version}` : 'missing'}`);
        outcomes.push(`forged rename: ${parked ? 'parked' : 'not parked'}`);
      }

      // Payment topics: documented as parked; the order they name is untouched.
      let paymentNotParked = 0;
      const paymentParked: Array<{ app: string; entry: ParkedEntry }> = [];
      for (const s of falseFacts.filter((f) => PAYMENT.has(f.topic))) {
        try {
          const entry = await waitForParked(token, s.app, s.topic, (p) => p.event_id === s.eventId, Math.max(5000, PARK_WITHIN_MS - (Date.now() - s.sentAt)), `${s.topic}'s unknown payment parked`);
          paymentParked.push({ app: s.app, entry });
        } catch (err) {
          paymentNotParked += 1;
          ctx.log(`poison: ${(err as Error).message}`);
        }
      }
      report.zero('events of unknown payments parked', paymentNotParked, fakePayments.size);
      outcomes.push(`payments: ${paymentParked.length} of ${fakePayments.size} parked`);
      // Replayed: the payment is still unknown, so it stays parked.
      let paymentReplayWrong = 0;
      for (const { app, entry } of paymentParked) {
        const answer = await replayParked(token, app, [entry.id]);
        replayed += 1;
        if (answer.status !== 200 || answer.replayed.includes(entry.id)) paymentReplayWrong += 1;
      }
      report.zero('replayed unknown-payment events stay parked', paymentReplayWrong, paymentParked.length);
      if (order) {
        const { rows } = await db.query<{ status: string; updated_at: Date; events: number }>(
          'SELECT o.status, o.updated_at, (SELECT count(*)::int FROM orders.order_events e WHERE e.order_id = o.id) AS events FROM orders.orders o WHERE o.id = $1',
          [order.id],
        );
        const now = rows[0];
        const unchanged = now !== undefined && now.status === order.status && now.updated_at.getTime() === order.updated_at.getTime() && now.events === order.events;
        report.check('the order named by forged payment events unchanged', unchanged, now ? `${order.status} → ${now.status}, events ${order.events} → ${now.events}` : 'order gone');
      } else {
        const { rows } = await db.query('SELECT 1 FROM orders.orders WHERE id = $1', [orderId]);
        report.zero('orders made by forged payment events', rows.length);
      }

      report.figure('parked', parkedMalformed.filter((p) => p.entry).length + paymentParked.length + forgedParked);
      report.figure('replayed', replayed);
      report.figure('false_facts', outcomes.join('; '));
    } finally {
      await db.end();
    }
  },
};
