import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import type { Caller } from '../auth/caller';
import type { Sidecar } from '../dapr/sidecar';
import { HttpProblem } from '../problem';
import type { Reply } from './route';
import { envInt } from '../config';

/** The Dapr state store (Redis) that keeps idempotency records; its key prefix is the app id. */
export const IDEMPOTENCY_STORE = 'statestore';
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
const TTL_SECONDS = 24 * 3600;
/** Headers that identify an anonymous caller (a guest cart's id): their keys are kept apart. */
const GUEST_IDENTITY_HEADERS = ['x-cart-id'];

/**
 * How long a `processing` record holds its key without word from its request: the request
 * renews it every third of this while it runs. A record whose lease ran out belongs to a request
 * whose process died (a kill, a crash) and would otherwise answer every repeat 409 for its 24 h:
 * the next repeat takes the key over and runs the request (as after a 5xx: the key is free).
 */
export function leaseMs(): number {
  return envInt('IDEMPOTENCY_LEASE_MS', 10_000);
}

/** What a record says; kept only sealed (below), never as it is. */
interface OpenRecord {
  fingerprint: string;
  state: 'processing' | 'done';
  /** processing: the lease's end (ms since the epoch); renewed while the request runs. */
  until?: number;
  reply?: { status: number; body?: unknown; headers?: Record<string, string> };
}

/** What the state store holds: AES-256-GCM bytes, `base64url(iv).base64url(tag).base64url(ciphertext)`. */
export interface StoredRecord {
  sealed: string;
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
  /** Replaces the record only if it is still `expected` (compare-and-set); false if it changed. */
  replace(key: string, expected: StoredRecord, record: StoredRecord): Promise<boolean>;
  forget(key: string): Promise<void>;
  /**
   * A server-side secret that every sealing key is derived with (the same on every replica of
   * an app). Without one, records are sealed under the Idempotency-Key alone.
   */
  readonly secret?: string;
}

/**
 * The secret: IDEMPOTENCY_SECRET, else the app's APP_API_TOKEN (already random, per app, stable
 * across restarts and replicas, and never in Redis; HKDF's `info` keeps the two uses apart).
 * Changing it makes records of the last 24 h unreadable: their repeats get 409, never a rerun.
 */
export function sidecarIdempotencyStore(sidecar: Sidecar, secret = process.env.IDEMPOTENCY_SECRET || process.env.APP_API_TOKEN || undefined): IdempotencyStore {
  return {
    secret,
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
      // A concurrent write won (a repeat took a lapsed key over): the client repeats, and gets 409 or the answer.
      if (!saved) throw new Error(`state save ${IDEMPOTENCY_STORE}/${key} failed: 503 (the record changed underneath)`);
    },
    replace: async (key, expected, record) => {
      // The ETag makes it atomic: two repeats taking over one lapsed key, one of them wins.
      const current = await sidecar.getStateWithEtag<StoredRecord>(IDEMPOTENCY_STORE, key);
      if (!current || current.value.sealed !== expected.sealed) return false;
      return sidecar.saveState(IDEMPOTENCY_STORE, key, record, { ttlSeconds: TTL_SECONDS, firstWrite: true, etag: current.etag });
    },
    forget: (key) => sidecar.deleteState(IDEMPOTENCY_STORE, key),
  };
}

/**
 * Records are sealed because some answers are credentials: a sign-in or a refresh answers
 * with access and refresh tokens, and anyone who can read Redis (a replica, a backup, another
 * app's credentials) must not find them there. Not storing such answers would not do:
 * a refresh retried after a lost answer would present a consumed refresh token again, and reuse
 * detection would end the user's session. So every record is sealed, for every route (a
 * per-route opt-in would be forgotten on the next route that returns a secret):
 *
 * - the record's id is a SHA-256 of (caller, method, path, key), so the Redis key names neither
 *   the caller nor the Idempotency-Key;
 * - its content (fingerprint, state, answer) is AES-256-GCM under a key derived (HKDF-SHA256)
 *   from the Idempotency-Key the client holds and the server's secret, bound to the record id.
 *   The stored bytes are useless without both; the fingerprint (a hash of the request, which
 *   for a sign-in contains the password) is inside too.
 */
function recordIdOf(scope: string): string {
  return `idem|${createHash('sha256').update(scope).digest('base64url')}`;
}

function sealingKeyOf(idempotencyKey: string, scope: string, secret: string | undefined): Buffer {
  return Buffer.from(hkdfSync('sha256', idempotencyKey, secret ?? '', `idempotency-record v1\0${scope}`, 32));
}

function sealRecord(record: OpenRecord, key: Buffer, recordId: string): StoredRecord {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(recordId));
  const data = Buffer.concat([cipher.update(JSON.stringify(record), 'utf8'), cipher.final()]);
  return { sealed: [iv, cipher.getAuthTag(), data].map((b) => b.toString('base64url')).join('.') };
}

/** The record, or undefined when it cannot be opened (another secret, a foreign or damaged value). */
function openRecord(stored: StoredRecord, key: Buffer, recordId: string): OpenRecord | undefined {
  try {
    const [iv, tag, data] = String(stored.sealed).split('.').map((part) => Buffer.from(part, 'base64url'));
    if (!iv || iv.length !== 12 || !tag || tag.length !== 16 || !data) return undefined;
    const decipher = createDecipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(recordId));
    decipher.setAuthTag(tag);
    return JSON.parse(Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8')) as OpenRecord;
  } catch {
    return undefined;
  }
}

