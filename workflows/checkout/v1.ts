/**
 * Version 1 of the checkout saga, registered as `checkout`: kept unchanged so that orders that
 * started on it replay on the code that started them (contract.ts, versioning rule). Delete it
 * once no order runs on it; new orders start on checkout.v2 (v2.ts).
 *
 * The checkout saga as a Dapr workflow (instance id = order id). Deterministic: it reads only
 * its input and what activities, events and timers return; every side effect is an activity,
 * and every activity is idempotent by order id, so replays and re-runs are harmless.
 *
 *   reserve stock → redeem promotions → open the payment (the order is now awaiting_payment)
 *   → wait for the payment event, a cancel, or the timeout → commit the stock, paid.
 *
 * Whatever goes wrong, it compensates in reverse (cancel or refund the payment, give back the
 * coupons, release the stock) and ends the order failed or cancelled with the reason: no
 * order is left in between.
 */
import type { WorkflowContext } from '@dapr/dapr';
import {
  ACTIVITIES as A,
  type FailureReason,
  EVENTS,
  type CancelPaymentOutcome,
  type CheckoutInput,
  type Ending,
  type PaymentEvent,
  type PaymentCheckOutcome,
  type PaymentOutcome,
  type RedeemOutcome,
  type Refusal,
  type ReserveOutcome,
  type SettleOutcome,
  type Totals,
} from './contract';
import { COMPENSATION, FORWARD, StepUnavailable, withRetry } from './retry';

/**
 * What the order holds while the saga runs; compensation gives back exactly this. A payment is
 * `stopped` once its intent was cancelled on the way (cancel or timeout): compensation then
 * need not cancel it a second time.
 */
type Held = { stock: boolean; promotions: boolean; payment?: { payment_id: string; paid: boolean; stopped?: boolean } };
type Outcome = { status: Ending['status']; reason?: FailureReason; detail?: string };

export const checkout = async function* checkout(ctx: WorkflowContext, input: CheckoutInput): AsyncGenerator<unknown, Ending, any> {
  const held: Held = { stock: false, promotions: false };
  let outcome: Outcome;
  try {
    outcome = yield* forward(ctx, input, held);
  } catch (err) {
    const reason: FailureReason = err instanceof StepUnavailable ? 'service_unavailable' : 'internal_error';
    outcome = { status: 'failed', reason, detail: err instanceof Error ? err.message : String(err) };
  }
  const compensated = outcome.status === 'paid' ? [] : yield* compensate(ctx, input, held);
  const ending: Ending = { order_id: input.order_id, ...outcome, compensated };
  if (outcome.status !== 'paid') yield* withRetry(ctx, A.finish, ending, COMPENSATION);
  return ending;
};

