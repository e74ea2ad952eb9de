import type { Context, Next } from 'koa';
import { Counter } from 'prom-client';
import { MicroCache } from '../../../../kernel/cache/micro-cache';
import { ttlFor } from '../domain/cache-control';

interface CachedResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer | null;
}

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
  const cache = new MicroCache<CachedResponse>(maxEntries);
  // Keys stored per path, so a write through this gateway drops that resource's cached answers
  // at once (its writer reads it back fresh); other replicas' copies age out within capMs.
  const keysByPath = new Map<string, Set<string>>();
  const forget = (path: string) => {
    for (const key of keysByPath.get(path) ?? []) cache.delete(key);
    keysByPath.delete(path);
  };
  const serve = (ctx: Context, key: string): boolean => {
    const cached = cache.get(key);
    if (!cached) return false;
    const entry = { ...cached.value, storedAt: cached.storedAt };
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
    if (capMs <= 0) return next();
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD' && ctx.method !== 'OPTIONS') {
      await next();
      forget(ctx.path);
      return;
    }
    if (!anonymousGet(ctx)) return next();
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
        const keys = keysByPath.get(ctx.path) ?? new Set<string>();
        keysByPath.set(ctx.path, keys.add(key));
        if (keysByPath.size > maxEntries) keysByPath.delete(keysByPath.keys().next().value!);
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
