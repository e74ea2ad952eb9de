import { randomUUID } from 'node:crypto';
import { defineRoute, type Route } from '../../../../kernel/http/route';
import { HttpProblem } from '../../../../kernel/problem';
import type { Caller } from '../../../../kernel/auth/caller';
import { profileOf, type UserStore } from '../store/users';
import type { AddressStore } from '../store/addresses';
import { addressBody, addressParams, byEmailQuery, profile, profilePatch, roleBody, userParams } from './schemas';

/**
 * The user a request is about: `me` is the caller. A customer may name only themselves; any
 * other id answers 404, the same as a user that does not exist (no probing of ids).
 */
function subjectOf(caller: Caller, id: string): string {
  const target = id === 'me' ? caller.id : id;
  if (caller.role !== 'admin' && target !== caller.id) throw new HttpProblem(404, 'No such user.');
  return target;
}

export function userRoutes(deps: { users: UserStore; addresses: AddressStore }): Route[] {
  const { users, addresses } = deps;
  const profileOr404 = async (id: string) => {
    const row = await users.byId(id);
    if (!row) throw new HttpProblem(404, 'No such user.');
    return profileOf(row);
  };
  return [
    defineRoute({
      method: 'GET',
      path: '/internal/users/by-email',
      summary: "An account's id by its e-mail (the order service's admin search by customer e-mail)",
      tags: ['users'],
      access: 'internal',
      internalCallers: ['order'],
      query: byEmailQuery,
      responses: { 200: { description: '{ id, email }' }, 404: { description: 'No account has this e-mail' } },
      handler: async ({ query }) => {
        const row = await users.byEmail(query.email.trim());
        if (!row) throw new HttpProblem(404, 'No such user.');
        return { body: { id: row.id, email: row.email } };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/users/:id',
      summary: 'A profile (`me` for your own)',
      tags: ['users'],
      params: userParams,
      responses: { 200: { description: 'The profile', schema: profile } },
      handler: async ({ params, caller }) => ({ body: await profileOr404(subjectOf(caller, params.id)) }),
    }),
    defineRoute({
      method: 'PATCH',
      path: '/users/:id',
      summary: 'Change a profile',
      tags: ['users'],
      params: userParams,
      body: profilePatch,
      responses: { 200: { description: 'The profile', schema: profile } },
      handler: async ({ params, body, caller }) => {
        const row = await users.update(subjectOf(caller, params.id), { name: body.name?.trim() });
        if (!row) throw new HttpProblem(404, 'No such user.');
        return { body: profileOf(row) };
      },
    }),
    defineRoute({
      method: 'PUT',
      path: '/users/:id/role',
      summary: 'Make a user an admin or a customer',
      tags: ['users'],
      access: 'admin',
      params: userParams,
      body: roleBody,
      responses: { 200: { description: 'The profile', schema: profile } },
      handler: async ({ params, body, caller }) => {
        const target = subjectOf(caller, params.id);
        if (target === caller.id && body.role !== 'admin') throw new HttpProblem(409, 'An admin cannot demote themselves.');
        const row = await users.update(target, { role: body.role });
        if (!row) throw new HttpProblem(404, 'No such user.');
        return { body: profileOf(row) };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/users/:id/addresses',
      summary: 'Saved addresses',
      tags: ['users'],
      params: userParams,
      responses: { 200: { description: 'Addresses' } },
      handler: async ({ params, caller }) => ({ body: { items: await addresses.list(subjectOf(caller, params.id)) } }),
    }),
    defineRoute({
      method: 'POST',
      path: '/users/:id/addresses',
      summary: 'Save an address',
      tags: ['users'],
      params: userParams,
      body: addressBody,
      responses: { 201: { description: 'The address' } },
      handler: async ({ params, body, caller }) => {
        const owner = subjectOf(caller, params.id);
        await profileOr404(owner);
        const row = await addresses.create(owner, randomUUID(), body);
        return { status: 201, body: row, headers: { location: `/users/${owner}/addresses/${row.id}` } };
      },
    }),
    defineRoute({
      method: 'PUT',
      path: '/users/:id/addresses/:addressId',
      summary: 'Replace a saved address',
      tags: ['users'],
      params: addressParams,
      body: addressBody,
      responses: { 200: { description: 'The address' } },
      handler: async ({ params, body, caller }) => {
        const row = await addresses.replace(subjectOf(caller, params.id), params.addressId, body);
        if (!row) throw new HttpProblem(404, 'No such address.');
        return { body: row };
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/users/:id/addresses/:addressId',
      summary: 'Delete a saved address',
      tags: ['users'],
      params: addressParams,
      responses: { 204: { description: 'Deleted' } },
      handler: async ({ params, caller }) => {
        if (!(await addresses.remove(subjectOf(caller, params.id), params.addressId))) throw new HttpProblem(404, 'No such address.');
        return {};
      },
    }),
  ];
}
