import type { Context, Middleware, Next } from 'koa';
import type { Caller } from '../../../../kernel/auth/caller';
import { bearerToken, type TokenVerifier } from '../../../../kernel/auth/verifier';
import { HttpProblem } from '../../../../kernel/problem';

declare module 'koa' {
  interface DefaultState {
    /** The caller of a verified bearer token, at the gateway. */
    edgeCaller?: Caller;
    /** Why the request's Authorization header was refused; thrown by refuseInvalidTokens. */
    edgeTokenProblem?: HttpProblem;
  }
}

/**
 * Verifies the bearer token of a request, if it has one, once at the edge: the rate limiter
 * keys a signed-in client by its user id, and a bad token is refused before any service is
 * called. The failure is only remembered here, so that the rate limiter (which runs between
 * the two halves) charges such a request to its IP address first.
 *
 * The gateway never forwards identity of its own: the Authorization header goes on unchanged
 * and every service verifies it again (kernel/auth/access.ts).
 */
export function identifyCaller(verifier: TokenVerifier): Middleware {
  return async function identify(ctx: Context, next: Next): Promise<void> {
    const header = ctx.get('authorization');
    if (header) {
      try {
        ctx.state.edgeCaller = await verifier.verify(bearerToken(header)!);
      } catch (err) {
        if (!(err instanceof HttpProblem)) throw err;
        if (err.status === 401) {
          ctx.state.edgeTokenProblem = err;
        } else {
          // Keys unavailable (503): the edge check is an early refusal, not the authority, so the
          // request goes on anonymous-for-rate-limiting and the service decides.
          ctx.state.log.warn({ status: err.status, detail: err.message }, 'edge token check skipped');
        }
      }
    }
    await next();
  };
}

/** 401 at the edge for a token that failed verification (malformed, forged, expired, foreign). */
export function refuseInvalidTokens(): Middleware {
  return async function refuseInvalid(ctx: Context, next: Next): Promise<void> {
    if (ctx.state.edgeTokenProblem) throw ctx.state.edgeTokenProblem;
    await next();
  };
}
