import type { Context } from 'koa';
import { HttpProblem } from '../problem';
import type { Access, Caller } from './caller';
import { bearerToken, type TokenVerifier } from './verifier';

/** The app id Dapr puts on every invoked request (set by the calling sidecar, not the client). */
const CALLER_APP_HEADER = 'dapr-caller-app-id';

/**
 * Decides whether a request may reach a route, and who it is from. Every service runs this
 * itself, whatever the gateway already checked (defence in depth: a request arriving through
 * another sidecar, or straight at the app port, meets the same rules).
 */
export async function authorize(ctx: Context, access: Access, verifier: TokenVerifier | undefined, internalCallers?: string[]): Promise<Caller | null> {
  if (access === 'internal') {
    const from = ctx.get(CALLER_APP_HEADER);
    const allowed = internalCallers ? internalCallers.includes(from) : Boolean(from) && from !== 'gateway';
    if (!allowed) throw new HttpProblem(404, `No route for ${ctx.method} ${ctx.path}.`);
    return null;
  }
  const token = bearerToken(ctx.get('authorization') || undefined);
  if (!token) {
    if (access === 'public') return null;
    throw new HttpProblem(401, 'Sign in: this route needs an access token.', { headers: { 'www-authenticate': 'Bearer realm="dapr-commerce"' } });
  }
  if (!verifier) throw new HttpProblem(503, 'Tokens cannot be verified by this service.');
  const caller = await verifier.verify(token);
  if (access === 'admin' && caller.role !== 'admin') throw new HttpProblem(403, 'Only administrators may do this.');
  return caller;
}

/**
 * Object-level authorisation: a customer reaches only their own resources; an admin reaches
 * all. A stranger's resource answers 404, exactly like a missing one, so ids cannot be probed.
 */
export function requireOwned<T extends { user_id: string | null }>(caller: Caller, resource: T | undefined, notFoundDetail: string): T {
  if (!resource || (caller.role !== 'admin' && resource.user_id !== caller.id)) throw new HttpProblem(404, notFoundDetail);
  return resource;
}
