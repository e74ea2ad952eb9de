import { defineRoute, type Route } from '../../../../kernel/http/route';
import { uuidIdParams } from '../../../../kernel/http/schemas';
import { HttpProblem } from '../../../../kernel/problem';
import type { Logger } from '../../../../kernel/logger';
import { fromIntentStatus, intentKey, operationKey } from '../domain/status';
import type { PaymentRow, PaymentStore } from '../store/payments';
import { isTransient, stripeMessage, type StripeClient } from '../provider/stripe';
import { presentPayment } from './present';
import { createIntentBody, refundBody } from './schemas';

/** How long one caller may spend creating the intent before another may try (same key). */
const LEASE_MS = 30_000;
/** How long a concurrent duplicate waits for the first caller's intent (below Dapr's 10 s). */
const WAIT_MS = 6_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function notFound(id: string): never {
  throw new HttpProblem(404, `No payment ${id}.`);
}

function unavailable(err: unknown): HttpProblem {
  return new HttpProblem(503, `Stripe did not answer; retry (the same idempotency key is reused): ${stripeMessage(err)}`, { headers: { 'retry-after': '1' } });
}

/** Routes for the order saga only (access `internal`: service invocation, never the gateway). */
export function internalPaymentRoutes(payments: PaymentStore, stripe: StripeClient, logger: Logger): Route[] {
  return [
    defineRoute({
      method: 'POST',
      path: '/internal/payments/intents',
      summary: 'Create (or get) the PaymentIntent of an order attempt',
      tags: ['payments'],
      access: 'internal',
      body: createIntentBody,
      responses: {
        200: { description: 'The payment and its intent (the same for every repeat of the attempt)' },
        409: { description: 'Another attempt already paid, or the first request is still creating the intent' },
        422: { description: 'The attempt exists with other values, or Stripe refused the intent (use a new attempt)' },
        503: { description: 'Stripe unreachable; retry' },
      },
      handler: async ({ body }) => {
        const key = intentKey(body.order_id, body.attempt);
        const paid = await payments.paidAttempt(body.order_id, body.attempt);
        if (paid) throw new HttpProblem(409, `Order ${body.order_id} is already paid by attempt ${paid.attempt}.`, { extensions: { payment_id: paid.id } });
        // 1. The row and its key exist before Stripe is called.
        let row: PaymentRow = await payments.createOrGet({ ...body, idempotency_key: key });
        if (row.user_id !== body.user_id || row.amount_minor !== body.amount_minor || row.currency.trim() !== body.currency) {
          throw new HttpProblem(422, `Attempt ${body.attempt} of order ${body.order_id} was created with other values; use a new attempt.`);
        }
        // 2. One caller at a time calls Stripe (a lease, not a lock held across the call);
        //    duplicates wait for its answer.
        const deadline = Date.now() + WAIT_MS;
        while (!row.provider_intent_id && row.status === 'creating') {
          if (await payments.claim(row.id, LEASE_MS)) {
            try {
              const intent = await stripe.paymentIntents.create(
                {
                  amount: row.amount_minor,
                  currency: row.currency.trim().toLowerCase(),
                  automatic_payment_methods: { enabled: true },
                  metadata: { payment_id: row.id, order_id: row.order_id, attempt: String(row.attempt) },
                },
                { idempotencyKey: key },
              );
              row = await payments.recordIntent(row.id, intent.id, intent.client_secret, fromIntentStatus(intent.status));
            } catch (err) {
              if (isTransient(err)) {
                await payments.release(row.id);
                throw unavailable(err);
              }
              logger.warn({ err, payment_id: row.id }, 'Stripe refused the payment intent');
              await payments.markFailed(row.id, stripeMessage(err));
              row = (await payments.byId(row.id))!;
            }
            break;
          }
          if (Date.now() > deadline) throw new HttpProblem(409, 'The intent of this attempt is still being created; retry.', { headers: { 'retry-after': '1' } });
          await sleep(50);
          row = (await payments.byId(row.id))!;
        }
        if (!row.provider_intent_id) {
          // 422, not 502: Dapr's resiliency spec retries 502-504, and this answer will not change.
          if (row.status === 'failed') throw new HttpProblem(422, `Stripe refused the payment intent: ${row.failure_reason ?? 'unknown'}; use a new attempt.`, { extensions: { payment_id: row.id, status: 'failed' } });
          throw new HttpProblem(409, `Payment ${row.id} is ${row.status}.`, { extensions: { payment_id: row.id } });
        }
        return { body: { payment_id: row.id, intent_id: row.provider_intent_id, client_secret: row.client_secret, status: row.status, attempt: row.attempt } };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/internal/payments/:id',
      summary: 'One payment as the payment service recorded it (consumers check an event against it)',
      tags: ['payments'],
      access: 'internal',
      internalCallers: ['order'],
      params: uuidIdParams,
      responses: { 200: { description: 'The payment' }, 404: { description: 'No such payment' } },
      handler: async ({ params }) => ({ body: presentPayment((await payments.byId(params.id)) ?? notFound(params.id)) }),
    }),
    defineRoute({
      method: 'POST',
      path: '/internal/payments/:id/cancel',
      summary: 'Cancel a payment that has not succeeded (idempotent)',
      tags: ['payments'],
      access: 'internal',
      params: uuidIdParams,
      body: { type: 'object', additionalProperties: false } as const,
      responses: { 200: { description: 'The canceled payment' }, 404: { description: 'No such payment' }, 409: { description: 'Already succeeded (refund it)' } },
      handler: async ({ params }) => {
        let row = (await payments.byId(params.id)) ?? notFound(params.id);
        if (row.status === 'canceled') return { body: presentPayment(row) };
        if (row.status === 'succeeded' || row.status === 'refunded') throw new HttpProblem(409, `Payment ${row.id} is ${row.status}: refund it instead.`, { extensions: { status: row.status } });
        if (row.provider_intent_id) {
          try {
            await stripe.paymentIntents.cancel(row.provider_intent_id, {}, { idempotencyKey: operationKey(row.id, 'cancel') });
          } catch (err) {
            if (isTransient(err)) throw unavailable(err);
            throw new HttpProblem(409, `Stripe refused to cancel: ${stripeMessage(err)}`);
          }
        } else if (row.claimed_until && row.claimed_until.getTime() > Date.now()) {
          throw new HttpProblem(409, 'The intent is being created; retry.', { headers: { 'retry-after': '1' } });
        }
        row = await payments.markCanceled(row.id);
        if (row.status !== 'canceled') throw new HttpProblem(409, `Payment ${row.id} is ${row.status}.`);
        return { body: presentPayment(row) };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/internal/payments/:id/refund',
      summary: 'Refund a succeeded payment, fully or partly (one refund per payment; idempotent)',
      tags: ['payments'],
      access: 'internal',
      params: uuidIdParams,
      body: refundBody,
      responses: { 200: { description: 'The payment after the refund' }, 404: { description: 'No such payment' }, 409: { description: 'Not refundable' }, 422: { description: 'More than was paid' } },
      handler: async ({ params, body }) => {
        let row = (await payments.byId(params.id)) ?? notFound(params.id);
        const amount = body.amount_minor ?? row.amount_minor;
        if (amount > row.amount_minor) throw new HttpProblem(422, `Cannot refund ${amount}: the payment is ${row.amount_minor}.`);
        if (row.refund_requested_minor === null) {
          if (row.status !== 'succeeded') throw new HttpProblem(409, `Payment ${row.id} is ${row.status}: only succeeded payments are refunded.`);
          row = await payments.requestRefund(row.id, amount); // stored before Stripe is called
        }
        if (row.refund_requested_minor === null) throw new HttpProblem(409, `Payment ${row.id} is ${row.status}.`);
        if (row.refund_requested_minor !== amount) {
          throw new HttpProblem(409, `A refund of ${row.refund_requested_minor} was already requested for this payment.`, { extensions: { refund_requested_minor: row.refund_requested_minor } });
        }
        if (!row.provider_refund_id) {
          try {
            const refund = await stripe.refunds.create(
              { payment_intent: row.provider_intent_id!, amount, metadata: { payment_id: row.id } },
              { idempotencyKey: operationKey(row.id, 'refund') },
            );
            row = await payments.recordRefund(row.id, refund.id);
          } catch (err) {
            if (isTransient(err)) throw unavailable(err);
            throw new HttpProblem(409, `Stripe refused the refund: ${stripeMessage(err)}`);
          }
        }
        return { body: { ...presentPayment(row), provider_refund_id: row.provider_refund_id } };
      },
    }),
  ];
}
