import { defineRoute, type Route } from '../../../../kernel/http/route';
import { uuidIdParams } from '../../../../kernel/http/schemas';
import { requireOwned } from '../../../../kernel/auth/access';
import { fromMinorUnits } from '../../../../kernel/domain/money';
import type { PaymentStore } from '../store/payments';

export function paymentRoutes(payments: PaymentStore): Route[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/payments/:id',
      summary: 'Get a payment',
      tags: ['payments'],
      params: uuidIdParams,
      responses: { 200: { description: 'The payment' }, 404: { description: 'No such payment' } },
      handler: async ({ params, caller }) => {
        const payment = requireOwned(caller, await payments.byId(params.id), `No payment ${params.id}.`);
        return { body: { ...payment, amount: fromMinorUnits(payment.amount_minor, payment.currency) } };
      },
    }),
  ];
}
