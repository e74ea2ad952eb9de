import { defineRoute, type Route } from '../../../../kernel/http/route';
import { uuidIdParams } from '../../../../kernel/http/schemas';
import { requireOwned } from '../../../../kernel/auth/access';
import { fromMinorUnits } from '../../../../kernel/domain/money';
import type { OrderStore } from '../store/orders';

export function orderRoutes(orders: OrderStore): Route[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/orders/:id',
      summary: 'Get an order with its status',
      tags: ['orders'],
      params: uuidIdParams,
      responses: { 200: { description: 'The order' }, 404: { description: 'No such order' } },
      handler: async ({ params, caller }) => {
        const order = requireOwned(caller, await orders.byId(params.id), `No order ${params.id}.`);
        return { body: { ...order, total: fromMinorUnits(order.total_minor, order.currency) } };
      },
    }),
  ];
}
