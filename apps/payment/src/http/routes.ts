import { defineRoute, type Route } from '../../../../kernel/http/route';
import { uuidIdParams } from '../../../../kernel/http/schemas';
import { requireOwned } from '../../../../kernel/auth/access';
import type { PaymentStore } from '../store/payments';
import { presentPayment } from './present';
import { listPaymentsQuery } from './schemas';

/** Customers' reads: their own payments only (another user's answers 404, like a missing one). */
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
        return { body: presentPayment(payment) };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/payments',
      summary: "List an order's payments (own payments only)",
      tags: ['payments'],
      query: listPaymentsQuery,
      responses: { 200: { description: "The caller's payments of the order, by attempt" } },
      handler: async ({ query, caller }) => {
        const rows = (await payments.byOrder(query.order_id)).filter((p) => caller.role === 'admin' || p.user_id === caller.id);
        return { body: { items: rows.map(presentPayment) } };
      },
    }),
  ];
}
