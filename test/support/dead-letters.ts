/**
 * Parked events (kernel/store/dead-letters.ts) as an administrator sees them through the gateway,
 * and which app consumes which topic (components/pubsub.yaml), for tests and chaos scenarios
 * that put messages on the broker and check where they end up.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { api, type JsonResponse } from './gateway';
import { ROOT, eventually } from './processes';

/** One row of `GET /admin/dead-letters/<app>` (dates as ISO strings). */
export interface ParkedEntry {
  id: string;
  dead_letter_topic: string;
  source_topic: string;
  event_id: string;
  payload: any;
  reason: string;
  status: 'parked' | 'replayed';
  attempts: number;
  first_seen: string;
  last_seen: string;
  replayed_at: string | null;
}

export interface ConsumedTopic {
  app: string;
  topic: string;
}

/**
 * Every topic an app subscribes to, from the `subscriptionScopes` of components/pubsub.yaml
 * (`app=topic,topic;app=topic`), without the dead-letter topics (`*.deadletter`): those the
 * consumer reads into its parked events, nobody else publishes them.
 */
export function consumedTopics(file = path.join(ROOT, 'components', 'pubsub.yaml')): ConsumedTopic[] {
  const match = /- name: subscriptionScopes\s*\n\s*value:\s*"([^"]*)"/.exec(readFileSync(file, 'utf8'));
  if (!match) throw new Error(`no subscriptionScopes in ${file}`);
  return match[1]!
    .split(';')
    .map((part) => part.trim())
    .filter(Boolean)
    .flatMap((part) => {
      const [app, list = ''] = part.split('=');
      return list
        .split(',')
        .map((topic) => topic.trim())
        .filter((topic) => topic && !topic.endsWith('.deadletter'))
        .map((topic) => ({ app: app!.trim(), topic }));
    });
}

/**
 * An operator's call: a 503 or 429 with Retry-After (the app unready while a dependency of it
 * restarts) is waited out, as an operator's tool would, for up to `withinMs`.
 */
async function patiently<T = any>(send: () => Promise<JsonResponse<T>>, withinMs = 120_000): Promise<JsonResponse<T>> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const res = await send();
    const retryAfter = Number(res.headers.get('retry-after'));
    if ((res.status !== 503 && res.status !== 429) || !retryAfter || Date.now() + retryAfter * 1000 > deadline) return res;
    await new Promise((resolve) => setTimeout(resolve, Math.min(5, retryAfter) * 1000));
  }
}

/** `GET /admin/dead-letters/<app><query>`: one page, newest first (throws unless 200). */
export async function parkedEvents(token: string, app: string, query = ''): Promise<ParkedEntry[]> {
  const res = await patiently(() => api('GET', `/admin/dead-letters/${app}${query}`, { token, headers: { 'cache-control': 'no-cache' } }));
  if (res.status !== 200) throw new Error(`GET /admin/dead-letters/${app}${query}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.items;
}

/** Waits until an entry of `topic` parked by `app` satisfies `matches`. */
export function waitForParked(token: string, app: string, topic: string, matches: (p: ParkedEntry) => boolean, timeoutMs: number, what = `a parked ${topic} message`): Promise<ParkedEntry> {
  return eventually(async () => (await parkedEvents(token, app, `?topic=${encodeURIComponent(topic)}&limit=500`)).find(matches), timeoutMs, what);
}

export interface ReplayAnswer {
  status: number;
  replayed: string[];
  still_parked: Array<{ id: string; reason: string }>;
}

/** `POST /admin/dead-letters/<app>/replay` with these ids. */
export async function replayParked(token: string, app: string, ids: string[]): Promise<ReplayAnswer> {
  // One Idempotency-Key for the call and its repeats.
  const headers = { 'idempotency-key': randomUUID() };
  const res = await patiently(() => api('POST', `/admin/dead-letters/${app}/replay`, { token, body: { ids }, headers }));
  return { status: res.status, replayed: res.body?.replayed ?? [], still_parked: res.body?.still_parked ?? [] };
}