/**
 * `Idempotency-Key` for mutating requests (the Stripe model): the first request with a key is
 * processed and its answer kept for 24 h; a repeat gets the same answer (header
 * `Idempotent-Replayed: true`) without running again; a repeat while the first is still running
 * gets 409; the same key with a different request gets 422. Keys are per caller, so one user
 * cannot replay another's answer. A failure (5xx, exception) forgets the key so the client can
 * retry, and so does a 429 (it says "not now", not something about the request; kept, it would
 * replay a stale Retry-After for a day). Services whose effect must be exactly-once under races
 * (orders, payments) also enforce it in their own transaction; this layer makes every other
 * POST safe to retry. Records are sealed (above).
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
  const scope = [who, ctx.method, ctx.path, key].join('\0');
  const storeKey = recordIdOf(scope);
  const sealingKey = sealingKeyOf(key, scope, store.secret);
  const sealed = (record: OpenRecord) => sealRecord(record, sealingKey, storeKey);
  const fingerprint = createHash('sha256').update(ctx.method).update('\0').update(ctx.url).update('\0').update(ctx.request.rawBody ?? Buffer.alloc(0)).digest('hex');

  const lease = leaseMs();
  const processing = () => sealed({ fingerprint, state: 'processing', until: Date.now() + lease });
  // The processing record this request holds: renewals replace exactly it, so a renewal late
  // for the final write (or for a forget) never brings the key back to `processing`.
  let held = processing();
  if (!(await store.create(storeKey, held))) {
    const stored = await store.read(storeKey);
    if (!stored) throw new HttpProblem(409, 'The earlier request with this Idempotency-Key just finished; retry.', { headers: { 'retry-after': '1' } });
    const existing = openRecord(stored, sealingKey, storeKey);
    // Never run again what may have run: the client learns to use a new key instead.
    if (!existing) throw new HttpProblem(409, 'The earlier request with this Idempotency-Key can no longer be read; send it with a new key.');
    if (existing.fingerprint !== fingerprint) throw new HttpProblem(422, 'This Idempotency-Key was used for a different request.');
    const lapsed = existing.state === 'processing' && existing.until !== undefined && existing.until < Date.now();
    held = processing();
    if (!lapsed || !(await store.replace(storeKey, stored, held))) {
      if (existing.state === 'processing' || !existing.reply) {
        throw new HttpProblem(409, 'A request with this Idempotency-Key is still being processed.', { headers: { 'retry-after': '1' } });
      }
      return { ...existing.reply, headers: { ...existing.reply.headers, 'idempotent-replayed': 'true' } };
    }
    // Taken over: the request that held it died; this one runs in its place.
  }

  // While it runs, the lease is renewed, so only a dead request's key lapses.
  // One renewal at a time, and none left in flight when the last write starts (a renewal between
  // its read and its write would make it fail as "changed underneath").
  let renewing: Promise<void> | undefined;
  const renewal = setInterval(() => {
    renewing ??= (async () => {
      const next = processing();
      if (await store.replace(storeKey, held, next)) held = next;
    })()
      .catch(() => undefined)
      .finally(() => (renewing = undefined));
  }, Math.max(100, Math.floor(lease / 3)));
  renewal.unref();
  const stopRenewing = async () => {
    clearInterval(renewal);
    await renewing;
  };
  let reply: Reply;
  try {
    reply = await run();
  } catch (err) {
    await stopRenewing();
    // A client error is an answer too: keep it, so a repeat gets the same 4xx without re-running.
    if (err instanceof HttpProblem && err.status < 500 && err.status !== 429) {
      const done = sealed({ fingerprint, state: 'done', reply: { status: err.status, body: err.toBody(ctx.path), headers: { 'content-type': 'application/problem+json', ...err.headers } } });
      await settleRecord(() => store.finish(storeKey, done));
    } else {
      await settleRecord(() => store.forget(storeKey)).catch(() => undefined);
    }
    throw err;
  }
  await stopRenewing();
  const done = sealed({ fingerprint, state: 'done', reply: { status: reply.status ?? (reply.body === undefined ? 204 : 200), body: reply.body, headers: reply.headers } });
  await settleRecord(() => store.finish(storeKey, done));
  return reply;
}

/** Gaps between the background attempts at a record's last write (about two minutes in all). */
export const SETTLE_RETRY_MS = [500, 1000, 2000, 4000, 8000, 15_000, 30_000, 60_000];

/**
 * The last write of a record (its answer, or forgetting it after a server error). Should the
 * state store fail right then (Redis restarting), the record would stay `processing` for its
 * whole TTL and every repeat of the key would get 409 for a day: so the write is tried again in
 * the background until it lands, while this request still fails (the client repeats, gets 409 +
 * Retry-After meanwhile, then the stored answer).
 */
async function settleRecord(write: () => Promise<void>, gaps = SETTLE_RETRY_MS): Promise<void> {
  try {
    await write();
  } catch (err) {
    void (async () => {
      for (const gap of gaps) {
        await new Promise((resolve) => setTimeout(resolve, gap).unref());
        try {
          await write();
          return;
        } catch {
          // still down: the next gap
        }
      }
    })();
    throw err;
  }
}
