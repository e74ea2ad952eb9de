/**
 * Runs reversals (domain/reversal.ts) step by step: refund → restock each SKU → release the
 * coupons → complete (the order moves, e.g. cancelling → cancelled). Every step is idempotent
 * at its owner (a refund per payment, a return per SKU and order, a release per order) and is
 * recorded on the reversal once done, so a run that stops anywhere — a refusal, a service
 * down, the process killed — resumes where it was: the request that opened it runs it at once,
 * and the recovery sweep (one replica, `ORDER_RECOVERY_INTERVAL_MS`) runs every open reversal
 * whose next attempt is due. One runner at a time holds a reversal (a lease, not a lock held
 * across the calls).
 */
import type { Sidecar } from '../../../../kernel/dapr/sidecar';
import type { Logger } from '../../../../kernel/logger';
import type { OrderRow, OrderStore } from '../store/orders';
import { nextStep, type Reversal } from './reversal';
import { refundPayment } from '../../../payment/src/client';

/** How long one runner may hold a reversal before another may take it over. */
const LEASE_MS = 30_000;
const seg = (s: string) => encodeURIComponent(s);

export type RunResult = { done: true; order: OrderRow | undefined } | { done: false; reason: string };

export class ReversalRunner {
  constructor(
    private readonly orders: OrderStore,
    private readonly sidecar: Sidecar,
    private readonly logger: Logger,
  ) {}

  /** Runs one reversal as far as it goes now. Never throws for a failed step: it is recorded and retried later. */
  async run(id: string): Promise<RunResult> {
    let r = await this.orders.claimReversal(id, LEASE_MS);
    if (!r) {
      const now = await this.orders.reversal(id);
      if (now?.completed_at) return { done: true, order: await this.orders.byId(now.order_id) };
      return { done: false, reason: 'held by another runner' };
    }
    for (;;) {
      const step = nextStep(r);
      try {
        if (step.step === 'complete') return { done: true, order: await this.orders.completeReversal(r.id) };
        if (step.step === 'refund') {
          await refundPayment(this.sidecar, r.payment_id!, r.amount_minor);
          await this.orders.reversalStepDone(r.id, 'refund');
        } else if (step.step === 'restock') {
          await this.sidecar.invokeJson('inventory', `/internal/inventory/${seg(step.sku)}/returns`, { method: 'POST', body: JSON.stringify({ order_id: r.order_id, quantity: step.quantity }) });
          await this.orders.reversalStepDone(r.id, 'restock', step.sku);
        } else {
          await this.sidecar.invokeJson('promotions', '/internal/promotions/release', { method: 'POST', body: JSON.stringify({ order_id: r.order_id }) });
          await this.orders.reversalStepDone(r.id, 'release_promotions');
        }
      } catch (err) {
        const reason = `${step.step}${'sku' in step ? ` ${step.sku}` : ''}: ${err instanceof Error ? err.message : String(err)}`;
        this.logger.warn({ err, order_id: r.order_id, reversal_id: r.id, step: step.step }, 'a reversal step failed; it is retried');
        await this.orders.reversalFailed(r.id, reason).catch((e: unknown) => this.logger.error({ err: e, reversal_id: r!.id }, 'could not record a failed reversal step'));
        return { done: false, reason };
      }
      r = (await this.orders.reversal(r.id)) as Reversal;
    }
  }

  /**
   * Runs a reversal for a request, within `budgetMs` (below the gateway's 10 s, so the caller
   * never gets a 504): when it is done the order is answered as it ends (cancelled, refunded);
   * when another runner holds it, that one is waited for within the budget; when the budget runs
   * out first, the run goes on in the background (it holds the lease) and the caller gets the
   * order still under way.
   */
  async runAndWait(reversal: Reversal, budgetMs = 6_000): Promise<{ done: boolean; order: OrderRow | undefined }> {
    if (reversal.completed_at) return { done: true, order: await this.orders.byId(reversal.order_id) };
    const deadline = Date.now() + budgetMs;
    const running = this.run(reversal.id).catch((err: unknown): RunResult => {
      this.logger.error({ err, reversal_id: reversal.id }, 'a reversal could not be run now; the sweep resumes it');
      return { done: false, reason: 'error' };
    });
    let timer: NodeJS.Timeout | undefined;
    const outOfTime = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), budgetMs);
    });
    const result = await Promise.race([running, outOfTime]);
    clearTimeout(timer);
    if (result?.done) return { done: true, order: result.order ?? (await this.orders.byId(reversal.order_id)) };
    if (result?.reason === 'held by another runner') {
      while (Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const now = await this.orders.reversal(reversal.id);
        if (now?.completed_at) return { done: true, order: await this.orders.byId(reversal.order_id) };
      }
    }
    return { done: false, order: await this.orders.byId(reversal.order_id) };
  }

  /** One pass of the sweep: every open reversal that is due. */
  async resume(): Promise<{ resumed: number; completed: number }> {
    let resumed = 0;
    let completed = 0;
    for (const id of await this.orders.reversalsDue()) {
      resumed += 1;
      if ((await this.run(id)).done) completed += 1;
    }
    return { resumed, completed };
  }
}
