import type { Context, Next } from 'koa';
import { Counter } from 'prom-client';
import { MicroCache } from '../../../../kernel/cache/micro-cache';
import { registry } from '../../../../kernel/http/metrics';
import { ttlFor } from '../domain/cache-control';

interface CachedResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer | null;
  /** Kept past `capMs` because a change feed evicts it (served only while the feed is healthy). */
  longLived: boolean;
}

/** Answers kept past the short cap while a change feed covers them (product by id). */
export interface LongLivedPolicy {
  matches(path: string): boolean;
  maxMs: number;
  healthy(): boolean;
}

const lookups = new Counter({ name: 'gateway_cache_lookups_total', help: 'Edge cache lookups by outcome', labelNames: ['outcome'] as const, registers: [registry] });

/** Requests that say who the client is never share a cached answer. */
function anonymousGet(ctx: Context): boolean {
  // A read with a consistency token asks for at least that state: never from the cache.
  return ctx.method === 'GET' && !ctx.get('authorization') && !ctx.get('x-cart-id') && !ctx.get('cookie') && !ctx.get('x-consistency-token');
}

/**
 * The edge cache (the seed's L1). Anonymous GETs whose answer says `Cache-Control: public,
 * max-age=N` are served from memory for at most min(N, capMs): a change reaches every replica
 * within capMs with no invalidation at all. Paths a change feed covers (`longLived`) are kept
 * up to `maxMs` instead, and served past capMs only while the feed is healthy; the feed evicts
 * them when they change. A write through this gateway drops its path's entries at once (the
 * writer reads its change back). Concurrent misses for one URL share one upstream request.
 */
export class ResponseCache {
  private readonly cache: MicroCache<CachedResponse>;
  private readonly keysByPath = new Map<string, Set<string>>();
  /** When each path was last evicted: an answer fetched before that must not be kept long. */
  private readonly evictedAt = new Map<string, number>();

  constructor(
    private readonly capMs: number,
    maxEntries: number,
    private readonly longLived?: LongLivedPolicy,
  ) {
    this.cache = new MicroCache<CachedResponse>(maxEntries);
  }

  /** Drops the cached answers of these paths (a change feed said they changed). */
  evict(paths: string[]): void {
    const now = Date.now();
    for (const path of paths) {
      for (const key of this.keysByPath.get(path) ?? []) this.cache.delete(key);
      this.keysByPath.delete(path);
      this.evictedAt.set(path, now);
    }
    if (this.evictedAt.size > 50_000) {
      for (const [path, at] of this.evictedAt) if (now - at > 60_000) this.evictedAt.delete(path);
    }
  }

  /** Drops every long-lived answer (the feed lost track: it was down, or too much changed). */
  evictLongLived(): void {
    for (const [path, keys] of this.keysByPath) {
      const anyKey = keys.values().next().value;
      if (anyKey !== undefined && this.cache.get(anyKey)?.value.longLived) this.evict([path]);
    }
  }

  middleware() {
    return async (ctx: Context, next: Next): Promise<void> => {
      if (this.capMs <= 0) return next();
      if (ctx.method !== 'GET' && ctx.method !== 'HEAD' && ctx.method !== 'OPTIONS') {
        await next();
        this.evict([ctx.path]);
        return;
      }
      if (!anonymousGet(ctx)) return next();
      const key = `${ctx.get('accept')}\0${ctx.url}`;
      // `Cache-Control: no-cache` from the client: go to the service (and keep its fresh answer).
      const revalidate = /no-cache/i.test(ctx.get('cache-control')) || /no-cache/i.test(ctx.get('pragma'));
      if (!revalidate && this.serve(ctx, key)) {
        lookups.inc({ outcome: 'hit' });
        return;
      }
      let filled = false;
      const filledHere = await this.cache.once(key, async () => {
        filled = true;
        const fetchedAt = Date.now();
        await next();
        this.store(ctx, key, fetchedAt);
      });
      if (filledHere || filled) {
        lookups.inc({ outcome: 'miss' });
        return;
      }
      // Waited for another request's fill: its answer, or our own request when it was not cacheable.
      if (!revalidate && this.serve(ctx, key)) lookups.inc({ outcome: 'coalesced' });
      else {
        lookups.inc({ outcome: 'miss' });
        await next();
      }
    };
  }

  private store(ctx: Context, key: string, fetchedAt: number): void {
    const shortTtl = ctx.status === 200 ? ttlFor(ctx.response.get('cache-control') || undefined, this.capMs) : 0;
    if (shortTtl <= 0) return;
    const longLived = Boolean(
      this.longLived?.matches(ctx.path) && this.longLived.healthy() && (this.evictedAt.get(ctx.path) ?? 0) < fetchedAt,
    );
    const headers: Record<string, string> = {};
    for (const name of ['content-type', 'etag', 'cache-control', 'last-modified', 'vary']) {
      const value = ctx.response.get(name);
      if (value) headers[name] = value;
    }
    // The gateway's own routes answer with objects (its merged /openapi.json): kept as the JSON
    // Koa sends, never as String(object), which is "[object Object]".
    const raw: unknown = ctx.body;
    const body = Buffer.isBuffer(raw) ? raw : raw == null ? null : Buffer.from(typeof raw === 'string' ? raw : JSON.stringify(raw));
    this.cache.set(key, { status: ctx.status, headers, body, longLived }, longLived ? this.longLived!.maxMs : shortTtl);
    const keys = this.keysByPath.get(ctx.path) ?? new Set<string>();
    this.keysByPath.set(ctx.path, keys.add(key));
    if (this.keysByPath.size > this.cache.maxEntries) this.keysByPath.delete(this.keysByPath.keys().next().value!);
  }

  private serve(ctx: Context, key: string): boolean {
    const cached = this.cache.get(key);
    if (!cached) return false;
    const age = Date.now() - cached.storedAt;
    if (age >= this.capMs && !(cached.value.longLived && this.longLived?.healthy())) {
      this.cache.delete(key);
      return false;
    }
    const entry = cached.value;
    ctx.status = entry.status;
    for (const [name, value] of Object.entries(entry.headers)) {
      if (name === 'vary') ctx.vary(value);
      else ctx.set(name, value);
    }
    ctx.set('x-cache', 'hit');
    ctx.set('age', String(Math.floor(age / 1000)));
    const etag = entry.headers.etag;
    if (etag && ctx.get('if-none-match') === etag) {
      ctx.status = 304;
      ctx.body = null;
      return true;
    }
    ctx.body = entry.body;
    if (!entry.body) ctx.status = entry.status;
    return true;
  }
}
