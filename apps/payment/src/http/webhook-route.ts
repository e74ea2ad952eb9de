import { defineRoute, type Route } from '../../../../kernel/http/route';
import { HttpProblem } from '../../../../kernel/problem';
import type { Logger } from '../../../../kernel/logger';
import { statusOfEvent } from '../domain/status';
import type { PaymentStore } from '../store/payments';
import type { StripeClient } from '../provider/stripe';
import { webhookBody } from './schemas';

/**
 * Stripe's webhook: public (Stripe has no token), so the signature over the exact bytes
 * received is the only authentication. Every verified event is recorded once; a repeat is a
 * 200 no-op, so Stripe's retries are harmless.
 */
export function webhookRoutes(payments: PaymentStore, stripe: StripeClient, secret: string, logger: Logger): Route[] {
  return [
    defineRoute({
      method: 'POST',
      path: '/payments/webhook',
      summary: 'Stripe webhook (Stripe-Signature over the raw body)',
      tags: ['payments'],
      access: 'public',
      body: webhookBody,
      responses: { 200: { description: 'Event accepted (or already had)' }, 400: { description: 'Missing or bad signature' } },
      handler: async ({ ctx }) => {
        const signature = ctx.get('stripe-signature');
        const raw = ctx.request.rawBody;
        if (!signature || !raw) throw new HttpProblem(400, 'A Stripe-Signature header and a body are required.');
        let event;
        try {
          event = stripe.webhooks.constructEvent(raw, signature, secret);
        } catch {
          throw new HttpProblem(400, 'The Stripe-Signature does not verify.', { type: 'https://problems.dapr-commerce.dev/bad-signature' });
        }
        const object = (event.data?.object ?? {}) as { id?: string; object?: string; metadata?: Record<string, string> };
        const isIntent = object.object === 'payment_intent';
        const result = await payments.applyWebhook({
          id: event.id,
          type: event.type,
          created: event.created,
          intentId: isIntent ? object.id : undefined,
          paymentId: isIntent ? object.metadata?.payment_id : undefined,
          status: isIntent ? statusOfEvent(event.type) : undefined,
        });
        logger.info({ stripe_event: event.id, type: event.type, outcome: result.outcome, payment_id: result.payment?.id }, 'stripe webhook');
        return { body: { received: true, outcome: result.outcome } };
      },
    }),
  ];
}
