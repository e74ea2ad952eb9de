import { defineRoute, type Route } from '../../../../kernel/http/route';
import type { PromotionStore } from '../store/promotions';

export function promotionRoutes(promotions: PromotionStore): Route[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/promotions',
      summary: 'Promotions running now',
      access: 'public',
      tags: ['promotions'],
      responses: { 200: { description: 'Running promotions (without coupon codes)' } },
      handler: async () => ({ body: { items: await promotions.running() } }),
    }),
  ];
}
