/**
 * One load run with autocannon (MIT; k6 is AGPL and not used): a fixed number of connections
 * for a fixed time, every response's latency recorded so p50/p95/p99 are exact (autocannon's own
 * summary has no p95).
 */
import autocannon from 'autocannon';

export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  errors: number;
  non2xx: number;
  statuses: Record<string, number>;
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function summarize(latencies: number[], seconds: number, errors: number, statuses: Record<string, number>): LoadResult {
  const sorted = Float64Array.from(latencies).sort();
  const non2xx = Object.entries(statuses).filter(([s]) => !s.startsWith('2')).reduce((n, [, c]) => n + c, 0);
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    requests: latencies.length,
    seconds: round(seconds),
    rps: Math.round(latencies.length / seconds),
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1] ?? NaN),
    errors,
    non2xx,
    statuses,
  };
}

export interface LoadOptions {
  url: string;
  connections: number;
  seconds: number;
  headers?: Record<string, string>;
  /** Requests each connection cycles through (autocannon's `requests`). */
  requests?: autocannon.Request[];
  method?: 'GET' | 'POST';
  body?: string;
}

export async function load(options: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const started = process.hrtime.bigint();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      // Only the options given: autocannon treats a key set to undefined as set.
      Object.fromEntries(
        Object.entries({ url: options.url, connections: options.connections, duration: options.seconds, headers: options.headers, method: options.method, body: options.body, requests: options.requests, timeout: 10 }).filter(([, v]) => v !== undefined),
      ) as unknown as autocannon.Options,
      (err, done) => (err ? reject(err) : resolve(done)),
    );
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      latencies.push(responseTime);
      statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
    });
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return summarize(latencies, seconds, result.errors + result.timeouts, statuses);
}
