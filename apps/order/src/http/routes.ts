import { defineRoute, type Route } from '../../../../kernel/http/route';
import { uuidIdParams } from '../../../../kernel/http/schemas';
import { notFound } from '../../../../kernel/problem';
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
      handler: async ({ params }) => {
        const order = await orders.byId(params.id);
        if (!order) throw notFound(`No order ${params.id}.`);
        return { body: { ...order, total: fromMinorUnits(order.total_minor, order.currency) } };
      },
    }),
  ];
}
