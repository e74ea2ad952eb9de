/**
 * The checkout saga, version 3 (`checkout.v3`), what new orders run. Over v2 it adds:
 *
 *   - **payment attempts**: a declined card leaves the order awaiting payment; the customer
 *     confirms the same PaymentIntent again with another card (Stripe's recommended retry), and
 *     each decline is written on the order, until `payment_max_attempts` declines, a cancel or
 *     the payment timeout (one timer for the whole wait, not one per attempt);
 *   - **the cart**: an order placed from a cart keeps it held while the saga runs (holdCart,
 *     compensated by releaseCart: the shopper gets the lines back if the order does not go
 *     through) and empties the ordered lines once paid (emptyCart).
 *
 * Everything else is v2's (its settle and refusal). Deterministic; a change to its sequence of
 * yields is a new version (contract.ts, versioning rule; v3.trace.json holds it).
 */
import type { WorkflowContext } from '@dapr/dapr';
import { EVENTS, type CheckoutInput, type Ending, type FailureReason, type PaymentEvent } from './contract';
import { StepUnavailable } from './retry';
import { Saga } from './saga';
import { STEPS as S } from './steps';
import { refused, settle, type Outcome } from './v2';

export const checkoutV3 = async function* checkoutV3(ctx: WorkflowContext, input: CheckoutInput): AsyncGenerator<unknown, Ending, any> {
  const saga = new Saga(ctx);
  let outcome: Outcome;
  try {
    outcome = yield* forward(ctx, saga, input);
  } catch (err) {
    const reason: FailureReason = err instanceof StepUnavailable ? 'service_unavailable' : 'internal_error';
    outcome = { status: 'failed', reason, detail: err instanceof Error ? err.message : String(err) };
  }
  if (outcome.status === 'paid') {
    if (input.cart) {
      try {
        yield* saga.run(S.emptyCart, { cart_id: input.cart.cart_id, order_id: input.order_id, lines: input.reservations });
      } catch {
        // Out of attempts: the order is paid all the same; the lines stay in the cart for the shopper to clear.
      }
    }
    return { order_id: input.order_id, ...outcome, compensated: [] };
  }
  const ending: Ending = { order_id: input.order_id, ...outcome, compensated: yield* saga.compensate() };
  yield* saga.run(S.finish, ending);
  return ending;
};

async function* forward(ctx: WorkflowContext, saga: Saga, input: CheckoutInput): AsyncGenerator<unknown, Outcome, any> {
  const { order_id, user_id, currency } = input;
  if (input.cart) {
    try {
      yield* saga.run(S.holdCart, { cart_id: input.cart.cart_id, order_id, hold_seconds: input.payment_timeout_seconds + input.reservation_ttl_seconds });
    } catch {
      // The cart service is out of attempts: the hold placed with the order stands (it lapses by itself).
    }
  }
  const reserved = yield* saga.run(S.reserveStock, { order_id, reservations: input.reservations, ttl_seconds: input.reservation_ttl_seconds });
  if (!reserved.ok) return refused(reserved);

  const redeemed = yield* saga.run(S.redeemPromotions, { order_id, user_id, currency, items: input.items, coupon_codes: input.coupon_codes, shipping_minor: input.shipping_minor });
  if (!redeemed.ok) return refused(redeemed);
  const totals = { subtotal_minor: redeemed.subtotal_minor, discount_minor: redeemed.discount_minor, shipping_minor: redeemed.shipping_minor, total_minor: redeemed.total_minor, discounts: redeemed.discounts };
  if (totals.total_minor === 0) return yield* settle(saga, input, totals);

  const payment = yield* saga.run(S.openPayment, { order_id, user_id, currency, totals });
  if (!payment.ok) return refused(payment);
  const paid = yield* awaitPayment(ctx, saga, input, payment.payment_id);
  return paid.status === 'paid' ? yield* settle(saga, input, totals) : paid;
}

/** `paid` once a payment attempt succeeds, else how the order ends (the payment compensation stops it). */
export async function* awaitPayment(ctx: WorkflowContext, saga: Saga, input: CheckoutInput, payment_id: string): AsyncGenerator<unknown, Outcome, any> {
  const maxAttempts = Math.max(1, input.payment_max_attempts ?? 1);
  let declines = 0;
  // A re-run asks first (its dead run may have taken the event). A payment whose last attempt
  // was declined counts one decline: the customer may still try another card.
  if (ctx.getWorkflowInstanceId() !== input.order_id) {
    let known = 'pending';
    try {
      known = (yield* saga.run(S.checkPayment, { payment_id })).outcome;
    } catch {
      // out of attempts: the payment event (or the timeout) decides
    }
    if (known === 'succeeded') return { status: 'paid' };
    if (known === 'failed') declines = 1;
    if (declines >= maxAttempts) return { status: 'failed', reason: 'payment_declined', detail: 'The payment failed.' };
  }

  // One cancel task and one timer for the whole wait; a new payment task per attempt (each takes the next event of that name).
  const cancelled = ctx.waitForExternalEvent(EVENTS.cancel);
  const timeout = ctx.createTimer(input.payment_timeout_seconds);
  const counted: string[] = [];
  for (;;) {
    const event = ctx.waitForExternalEvent(EVENTS.payment);
    const winner = yield ctx.whenAny([event, cancelled, timeout]);
    if (winner === event) {
      const e = event.getResult() as PaymentEvent;
      if (e.status === 'succeeded') return { status: 'paid' };
      // A redelivered decline (the same state of the payment record) is counted once.
      if (e.attempt_key && counted.includes(e.attempt_key)) continue;
      if (e.attempt_key) counted.push(e.attempt_key);
      declines += 1;
      const detail = e.detail ?? 'The payment failed.';
      try {
        yield* saga.run(S.recordDecline, { order_id: input.order_id, payment_id, attempt: declines, max_attempts: maxAttempts, detail });
      } catch {
        // The order's history misses this line; the attempts still count.
      }
      if (declines >= maxAttempts) return { status: 'failed', reason: 'payment_declined', detail };
      continue;
    }
    // Cancel or timeout: stop the payment first; if it went through meanwhile, the order is paid after all (as v2).
    const stopped = yield* saga.run(S.stopPayment, { payment_id });
    if (stopped.outcome === 'already_succeeded') return { status: 'paid' };
    if (winner === cancelled) return { status: 'cancelled', detail: `Cancelled by ${(cancelled.getResult() as { by?: string })?.by ?? 'the customer'} before payment.` };
    return { status: 'failed', reason: 'payment_timeout', detail: `No payment within ${input.payment_timeout_seconds} s.` };
  }
}
