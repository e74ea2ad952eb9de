import type pg from 'pg';
import type { Logger } from '../../../../kernel/logger';
import type { OrderConfig } from '../config';
import type { Checkout } from './checkout';
import type { ReversalRunner } from './reversal-runner';
import type { PaymentReconciler } from './payment-reconciler';

/**
 * Runs the checkout recovery sweep every `recoveryIntervalMs`, on one replica at a time (a
 * PostgreSQL advisory lock that is only tried, never waited for): sagas that never started or
 * died, and reversals (cancels after payment, refunds, returns) with a step still due — after
 * a failed step or a crash mid-way, they resume from the step they were at — and orders awaiting
 * a payment whose event has not come (payment-reconciler.ts). Returns the stop hook.
 */
export function startRecovery(
  pool: pg.Pool,
  checkout: Checkout,
  config: OrderConfig,
  logger: Logger,
  reversals?: ReversalRunner,
  reconciler?: PaymentReconciler,
): () => Promise<void> {
  let running: Promise<void> | undefined;
  const sweep = async () => {
    const client = await pool.connect();
    try {
      const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock(hashtext('order-checkout-recovery')) AS locked");
      if (!rows[0]?.locked) return;
      try {
        // Each pass on its own: a saga that cannot be checked does not hold up a refund, nor the other way round.
        await Promise.all([
          checkout.recover(config.stalledAfterSeconds).then(({ started, restarted, cancels }) => {
            if (started || restarted || cancels) logger.warn({ started, restarted, cancels }, 'checkout recovery ran sagas');
          }, (err: unknown) => logger.error({ err }, 'checkout recovery sweep failed')),
          reversals?.resume().then(({ resumed, completed }) => {
            if (resumed) logger.warn({ resumed, completed }, 'recovery resumed reversals');
          }, (err: unknown) => logger.error({ err }, 'reversal sweep failed')),
          reconciler?.pass().catch((err: unknown) => logger.error({ err }, 'payment reconciliation failed')),
        ]);
      } finally {
        await client.query("SELECT pg_advisory_unlock(hashtext('order-checkout-recovery'))");
      }
    } catch (err) {
      logger.error({ err }, 'checkout recovery sweep failed');
    } finally {
      client.release();
    }
  };
  const timer = setInterval(() => {
    running ??= sweep().finally(() => {
      running = undefined;
    });
  }, config.recoveryIntervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
