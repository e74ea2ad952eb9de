import { randomUUID } from 'node:crypto';
import type { Context } from 'koa';
import { defineRoute, type Route } from '../../../../kernel/http/route';
import { HttpProblem } from '../../../../kernel/problem';
import { PASSWORD_POLICY } from '../domain/password-policy';
import { clientKeyOf } from '../../../../kernel/domain/client-key';
import type { HashBudget } from '../domain/hash-budget';
import type { PasswordHasher } from '../domain/password-hasher';
import type { Sessions } from '../domain/sessions';
import { profileOf, type UserStore } from '../store/users';
import type { SigningKeyStore } from '../store/signing-keys';
import { loginBody, passwordResetConfirmBody, passwordResetRequestBody, profile, refreshBody, registerBody, tokenPair } from './schemas';
import type { PasswordResets } from '../domain/password-reset';
import type { Logger } from '../../../../kernel/logger';

/**
 * The client's address for throttling and the hash budget, as counted (IPv6 by /64). Only the
 * gateway's word is taken for it (it sets X-Forwarded-For from the connection); other callers
 * are services, counted by app id.
 */
function clientAddress(ctx: Context): string {
  const via = ctx.get('dapr-caller-app-id');
  if (via === 'gateway') return clientKeyOf(ctx.get('x-forwarded-for').split(',')[0]!.trim() || 'gateway');
  return via ? `app:${via}` : clientKeyOf(ctx.request.ip);
}

export function authRoutes(deps: {
  users: Pick<UserStore, 'create'>;
  sessions: Sessions;
  keys: Pick<SigningKeyStore, 'jwks' | 'rotate'>;
  hasher: PasswordHasher;
  budget: HashBudget;
  resets: PasswordResets;
  logger: Logger;
}): Route[] {
  const { users, sessions, keys, hasher, budget, resets, logger } = deps;
  /** Routes that compute a password hash charge the client's budget first: a refusal costs no hash. */
  const costly = (ctx: Context): string => {
    const client = clientAddress(ctx);
    budget.charge(client);
    return client;
  };
  return [
    defineRoute({
      method: 'POST',
      path: '/auth/register',
      summary: 'Create a customer account',
      tags: ['auth'],
      access: 'public',
      body: registerBody,
      responses: {
        201: { description: 'The new account', schema: profile },
        409: { description: 'The e-mail is taken' },
        429: { description: 'Too many sign-ups and sign-ins from this address (Retry-After says when to try again)' },
        503: { description: 'Too many passwords being hashed right now (Retry-After)' },
      },
      handler: async ({ body, ctx }) => {
        costly(ctx);
        const created = await users.create({
          id: randomUUID(),
          email: body.email.trim(),
          name: body.name?.trim() ?? '',
          role: 'customer',
          passwordHash: await hasher.hash(body.password),
        });
        if (!created) throw new HttpProblem(409, 'An account with this e-mail already exists.');
        return { status: 201, body: profileOf(created), headers: { location: `/users/${created.id}` } };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/auth/login',
      summary: 'Sign in: an access token and a refresh token',
      tags: ['auth'],
      access: 'public',
      body: loginBody,
      responses: {
        200: { description: 'Tokens', schema: tokenPair },
        401: { description: 'Wrong e-mail or password' },
        429: { description: 'Too many attempts from this address, failed ones on this account or all (Retry-After says when to try again)' },
        503: { description: 'Too many passwords being hashed right now (Retry-After)' },
      },
      handler: async ({ body, ctx }) => ({
        body: await sessions.login(body.email.trim(), body.password, costly(ctx)),
        headers: { 'cache-control': 'no-store' },
      }),
    }),
    defineRoute({
      method: 'POST',
      path: '/auth/refresh',
      summary: 'Exchange a refresh token for new tokens (the old one is consumed)',
      tags: ['auth'],
      access: 'public',
      body: refreshBody,
      responses: { 200: { description: 'Tokens', schema: tokenPair }, 401: { description: 'Invalid, expired, revoked or reused' } },
      handler: async ({ body }) => ({ body: await sessions.refresh(body.refresh_token), headers: { 'cache-control': 'no-store' } }),
    }),
    defineRoute({
      method: 'POST',
      path: '/auth/logout',
      summary: 'End the session of a refresh token',
      tags: ['auth'],
      access: 'public',
      body: refreshBody,
      responses: { 204: { description: 'Signed out (also for unknown tokens)' } },
      handler: async ({ body }) => {
        await sessions.logout(body.refresh_token);
        return {};
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/auth/.well-known/jwks.json',
      summary: 'Public keys that verify access tokens',
      tags: ['auth'],
      access: 'public',
      responses: { 200: { description: 'JSON Web Key Set' } },
      handler: async () => ({ body: await keys.jwks(), headers: { 'cache-control': 'public, max-age=300' } }),
    }),
    defineRoute({
      method: 'POST',
      path: '/auth/keys/rotate',
      summary: 'Start signing with a new key (the old one stays published until its tokens expire)',
      tags: ['auth'],
      access: 'admin',
      responses: { 201: { description: 'The new key id' } },
      handler: async () => ({ status: 201, body: { kid: await keys.rotate() } }),
    }),
    defineRoute({
      method: 'POST',
      path: '/auth/password-reset',
      summary: 'Ask for a password-reset code by e-mail (the same answer whether or not the account exists)',
      tags: ['auth'],
      access: 'public',
      body: passwordResetRequestBody,
      responses: { 202: { description: 'If the account exists, a code is on its way (valid once, for 30 minutes by default)' } },
      handler: async ({ body }) => {
        const send = await resets.request(body.email.trim());
        // After the answer, so that its timing says nothing about the account either.
        if (send) setImmediate(() => void send().catch((err: unknown) => logger.warn({ err }, 'password-reset mail not sent')));
        return { status: 202, body: { status: 'accepted' } };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/auth/password-reset/confirm',
      summary: 'Set a new password with an e-mailed code; every session of the account ends',
      tags: ['auth'],
      access: 'public',
      body: passwordResetConfirmBody,
      responses: {
        204: { description: 'Password changed; sign in again' },
        400: { description: 'The password does not meet the policy, or the code is wrong, used or expired' },
        429: { description: 'Too many attempts from this address (Retry-After)' },
        503: { description: 'Too many passwords being hashed right now (Retry-After)' },
      },
      handler: async ({ body, ctx }) => {
        costly(ctx);
        const userId = await resets.confirm(body.code, await hasher.hash(body.password));
        if (!userId) throw new HttpProblem(400, 'This reset code is wrong, used or expired. Ask for a new one.');
        return {};
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/auth/password-policy',
      summary: 'What a new password must satisfy',
      tags: ['auth'],
      access: 'public',
      responses: { 200: { description: 'Minimum and maximum length' } },
      handler: async () => ({ body: PASSWORD_POLICY, headers: { 'cache-control': 'public, max-age=3600' } }),
    }),
  ];
}
