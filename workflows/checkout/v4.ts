/**
 * The checkout saga, version 4 (`checkout.v4`), what new orders run. The same order of side
 * effects and the same guarantees as v3, in fewer workflow turns (each turn in Dapr 1.18 costs
 * state-store commits and Scheduler round trips; see docs/ARCHITECTURE.md):
 *
 *   prepare (hold the cart, reserve the stock, redeem the promotions, open the payment: the
 *   order is awaiting_payment) → wait for the payment (v3's attempts, cancel, timeout) → settle
 *   (commit the stock, paid, empty the cart).
 *
 * Three turns to paid where v3 takes seven. prepare's one compensation (unwind) undoes each part
 * it reached, newest first. Everything after the payment opens is v3's. Deterministic; a change
 * to its sequence of yields is a new version (contract.ts, versioning rule; v4.trace.json).
 */
import type { WorkflowContext } from '@dapr/dapr';
import type { CheckoutInput, Ending, FailureReason, Totals } from './contract';
import { StepUnavailable } from './retry';
import { Saga } from './saga';
import { STEPS as S, STEPS_V4 as S4 } from './steps';
import { refused, type Outcome } from './v2';
import { awaitPayment } from './v3';

type Forward = Outcome & { cart_left?: boolean };

export const checkoutV4 = async function* checkoutV4(ctx: WorkflowContext, input: CheckoutInput): AsyncGenerator<unknown, Ending, any> {
  const saga = new Saga(ctx);
  let outcome: Forward;
  try {
    outcome = yield* forward(ctx, saga, input);
  } catch (err) {
    const reason: FailureReason = err instanceof StepUnavailable ? 'service_unavailable' : 'internal_error';
    outcome = { status: 'failed', reason, detail: err instanceof Error ? err.message : String(err) };
  }
  const { cart_left, ...ended } = outcome;
  if (ended.status === 'paid') {
    if (cart_left && input.cart) {
      try {
        yield* saga.run(S.emptyCart, { cart_id: input.cart.cart_id, order_id: input.order_id, lines: input.reservations });
      } catch {
        // Out of attempts: the order is paid all the same; the lines stay in the cart for the shopper to clear.
      }
    }
    return { order_id: input.order_id, ...ended, compensated: [] };
  }
  const ending: Ending = { order_id: input.order_id, ...ended, compensated: yield* saga.compensate() };
  yield* saga.run(S.finish, ending);
  return ending;
};

async function* forward(ctx: WorkflowContext, saga: Saga, input: CheckoutInput): AsyncGenerator<unknown, Forward, any> {
  const { order_id, user_id, currency } = input;
  const prepared = yield* saga.run(S4.prepare, {
    order_id, user_id, currency, reservations: input.reservations, items: input.items, coupon_codes: input.coupon_codes, shipping_minor: input.shipping_minor,
    ttl_seconds: input.reservation_ttl_seconds, hold_seconds: input.payment_timeout_seconds + input.reservation_ttl_seconds,
    ...(input.cart ? { cart_id: input.cart.cart_id } : {}),
  });
  if (!prepared.ok) return refused(prepared);
  const totals: Totals = { subtotal_minor: prepared.subtotal_minor, discount_minor: prepared.discount_minor, shipping_minor: prepared.shipping_minor, total_minor: prepared.total_minor, discounts: prepared.discounts };
  if (prepared.payment_id !== null) {
    const paid = yield* awaitPayment(ctx, saga, input, prepared.payment_id);
    if (paid.status !== 'paid') return paid;
  }
  const settled = yield* saga.run(S4.settle, { order_id, reservations: input.reservations, totals, ...(input.cart ? { cart_id: input.cart.cart_id } : {}) });
  return settled.ok ? { status: 'paid', cart_left: settled.cart_emptied === false } : refused(settled);
}
