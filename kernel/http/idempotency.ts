import { createHash } from 'node:crypto';
import type { Context } from 'koa';
import type { Caller } from '../auth/caller';
import type { Sidecar } from '../dapr/sidecar';
import { HttpProblem } from '../problem';
import type { Reply } from './route';

/** The Dapr state store (Redis) that keeps idempotency records; its key prefix is the app id. */
export const IDEMPOTENCY_STORE = 'statestore';
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
const TTL_SECONDS = 24 * 3600;
/** Headers that identify an anonymous caller (a guest cart's id): their keys are kept apart. */
const GUEST_IDENTITY_HEADERS = ['x-cart-id'];

interface StoredRecord {
  fingerprint: string;
  state: 'processing' | 'done';
  reply?: { status: number; body?: unknown; headers?: Record<string, string> };
}

/**
 * The request's `Idempotency-Key`, checked (1–255 visible ASCII characters, else 400), or
 * undefined without one. Also for routes that keep the key themselves (`idempotency: 'route'`).
 */
export function idempotencyKeyOf(ctx: Context): string | undefined {
  const key = ctx.get('idempotency-key');
  if (!key) return undefined;
  if (!KEY_PATTERN.test(key)) throw new HttpProblem(400, 'Idempotency-Key must be 1–255 visible ASCII characters.');
  return key;
}

/** Where idempotency records live; the Dapr sidecar in services, a Map in unit tests. */
export interface IdempotencyStore {
  create(key: string, record: StoredRecord): Promise<boolean>;
  read(key: string): Promise<StoredRecord | undefined>;
  finish(key: string, record: StoredRecord): Promise<void>;
  forget(key: string): Promise<void>;
}

export function sidecarIdempotencyStore(sidecar: Sidecar): IdempotencyStore {
  return {
    create: (key, record) => sidecar.saveState(IDEMPOTENCY_STORE, key, record, { firstWrite: true, ttlSeconds: TTL_SECONDS }),
    read: (key) => sidecar.getState<StoredRecord>(IDEMPOTENCY_STORE, key),
    finish: async (key, record) => {
      // The record was created with first-write concurrency: Redis then refuses any overwrite
      // that does not name its ETag, so read it and write back with it.
      const current = await sidecar.getStateWithEtag(IDEMPOTENCY_STORE, key);
      const saved = await sidecar.saveState(IDEMPOTENCY_STORE, key, record, {
        ttlSeconds: TTL_SECONDS,
        firstWrite: true,
        ...(current ? { etag: current.etag } : {}),
      });
      if (!saved) throw new Error(`idempotency record ${key} changed underneath`);
    },
    forget: (key) => sidecar.deleteState(IDEMPOTENCY_STORE, key),
  };
}

/**
 * `Idempotency-Key` for mutating requests (the Stripe model): the first request with a key is
 * processed and its answer kept for 24 h; a repeat gets the same answer (header
 * `Idempotent-Replayed: true`) without running again; a repeat while the first is still running
 * gets 409; the same key with a different request gets 422. Keys are per caller, so one user
 * cannot replay another's answer. A failure (5xx, exception) forgets the key so the client can
 * retry. Services whose effect must be exactly-once under races (orders, payments) also
 * enforce it in their own transaction; this layer makes every other POST safe to retry.
 */
export async function idempotently(
  ctx: Context,
  store: IdempotencyStore,
  caller: Caller | null,
  run: () => Promise<Reply>,
): Promise<Reply> {
  const key = idempotencyKeyOf(ctx);
  if (!key) return run();

  const who = caller?.id ?? `anonymous:${GUEST_IDENTITY_HEADERS.map((h) => ctx.get(h)).join('|')}`;
  const storeKey = `idem|${who}|${ctx.method}|${ctx.path}|${key}`;
  const fingerprint = createHash('sha256').update(ctx.method).update('\0').update(ctx.url).update('\0').update(ctx.request.rawBody ?? Buffer.alloc(0)).digest('hex');

  if (!(await store.create(storeKey, { fingerprint, state: 'processing' }))) {
    const existing = await store.read(storeKey);
    if (!existing) throw new HttpProblem(409, 'The earlier request with this Idempotency-Key just finished; retry.', { headers: { 'retry-after': '1' } });
    if (existing.fingerprint !== fingerprint) throw new HttpProblem(422, 'This Idempotency-Key was used for a different request.');
    if (existing.state === 'processing' || !existing.reply) {
      throw new HttpProblem(409, 'A request with this Idempotency-Key is still being processed.', { headers: { 'retry-after': '1' } });
    }
    return { ...existing.reply, headers: { ...existing.reply.headers, 'idempotent-replayed': 'true' } };
  }

  let reply: Reply;
  try {
    reply = await run();
  } catch (err) {
    // A client error is an answer too: keep it, so a repeat gets the same 4xx without re-running.
    if (err instanceof HttpProblem && err.status < 500) {
      await store.finish(storeKey, { fingerprint, state: 'done', reply: { status: err.status, body: err.toBody(ctx.path), headers: { 'content-type': 'application/problem+json', ...err.headers } } });
    } else {
      await store.forget(storeKey).catch(() => undefined);
    }
    throw err;
  }
  await store.finish(storeKey, { fingerprint, state: 'done', reply: { status: reply.status ?? (reply.body === undefined ? 204 : 200), body: reply.body, headers: reply.headers } });
  return reply;
}
