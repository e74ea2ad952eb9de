import type { Context, Middleware, Next } from 'koa';
import { HttpProblem } from '../../../../kernel/problem';
import { clientAddress } from '../domain/client-address';
import type { TokenBuckets } from '../../../../kernel/domain/token-bucket';

/**
 * Whom a request is charged to: the verified user (identifyCaller runs before this), else the
 * client address. A request whose token failed verification is charged to its address, so bad
 * tokens cannot be used to dodge the limit.
 */
export function rateLimitKey(ctx: Context, trustProxy: boolean): string {
  if (ctx.state.edgeCaller) return `user:${ctx.state.edgeCaller.id}`;
  return `ip:${clientAddress(ctx.request.ip, ctx.get('x-forwarded-for') || undefined, trustProxy)}`;
}

/**
 * Token-bucket rate limit per client. The buckets live in this replica's memory, so with N
 * gateway replicas a client gets up to N times the limit (a load balancer spreading one
 * client's requests evenly); a shared limit would need a Redis round trip per request.
 */
export function rateLimit(buckets: TokenBuckets, trustProxy: boolean): Middleware {
  return async function limitRate(ctx: Context, next: Next): Promise<void> {
    const result = buckets.take(rateLimitKey(ctx, trustProxy));
    ctx.set('ratelimit-limit', String(result.limit));
    ctx.set('ratelimit-remaining', String(result.remaining));
    if (!result.allowed) {
      throw new HttpProblem(429, `Too many requests; try again in ${result.retryAfterSeconds} s.`, {
        headers: { 'retry-after': String(result.retryAfterSeconds) },
      });
    }
    await next();
  };
}
