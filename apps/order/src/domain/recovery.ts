import type pg from 'pg';
import type { Logger } from '../../../../kernel/logger';
import type { OrderConfig } from '../config';
import type { Checkout } from './checkout';

/**
 * Runs the checkout recovery sweep every `recoveryIntervalMs`, on one replica at a time (a
 * PostgreSQL advisory lock that is only tried, never waited for). Returns the stop hook.
 */
export function startRecovery(pool: pg.Pool, checkout: Checkout, config: OrderConfig, logger: Logger): () => Promise<void> {
  let running: Promise<void> | undefined;
  const sweep = async () => {
    const client = await pool.connect();
    try {
      const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock(hashtext('order-checkout-recovery')) AS locked");
      if (!rows[0]?.locked) return;
      try {
        const { started, restarted } = await checkout.recover(config.stalledAfterSeconds);
        if (started || restarted) logger.warn({ started, restarted }, 'checkout recovery ran sagas');
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