async function* forward(ctx: WorkflowContext, input: CheckoutInput, held: Held): AsyncGenerator<unknown, Outcome, any> {
  const { order_id, user_id, currency } = input;
  // Marked held before the call: a refusal part-way (or a lost answer) may still hold some lines.
  held.stock = true;
  const reserved: ReserveOutcome = yield* withRetry(ctx, A.reserveStock, { order_id, reservations: input.reservations, ttl_seconds: input.reservation_ttl_seconds }, FORWARD);
  if (!reserved.ok) return refused(reserved);

  held.promotions = true;
  const redeemed: RedeemOutcome = yield* withRetry(ctx, A.redeemPromotions, { order_id, user_id, currency, items: input.items, coupon_codes: input.coupon_codes, shipping_minor: input.shipping_minor }, FORWARD);
  if (!redeemed.ok) return refused(redeemed);
  const totals: Totals = { subtotal_minor: redeemed.subtotal_minor, discount_minor: redeemed.discount_minor, shipping_minor: redeemed.shipping_minor, total_minor: redeemed.total_minor, discounts: redeemed.discounts };

  if (totals.total_minor === 0) return yield* settle(ctx, input, totals, held);

  const payment: PaymentOutcome = yield* withRetry(ctx, A.openPayment, { order_id, user_id, currency, totals }, FORWARD);
  if (!payment.ok) return refused(payment);
  held.payment = { payment_id: payment.payment_id, paid: false };

  // A re-run (instance `<order>~<run>`, started by the recovery sweep after a run died) may wait
  // for a payment event the dead run already took: it asks the payment service first and, if the
  // payment has an outcome, goes on as if its event had arrived. Only re-runs take this step, so a
  // first run in flight when it shipped replays unchanged; a re-run in flight then (waiting for its
  // payment) fails to replay (a new activity where its history has its timer), and the sweep runs
  // it again. A check that cannot be made just waits for the event, as before.
  if (ctx.getWorkflowInstanceId() !== order_id) {
    let known: PaymentCheckOutcome['outcome'] = 'pending';
    try {
      known = ((yield* withRetry(ctx, A.checkPayment, { payment_id: payment.payment_id }, FORWARD)) as PaymentCheckOutcome).outcome;
    } catch {
      // out of attempts: the payment event (or the timeout) decides
    }
    if (known === 'succeeded') {
      held.payment.paid = true;
      return yield* settle(ctx, input, totals, held);
    }
    if (known === 'failed') return { status: 'failed', reason: 'payment_declined', detail: 'The payment failed.' };
  }

  // One task per event name, created once: a second wait on the same name would queue behind the first.
  const paid = ctx.waitForExternalEvent(EVENTS.payment);
  const cancelled = ctx.waitForExternalEvent(EVENTS.cancel);
  const timeout = ctx.createTimer(input.payment_timeout_seconds);
  const winner = yield ctx.whenAny([paid, cancelled, timeout]);

  if (winner === paid) {
    const event = paid.getResult() as PaymentEvent;
    if (event.status === 'succeeded') {
      held.payment.paid = true;
      return yield* settle(ctx, input, totals, held);
    }
    return { status: 'failed', reason: 'payment_declined', detail: event.detail ?? 'The payment failed.' };
  }
  // Cancel or timeout: stop the payment first. If it went through meanwhile, the order is paid after all.
  const stopped: CancelPaymentOutcome = yield* withRetry(ctx, A.cancelPayment, { payment_id: payment.payment_id }, COMPENSATION);
  if (stopped.outcome === 'already_succeeded') {
    held.payment.paid = true;
    return yield* settle(ctx, input, totals, held);
  }
  held.payment.stopped = true;
  if (winner === cancelled) return { status: 'cancelled', detail: `Cancelled by ${(cancelled.getResult() as { by?: string })?.by ?? 'the customer'} before payment.` };
  return { status: 'failed', reason: 'payment_timeout', detail: `No payment within ${input.payment_timeout_seconds} s.` };
}

async function* settle(ctx: WorkflowContext, input: CheckoutInput, totals: Totals, held: Held): AsyncGenerator<unknown, Outcome, any> {
  // The compensation budget (hours), not the forward one: after a payment, a brief outage must not
  // refund a paid order. (An in-flight settle past its sixth failed attempt when this shipped would
  // replay a timer where its history has compensation, fail, and be run again by the sweep.)
  const settled: SettleOutcome = yield* withRetry(ctx, A.settle, { order_id: input.order_id, reservations: input.reservations, totals }, COMPENSATION);
  if (!settled.ok) return refused(settled);
  return { status: 'paid' };
}

function refused(refusal: Refusal): Outcome {
  return { status: 'failed', reason: refusal.reason, detail: refusal.detail };
}

/** Gives back what the order holds, newest first. Returns what was undone. */
async function* compensate(ctx: WorkflowContext, input: CheckoutInput, held: Held): AsyncGenerator<unknown, string[], any> {
  const undone: string[] = [];
  const attempt = async function* (label: string, activity: string, args: unknown): AsyncGenerator<unknown, void, any> {
    try {
      yield* withRetry(ctx, activity, args, COMPENSATION);
      undone.push(label);
    } catch {
      // Out of attempts (hours): recorded on the order; reservations still expire by their TTL.
      undone.push(`${label}:gave_up`);
    }
  };
  if (held.payment) {
    if (held.payment.paid) yield* attempt('payment_refunded', A.refundPayment, { payment_id: held.payment.payment_id });
    else if (held.payment.stopped) undone.push('payment_cancelled');
    else {
      try {
        const stopped: CancelPaymentOutcome = yield* withRetry(ctx, A.cancelPayment, { payment_id: held.payment.payment_id }, COMPENSATION);
        if (stopped.outcome === 'already_succeeded') yield* attempt('payment_refunded', A.refundPayment, { payment_id: held.payment.payment_id });
        else undone.push('payment_cancelled');
      } catch {
        undone.push('payment_cancelled:gave_up');
      }
    }
  }
  if (held.promotions) yield* attempt('promotions_released', A.releasePromotions, { order_id: input.order_id });
  if (held.stock) yield* attempt('stock_released', A.releaseStock, { order_id: input.order_id, reservations: input.reservations });
  return undone;
}
