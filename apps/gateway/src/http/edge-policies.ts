import type { Middleware } from 'koa';
import type { TokenVerifier } from '../../../../kernel/auth/verifier';
import type { GatewayConfig } from '../config';
import { TokenBuckets } from '../../../../kernel/domain/token-bucket';
import { canonicalPaths } from './canonical-paths';
import { cors } from './cors';
import { identifyCaller, refuseInvalidTokens } from './edge-auth';
import { rateLimit } from './rate-limit';

/**
 * The gateway's policies for every public request, in the order they must run: only canonical
 * paths first (canonical-paths.ts), so that nothing after it ever reads a path that Dapr or a
 * service could read differently; CORS next, so that a page can read even a 401 or 429 it
 * caused; then who is calling (a verified token), so that the rate limit charges the user
 * rather than a shared address; then the rate limit, which also charges requests with bad
 * tokens (to their address); then the refusal of bad tokens. The proxy, with the allowlist's
 * 404 and 405, runs after all of them (kernel/http/app.ts).
 */
export function edgePolicies(
  config: Pick<GatewayConfig, 'corsOrigins' | 'rateLimitPerSecond' | 'rateLimitBurst' | 'trustProxy'>,
  verifier: TokenVerifier,
  now?: () => number,
): Middleware[] {
  const policies: Middleware[] = [canonicalPaths(), cors(config.corsOrigins), identifyCaller(verifier)];
  if (config.rateLimitPerSecond > 0) {
    const buckets = new TokenBuckets({ ratePerSecond: config.rateLimitPerSecond, burst: config.rateLimitBurst, now });
    policies.push(rateLimit(buckets, config.trustProxy));
  }
  policies.push(refuseInvalidTokens());
  return policies;
}
