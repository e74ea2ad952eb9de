/**
 * A client that behaves as a well-made storefront (and Stripe) do when the backend is breaking:
 * a mutating call carries an Idempotency-Key and is repeated with the same key after a 5xx,
 * 429 or a dropped connection, waiting as Retry-After says. Every answer is counted, so a
 * scenario can check that nothing but 503/429 + Retry-After (or a dropped connection while a
 * process is being killed) reached the client.
 */
import { randomUUID } from 'node:crypto';
import { api, type JsonResponse } from '../../test/support/gateway';
import { sleep } from './stack';

export class Tally {
  readonly statuses: Record<string, number> = {};
  /** Answers a client must never see: a 5xx other than 503, a 503 without Retry-After. */
  readonly unexpected: string[] = [];

  count(key: string): void {
    this.statuses[key] = (this.statuses[key] ?? 0) + 1;
  }

  total(): number {
    return Object.values(this.statuses).reduce((a, b) => a + b, 0);
  }
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Give up repeating after this long (the answer is then the last one seen). */
  withinMs?: number;
  tally?: Tally;
  /** 5xx answers tolerated without a Retry-After (a gateway whose upstream was SIGKILLed mid-request may answer 502). */
  tolerate?: number[];
}

/** Whether an answer means "not done, try again" (a 409 with Retry-After: the same key is still being processed). */
function transient(status: number, retryAfter: string | null): boolean {
  return status === 429 || status === 408 || status >= 500 || (status === 409 && retryAfter !== null);
}

/**
 * One logical call, repeated while the answer is transient. Returns the final answer, or
 * undefined when only dropped connections were seen until the deadline.
 */
export async function call<T = any>(method: string, path: string, options: CallOptions = {}): Promise<JsonResponse<T> | undefined> {
  const headers = { ...(method !== 'GET' ? { 'idempotency-key': randomUUID() } : {}), ...options.headers };
  const deadline = Date.now() + (options.withinMs ?? 180_000);
  let last: JsonResponse<T> | undefined;
  for (let attempt = 1; ; attempt++) {
    let waitMs = Math.min(2000, 100 * 2 ** Math.min(attempt, 5));
    try {
      last = await api<T>(method, path, { token: options.token, body: options.body, headers });
      const retryAfter = last.headers.get('retry-after');
      options.tally?.count(String(last.status));
      if (last.status >= 500 && !(last.status === 503 && retryAfter) && !options.tolerate?.includes(last.status)) {
        options.tally?.unexpected.push(`${method} ${path.replace(/[0-9a-f-]{36}/g, ':id')} → ${last.status} ${JSON.stringify(last.body).slice(0, 160)}`);
      }
      if (!transient(last.status, retryAfter)) return last;
      if (retryAfter) waitMs = Math.min(5000, Math.max(200, Number(retryAfter) * 1000 || 1000));
    } catch {
      options.tally?.count('connection');
    }
    if (Date.now() + waitMs > deadline) return last;
    await sleep(waitMs);
  }
}

/** Polls until `done(answer)` or the deadline; transient answers are waited out. */
export async function pollUntil<T = any>(path: string, token: string | undefined, done: (body: T) => boolean, withinMs: number, tally?: Tally): Promise<T | undefined> {
  const deadline = Date.now() + withinMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    const res = await call<T>('GET', path, { token, withinMs: Math.max(1000, deadline - Date.now()), tally });
    if (res && res.status === 200 && (typeof res.body !== 'object' || res.body === null)) {
      // A 200 that is not the resource is an answer no client may see: counted, polled again.
      tally?.unexpected.push(`GET ${path.replace(/[0-9a-f-]{36}/g, ':id')} → 200 without a body (${JSON.stringify(Object.fromEntries(res.headers)).slice(0, 300)})`);
    } else if (res && res.status === 200) {
      last = res.body;
      if (done(res.body)) return res.body;
    }
    await sleep(250);
  }
  return last;
}
