/** Small HTTP helpers for the benchmark's drivers. */
import { api, type JsonResponse } from '../../test/support/gateway';

export type Answer<T = any> = JsonResponse<T>;

/** A request to any URL (the tests' client, without its gateway base). */
export function call<T = any>(method: string, url: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer<T>> {
  return api<T>(method, url, { ...options, base: '' });
}

export function expectStatus<T>(answer: Answer<T>, ...ok: number[]): Answer<T> {
  if (!ok.includes(answer.status)) throw new Error(`unexpected ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);
  return answer;
}

/** Runs `task` for every item with at most `width` in flight. */
export async function inParallel<T>(items: T[], width: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await task(items[i]!, i);
      }
    }),
  );
}
