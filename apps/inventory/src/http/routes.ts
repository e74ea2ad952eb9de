import { defineRoute, type Route } from '../../../../kernel/http/route';
import { skuSchema } from '../../../../kernel/domain/sku';
import type { StockStore } from '../store/stock';

const skuParams = {
  type: 'object',
  properties: { sku: skuSchema },
  required: ['sku'],
  additionalProperties: false,
} as const;

export function inventoryRoutes(stock: StockStore): Route[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/inventory/:sku',
      summary: 'Stock availability of a SKU across locations',
      access: 'public',
      tags: ['inventory'],
      params: skuParams,
      responses: { 200: { description: 'on_hand, reserved and available, in total and per location' } },
      handler: async ({ params }) => ({ body: await stock.availability(params.sku) }),
    }),
  ];
}
