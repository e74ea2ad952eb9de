import type { Context, Middleware, Next } from 'koa';
import { HttpProblem } from '../../../../kernel/problem';
import { canonicalTarget, type CanonicalTarget } from '../domain/canonical-path';

declare module 'koa' {
  interface DefaultState {
    /** The request's canonical path and raw query, once the edge has accepted its target. */
    edgeTarget?: CanonicalTarget;
  }
}

/**
 * A refusal at the edge: its problem body has no `instance`, because the path is the client's
 * own words, and an answer must never repeat a probe like `/x/../v1.0/secrets/...`.
 */
export class EdgeRefusal extends HttpProblem {
  override toBody(): ReturnType<HttpProblem['toBody']> {
    return super.toBody();
  }
}

/** The canonical target of a request, or the refusal (400, or 414 when too long). */
export function edgeTargetOf(ctx: Context): CanonicalTarget {
  if (ctx.state.edgeTarget) return ctx.state.edgeTarget;
  // The raw target as Node read it, before Koa or anything else decoded or rewrote it.
  const target = canonicalTarget(ctx.originalUrl);
  if (!target.ok) throw new EdgeRefusal(target.status, target.reason, target.status === 414 ? { title: 'URI Too Long' } : {});
  ctx.state.edgeTarget = target;
  return target;
}

/**
 * The first edge policy: a request whose target is not canonical (domain/canonical-path.ts)
 * is refused before CORS, the token check, the rate limit, the cache or any service sees it.
 */
export function canonicalPaths(): Middleware {
  return async function onlyCanonicalPaths(ctx: Context, next: Next): Promise<void> {
    edgeTargetOf(ctx);
    await next();
  };
}
