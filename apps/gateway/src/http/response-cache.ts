import type { Context, Next } from 'koa';
import { Counter } from 'prom-client';
import { MicroCache, ttlFor } from '../domain/micro-cache';

const lookups = new Counter({ name: 'gateway_cache_lookups_total', help: 'Edge cache lookups by outcome', labelNames: ['outcome'] as const });

/** Requests that say who the client is never share a cached answer. */
function anonymousGet(ctx: Context): boolean {
  return ctx.method === 'GET' && !ctx.get('authorization') && !ctx.get('x-cart-id') && !ctx.get('cookie');
}

/**
 * Serves anonymous GETs from the edge cache when the service said `Cache-Control: public,
 * max-age=N`, for at most min(N, capMs) — so a change reaches clients within `capMs` on every
 * replica, with no invalidation traffic. Hits are marked `X-Cache: hit` with their `Age`.
 */
export function responseCache(capMs: number, maxEntries: number) {
  const cache = new MicroCache(maxEntries);
  const serve = (ctx: Context, key: string): boolean => {
    const entry = cache.get(key);
    if (!entry) return false;
    ctx.status = entry.status;
    for (const [name, value] of Object.entries(entry.headers)) {
      if (name === 'vary') ctx.vary(value);
      else ctx.set(name, value);
    }
    ctx.set('x-cache', 'hit');
    ctx.set('age', String(Math.floor((Date.now() - entry.storedAt) / 1000)));
    const etag = entry.headers.etag;
    if (etag && ctx.get('if-none-match') === etag) {
      ctx.status = 304;
      ctx.body = null;
      return true;
    }
    ctx.body = entry.body;
    if (!entry.body) ctx.status = entry.status;
    return true;
  };

  return async function cachedProxy(ctx: Context, next: Next): Promise<void> {
    if (capMs <= 0 || !anonymousGet(ctx)) return next();
    const key = `${ctx.get('accept')}\0${ctx.url}`;
    if (serve(ctx, key)) {
      lookups.inc({ outcome: 'hit' });
      return;
    }
    let filled = false;
    const filledHere = await cache.once(key, async () => {
      filled = true;
      await next();
      const ttl = ctx.status === 200 ? ttlFor(ctx.response.get('cache-control') || undefined, capMs) : 0;
      if (ttl > 0) {
        const headers: Record<string, string> = {};
        for (const name of ['content-type', 'etag', 'cache-control', 'last-modified', 'vary']) {
          const value = ctx.response.get(name);
          if (value) headers[name] = value;
        }
        cache.set(key, { status: ctx.status, headers, body: Buffer.isBuffer(ctx.body) ? ctx.body : ctx.body == null ? null : Buffer.from(String(ctx.body)) }, ttl);
      }
    });
    if (filledHere || filled) {
      lookups.inc({ outcome: 'miss' });
      return;
    }
    // Waited for another request's fill: its answer, or our own request when it was not cacheable.
    if (serve(ctx, key)) lookups.inc({ outcome: 'coalesced' });
    else {
      lookups.inc({ outcome: 'miss' });
      await next();
    }
  };
}
