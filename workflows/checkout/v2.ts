/**
 * The checkout saga, version 2 (`checkout.v2`; instance id = order id, `<id>~<run>` for a re-run):
 *
 *   reserve stock → redeem promotions → open the payment (the order is awaiting_payment)
 *   → wait for the payment event, a cancel, or the timeout → settle (commit the stock, paid).
 *   A zero total settles without a payment.
 *
 * On any refusal, or a step out of attempts: compensate (what the steps registered, newest
 * first: steps.ts) and finish the order failed or cancelled with the reason. Deterministic: it
 * reads only its input, its instance id and what activities, events and timers return.
 * Changing the sequence of its yields is a new version (contract.ts, versioning rule).
 */
import type { WorkflowContext } from '@dapr/dapr';
import { EVENTS, type CheckoutInput, type Ending, type FailureReason, type PaymentEvent, type Refusal, type Totals } from './contract';
import { StepUnavailable } from './retry';
import { Saga } from './saga';
import { STEPS as S } from './steps';

export type Outcome = { status: Ending['status']; reason?: FailureReason; detail?: string };

export const checkoutV2 = async function* checkoutV2(ctx: WorkflowContext, input: CheckoutInput): AsyncGenerator<unknown, Ending, any> {
  const saga = new Saga(ctx);
  let outcome: Outcome;
  try {
    outcome = yield* forward(ctx, saga, input);
  } catch (err) {
    const reason: FailureReason = err instanceof StepUnavailable ? 'service_unavailable' : 'internal_error';
    outcome = { status: 'failed', reason, detail: err instanceof Error ? err.message : String(err) };
  }
  if (outcome.status === 'paid') return { order_id: input.order_id, ...outcome, compensated: [] };
  const ending: Ending = { order_id: input.order_id, ...outcome, compensated: yield* saga.compensate() };
  yield* saga.run(S.finish, ending);
  return ending;
};

async function* forward(ctx: WorkflowContext, saga: Saga, input: CheckoutInput): AsyncGenerator<unknown, Outcome, any> {
  const { order_id, user_id, currency } = input;
  const reserved = yield* saga.run(S.reserveStock, { order_id, reservations: input.reservations, ttl_seconds: input.reservation_ttl_seconds });
  if (!reserved.ok) return refused(reserved);

  const redeemed = yield* saga.run(S.redeemPromotions, { order_id, user_id, currency, items: input.items, coupon_codes: input.coupon_codes, shipping_minor: input.shipping_minor });
  if (!redeemed.ok) return refused(redeemed);
  const totals: Totals = { subtotal_minor: redeemed.subtotal_minor, discount_minor: redeemed.discount_minor, shipping_minor: redeemed.shipping_minor, total_minor: redeemed.total_minor, discounts: redeemed.discounts };
  if (totals.total_minor === 0) return yield* settle(saga, input, totals);

  const payment = yield* saga.run(S.openPayment, { order_id, user_id, currency, totals });
  if (!payment.ok) return refused(payment);
  const paid = yield* awaitPayment(ctx, saga, input, payment.payment_id);
  return paid.status === 'paid' ? yield* settle(saga, input, totals) : paid;
}

/** `paid` when the payment succeeded, else how the order ends (the payment compensation stops it). */
async function* awaitPayment(ctx: WorkflowContext, saga: Saga, input: CheckoutInput, payment_id: string): AsyncGenerator<unknown, Outcome, any> {
  // A re-run may wait for a payment event its dead run already took: it asks first, and goes on
  // as if the event had arrived when the payment has an outcome. One that cannot be made waits.
  if (ctx.getWorkflowInstanceId() !== input.order_id) {
    let known = 'pending';
    try {
      known = (yield* saga.run(S.checkPayment, { payment_id })).outcome;
    } catch {
      // out of attempts: the payment event (or the timeout) decides
    }
    if (known === 'succeeded') return { status: 'paid' };
    if (known === 'failed') return { status: 'failed', reason: 'payment_declined', detail: 'The payment failed.' };
  }

  // One task per event name, created once: a second wait on the same name would queue behind the first.
  const event = ctx.waitForExternalEvent(EVENTS.payment);
  const cancelled = ctx.waitForExternalEvent(EVENTS.cancel);
  const timeout = ctx.createTimer(input.payment_timeout_seconds);
  const winner = yield ctx.whenAny([event, cancelled, timeout]);
  if (winner === event) {
    const e = event.getResult() as PaymentEvent;
    return e.status === 'succeeded' ? { status: 'paid' } : { status: 'failed', reason: 'payment_declined', detail: e.detail ?? 'The payment failed.' };
  }

  // Cancel or timeout: stop the payment first; if it went through meanwhile, the order is paid
  // after all. A payment stopped here is voided again by the compensation, on purpose: a cancel
  // of a canceled payment is a 200 read of the payment service's row (no Stripe call), and the
  // compensation list stays what the steps declared, with no state kept beside it.
  const stopped = yield* saga.run(S.stopPayment, { payment_id });
  if (stopped.outcome === 'already_succeeded') return { status: 'paid' };
  if (winner === cancelled) return { status: 'cancelled', detail: `Cancelled by ${(cancelled.getResult() as { by?: string })?.by ?? 'the customer'} before payment.` };
  return { status: 'failed', reason: 'payment_timeout', detail: `No payment within ${input.payment_timeout_seconds} s.` };
}

export async function* settle(saga: Saga, input: CheckoutInput, totals: Totals): AsyncGenerator<unknown, Outcome, any> {
  const settled = yield* saga.run(S.settle, { order_id: input.order_id, reservations: input.reservations, totals });
  return settled.ok ? { status: 'paid' } : refused(settled);
}

export function refused(refusal: Refusal): Outcome {
  return { status: 'failed', reason: refusal.reason, detail: refusal.detail };
}
