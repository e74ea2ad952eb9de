import { defineRoute, type Route } from '../../../../kernel/http/route';
import type { Sidecar } from '../../../../kernel/dapr/sidecar';
import type { CartState } from '../../../../actors/cart/CartActor';

const cartQuery = {
  type: 'object',
  properties: { cart_id: { type: 'string', format: 'uuid' } },
  required: ['cart_id'],
  additionalProperties: false,
} as const;

export function cartRoutes(sidecar: Sidecar): Route[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/cart',
      summary: 'Read a cart',
      access: 'public',
      tags: ['cart'],
      query: cartQuery,
      responses: { 200: { description: 'The cart and its version' } },
      handler: async ({ query }) => {
        const cart = await sidecar.callActor<CartState>('CartActor', query.cart_id, 'getCart');
        return { body: { cart_id: query.cart_id, ...cart } };
      },
    }),
  ];
}
