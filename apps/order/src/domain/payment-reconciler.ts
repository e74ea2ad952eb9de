import type { Logger } from '../../../../kernel/logger';
import type { PaymentLookup } from '../../../../workflows/checkout/ports';

/** An order waiting for its payment, as the reconciler needs it. */
export interface AwaitingPayment {
  id: string;
  payment_id: string;
  workflow_run: number;
}

export interface ReconcilerPorts {
  /** Orders awaiting payment unchanged for at least `olderThanSeconds`, oldest first. */
  awaitingPayment(olderThanSeconds: number, limit: number): Promise<AwaitingPayment[]>;
  payments: PaymentLookup;
  /** Raises the outcome into the order's saga exactly as the payment event would. */
  raise(order: AwaitingPayment, outcome: { status: 'succeeded' | 'failed'; payment_id: string; detail?: string; attempt_key?: string }): Promise<void>;
}

export interface ReconcilerOptions {
  /** How long an order waits for its payment event before the payment service is asked. */
  afterSeconds: number;
  /** The longest gap between two questions about one order (the gap doubles from afterSeconds). */
  maxGapSeconds: number;
  /** Orders looked at per pass. */
  batch?: number;
}

/**
 * Payment reconciliation. A saga learns its payment's outcome from the payment service's event
 * (outbox → RabbitMQ → the order's subscription). Should that event never reach it — lost
 * between broker and consumer, parked, or taken by a run that died — the order would wait for
 * its payment timeout with the customer's money taken. So the recovery sweep asks the payment
 * service, which owns the fact, about orders awaiting payment for a while, and raises a known
 * outcome into the saga as the event would; a duplicate is harmless (the saga takes the first
 * payment event and ignores the rest). Each order is asked at doubling intervals up to
 * `maxGapSeconds`, so an abandoned checkout costs a handful of reads over its payment timeout.
 * The schedule is per process: a restart asks once more, which is cheap.
 */
export class PaymentReconciler {
  private readonly schedule = new Map<string, { at: number; gapMs: number }>();

  constructor(
    private readonly ports: ReconcilerPorts,
    private readonly options: ReconcilerOptions,
    private readonly logger: Logger,
  ) {}

  /** One pass; returns how many outcomes it raised. A payment service that cannot be asked is asked at the next pass. */
  async pass(now = Date.now()): Promise<number> {
    const waiting = await this.ports.awaitingPayment(this.options.afterSeconds, this.options.batch ?? 200);
    const ids = new Set(waiting.map((o) => o.id));
    // An order no longer awaiting payment (or past this batch) starts a fresh schedule if it comes back.
    for (const id of this.schedule.keys()) if (!ids.has(id)) this.schedule.delete(id);
    let raised = 0;
    for (const order of waiting) {
      const due = this.schedule.get(order.id);
      if (due && due.at > now) continue;
      const gapMs = Math.min(this.options.maxGapSeconds * 1000, due ? due.gapMs * 2 : this.options.afterSeconds * 1000);
      this.schedule.set(order.id, { at: now + gapMs, gapMs });
      let outcome: 'succeeded' | 'failed' | 'pending';
      let attemptKey: string | null;
      try {
        ({ outcome, attempt_key: attemptKey } = await this.ports.payments.recorded(order.payment_id));
      } catch (err) {
        this.schedule.delete(order.id);
        this.logger.info({ err, order_id: order.id }, 'payment reconciliation could not ask the payment service; next pass');
        return raised;
      }
      if (outcome === 'pending') continue;
      try {
        // The attempt key lets the saga count a decline it already has (an order awaiting another card is asked again and again) once.
        await this.ports.raise(order, { status: outcome, payment_id: order.payment_id, detail: outcome === 'failed' ? 'The card was declined.' : undefined, ...(attemptKey ? { attempt_key: attemptKey } : {}) });
      } catch (err) {
        // No such instance (a run that died: the stalled-saga pass re-runs it, and the re-run asks itself) or the engine away.
        this.logger.info({ err, order_id: order.id }, 'payment reconciliation could not raise the outcome; next pass');
        this.schedule.delete(order.id);
        continue;
      }
      this.logger.warn({ order_id: order.id, payment_id: order.payment_id, outcome }, 'payment outcome reconciled from the payment service (its event had not arrived)');
      raised += 1;
    }
    return raised;
  }
}
