import pg from 'pg';
import type { Logger } from '../logger';
import type { PgConfig } from '../config';
import { outboxChannel, type OutboxEvent, type OutboxStore } from '../store/outbox';
import type { Sidecar } from './sidecar';

const BATCH = 100;
const PARALLEL = 16;

/**
 * Publishes the outbox to Dapr pub/sub. Woken by NOTIFY on commit (low latency) and by a
 * periodic poll (a missed notification, a restart, a broker that was down). Each publish is
 * confirmed by RabbitMQ (publisherConfirm) before its row is marked; a failure stops the batch
 * and the relay retries with back-off, so a broker outage delays events and loses none.
 */
export class OutboxRelay {
  private listener?: pg.Client;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;
  private failures = 0;

  constructor(
    private readonly outbox: OutboxStore,
    private readonly schema: string,
    private readonly pubsub: string,
    private readonly sidecar: Sidecar,
    private readonly pgConfig: PgConfig,
    private readonly logger: Logger,
    private readonly pollMs = 1000,
  ) {}

  async start(): Promise<void> {
    this.listener = new pg.Client({ ...this.pgConfig, application_name: `${this.schema}-outbox-relay` });
    this.listener.on('error', (err) => this.logger.warn({ err }, 'outbox listener connection failed; polling continues'));
    this.listener.on('notification', () => this.kick());
    await this.listener.connect();
    await this.listener.query(`LISTEN ${outboxChannel(this.schema)}`);
    const tick = () => {
      if (this.stopped) return;
      this.kick();
      this.timer = setTimeout(tick, this.pollMs);
    };
    tick();
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

  private async drainAll(): Promise<void> {
    try {
      while (!this.stopped && (await this.outbox.drain(BATCH, (events) => this.publish(events))) === BATCH);
      this.failures = 0;
    } catch (err) {
      this.failures += 1;
      const wait = Math.min(10_000, 100 * 2 ** this.failures);
      this.logger.warn({ err, retry_in_ms: wait }, 'outbox publish failed; will retry');
      await new Promise((resolve) => setTimeout(resolve, wait));
      if (!this.stopped) this.again = true;
    }
  }

  /** Publishes in parallel chunks; returns the ids the broker confirmed, in order, up to the first failure. */
  private async publish(events: OutboxEvent[]): Promise<string[]> {
    const sent: string[] = [];
    for (let i = 0; i < events.length; i += PARALLEL) {
      const chunk = events.slice(i, i + PARALLEL);
      const results = await Promise.allSettled(chunk.map((e) => this.sidecar.publish(this.pubsub, e.topic, e.payload)));
      for (const [j, result] of results.entries()) {
        if (result.status === 'fulfilled') sent.push(chunk[j]!.id);
      }
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) {
        if (sent.length) return sent; // mark what went out; the rest is retried
        throw (failed as PromiseRejectedResult).reason;
      }
    }
    return sent;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.listener?.end().catch(() => undefined);
  }
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
