import { defineRoute, type Route } from '../../../../kernel/http/route';
import { PASSWORD_POLICY } from '../domain/password-policy';

export function userRoutes(): Route[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/auth/password-policy',
      summary: 'What a new password must satisfy',
      tags: ['auth'],
      responses: { 200: { description: 'Minimum and maximum length' } },
      handler: async () => ({ body: PASSWORD_POLICY, headers: { 'cache-control': 'public, max-age=3600' } }),
    }),
  ];
}
