import type { Context, Middleware, Next } from 'koa';

/** What browsers on an allowed origin may send and read. */
const ALLOWED_METHODS = 'GET, POST, PUT, PATCH, DELETE';
const ALLOWED_HEADERS = 'Authorization, Content-Type, Idempotency-Key, If-Match, If-None-Match, X-Request-Id, X-Cart-Id, X-Consistency-Token';
/** Response headers a script may read beyond the CORS-safelisted ones. */
const EXPOSED_HEADERS = 'ETag, Location, X-Request-Id, Retry-After, RateLimit-Limit, RateLimit-Remaining, X-Consistency-Token';
/** How long a browser may cache a preflight answer (Chromium caps it at 2 hours). */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * `GATEWAY_CORS_ORIGINS`, comma-separated, as exact origins (`https://shop.example.com`).
 * A malformed entry stops start-up: a typo would otherwise silently lock the front end out.
 */
export function parseOrigins(raw: string): ReadonlySet<string> {
  const origins = new Set<string>();
  for (const entry of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    let origin: string;
    try {
      origin = new URL(entry).origin;
    } catch {
      throw new Error(`GATEWAY_CORS_ORIGINS: "${entry}" is not an origin like https://shop.example.com`);
    }
    if (origin === 'null' || origin !== entry.replace(/\/$/, '').toLowerCase()) {
      throw new Error(`GATEWAY_CORS_ORIGINS: "${entry}" is not an origin (scheme://host[:port], no path)`);
    }
    origins.add(origin);
  }
  return origins;
}

/**
 * CORS for browser front ends on the allowed origins; with none configured the gateway sends
 * no CORS headers at all and browsers keep the same-origin rule. No credentials mode: the API
 * authenticates with bearer tokens, never cookies. Runs first among the edge policies, so
 * that a 401 or 429 is readable by the page that caused it.
 */
export function cors(allowedOrigins: ReadonlySet<string>): Middleware {
  return async function corsPolicy(ctx: Context, next: Next): Promise<void> {
    if (allowedOrigins.size === 0) return next();
    // The answer depends on Origin, so shared caches must keep one copy per origin.
    ctx.vary('Origin');
    const origin = ctx.get('origin');
    const allowed = origin !== '' && allowedOrigins.has(origin);
    if (ctx.method === 'OPTIONS' && ctx.get('access-control-request-method')) {
      // A preflight is answered here and goes no further; without the allow headers the browser refuses.
      if (allowed) {
        ctx.set('access-control-allow-origin', origin);
        ctx.set('access-control-allow-methods', ALLOWED_METHODS);
        ctx.set('access-control-allow-headers', ALLOWED_HEADERS);
        ctx.set('access-control-max-age', String(PREFLIGHT_MAX_AGE_SECONDS));
      }
      ctx.status = 204;
      return;
    }
    if (allowed) {
      ctx.set('access-control-allow-origin', origin);
      ctx.set('access-control-expose-headers', EXPOSED_HEADERS);
    }
    await next();
  };
}
