/** The local Prometheus's HTTP API (scripts/infra/prometheus.sh), for the monitoring tests. */
export const PROMETHEUS = `http://${process.env.PROMETHEUS_HOST ?? '127.0.0.1'}:${process.env.PROMETHEUS_PORT ?? '9090'}`;

/** GET an API path; its `data`, or throws with Prometheus's error. */
export async function prometheus<T>(path: string): Promise<T> {
  const res = await fetch(`${PROMETHEUS}${path}`, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as { status: string; data: T; error?: string };
  if (body.status !== 'success') throw new Error(`${path}: ${body.error}`);
  return body.data;
}

/** An instant query's series. */
export const query = (expr: string) => prometheus<{ result: Array<{ metric: Record<string, string>; value: [number, string] }> }>(`/api/v1/query?query=${encodeURIComponent(expr)}`).then((d) => d.result);
