import pg from 'pg';
import type { Logger } from '../logger';
import type { PgConfig } from '../config';
import { outboxChannel, type OutboxEvent, type OutboxStore } from '../store/outbox';
import type { Sidecar } from './sidecar';
import { outageOf } from '../problem';

const BATCH = 100;
/** At most this many entities' publishes in flight at once. */
const PARALLEL = 16;

/** What the relay needs of the sidecar (a fake in unit tests). */
export type Publisher = Pick<Sidecar, 'publish'>;

/**
 * Publishes the outbox to Dapr pub/sub. Woken by NOTIFY on commit (low latency) and by a
 * periodic poll (a missed notification, a restart, a broker that was down). Each publish is
 * confirmed by RabbitMQ (publisherConfirm) before its row is marked. Events of different
 * entities (`entity_key`: a product, a SKU, a payment) go out in parallel; one entity's events
 * go out strictly one after another in `seq` order, and a failure stops that entity there: a
 * later event of it is neither sent nor marked while an earlier one is unpublished. Any failure
 * makes the relay mark what went out, back off and retry, so a broker outage delays events and
 * loses none.
 */
export class OutboxRelay {
  private listener?: pg.Client;
  private timer?: NodeJS.Timeout;
  private reconnectTimer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;
  private failures = 0;

  constructor(
    private readonly outbox: OutboxStore,
    private readonly schema: string,
    private readonly pubsub: string,
    private readonly sidecar: Publisher,
    private readonly pgConfig: PgConfig,
    private readonly logger: Logger,
    private readonly pollMs = 1000,
  ) {}

  async start(): Promise<void> {
    await this.listen();
    const tick = () => {
      if (this.stopped) return;
      this.kick();
      this.timer = setTimeout(tick, this.pollMs);
    };
    tick();
  }

  /**
   * LISTENs for commits on its own connection. A connection lost (PostgreSQL restarted) is made
   * again with back-off, and a drain runs once it is back; polling covers the gap meanwhile.
   */
  private async listen(): Promise<void> {
    const listener = new pg.Client({ ...this.pgConfig, application_name: `${this.schema}-outbox-relay` });
    this.listener = listener;
    let listening = false; // before that, a failure is listen()'s own (its caller retries)
    let lost = false;
    const reconnect = (err?: Error) => {
      if (!listening || lost || this.stopped) return;
      lost = true;
      this.logger.warn({ err: err?.message }, 'outbox listener connection lost; polling continues, reconnecting');
      listener.end().catch(() => undefined);
      void this.relisten(1);
    };
    listener.on('error', reconnect);
    listener.on('end', () => reconnect());
    listener.on('notification', () => this.kick());
    await listener.connect();
    await listener.query(`LISTEN ${outboxChannel(this.schema)}`);
    listening = true;
  }

  private async relisten(attempt: number): Promise<void> {
    await new Promise((resolve) => {
      this.reconnectTimer = setTimeout(resolve, Math.min(10_000, 250 * 2 ** attempt));
    });
    if (this.stopped) return;
    try {
      await this.listen();
      this.logger.info('outbox listener reconnected');
      this.kick();
    } catch {
      await this.listener?.end().catch(() => undefined);
      if (!this.stopped) await this.relisten(attempt + 1);
    }
  }

  /** Runs a drain now, or once more after the current one if one is running. */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drainAll().finally(() => {
      this.running = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** Drains until the outbox is empty (or stopped); throws the first publish failure after marking what went out. */
  async drainOnce(): Promise<void> {
    while (!this.stopped) {
      let failure: unknown;
      const sent = await this.outbox.drain(BATCH, async (events) => {
        const result = await publishInEntityOrder(events, (e) => this.sidecar.publish(this.pubsub, e.topic, e.payload), PARALLEL);
        failure = result.failure;
        return result.sent;
      });
      if (failure) throw failure;
      if (sent < BATCH) return;
    }
  }

  private async drainAll(): Promise<void> {
    try {
      await this.drainOnce();
      this.failures = 0;
    } catch (err) {
      this.failures += 1;
      const wait = Math.min(10_000, 100 * 2 ** this.failures);
      const outage = outageOf(err);
      // An outage (PostgreSQL or the sidecar gone) is expected to pass: its reason, not a stack.
      const what = outage ? { dependency: outage.dependency, reason: outage.reason, error: (err as Error).message } : { err };
      this.logger.warn({ ...what, retry_in_ms: wait }, 'outbox publish failed; will retry');
      await new Promise((resolve) => setTimeout(resolve, wait));
      if (!this.stopped) this.again = true;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.reconnectTimer);
    await this.running;
    await this.listener?.end().catch(() => undefined);
  }
}

/**
 * Publishes `events` (in `seq` order) keeping each entity's events in order: one lane per
 * entity, lanes run in parallel (at most `parallel` publishes in flight), each lane sends its
 * events one after another and stops at its first failure. Returns the ids confirmed, in the
 * events' order, and the first failure (if any). A failed entity's later events are not sent.
 */
export async function publishInEntityOrder(
  events: OutboxEvent[],
  publishOne: (event: OutboxEvent) => Promise<void>,
  parallel = PARALLEL,
): Promise<{ sent: string[]; failure?: unknown }> {
  const lanes = new Map<string, OutboxEvent[]>();
  for (const event of events) {
    const key = event.entity_key ?? event.id;
    const lane = lanes.get(key);
    if (lane) lane.push(event);
    else lanes.set(key, [event]);
  }
  const queue = [...lanes.values()];
  const confirmed = new Set<string>();
  let failure: unknown;
  const worker = async () => {
    for (let lane = queue.shift(); lane; lane = queue.shift()) {
      for (const event of lane) {
        try {
          await publishOne(event);
          confirmed.add(event.id);
        } catch (err) {
          failure ??= err;
          break; // the rest of this entity waits for the retry, in order
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, queue.length)) }, worker));
  return { sent: events.filter((e) => confirmed.has(e.id)).map((e) => e.id), failure };
}

/**
 * A service's outbox at start-up: the relay (stopped on shutdown) and an hourly prune of
 * published events. Every service that publishes events calls this once.
 */
export async function startOutbox(
  ctx: { sidecar: Sidecar; logger: Logger; onClose(hook: () => Promise<void>): void },
  outbox: OutboxStore,
  options: { schema: string; pubsub: string; pg: PgConfig },
): Promise<OutboxRelay> {
  const relay = new OutboxRelay(outbox, options.schema, options.pubsub, ctx.sidecar, options.pg, ctx.logger);
  await relay.start();
  ctx.onClose(() => relay.stop());
  const pruner = setInterval(() => void outbox.prune().catch((err) => ctx.logger.warn({ err }, 'outbox prune failed')), 3600_000);
  ctx.onClose(async () => clearInterval(pruner));
  return relay;
}
