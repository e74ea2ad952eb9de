/**
 * Per-step latency of the checkout saga from Dapr's own workflow metrics: the order sidecars'
 * `dapr_runtime_workflow_activity_execution_latency` histogram (milliseconds, by activity name),
 * read before and after a scenario; the mean of each activity over the scenario is the change
 * of its sum over the change of its count. Sidecars that do not answer are left out.
 */
type Totals = Map<string, { sum: number; count: number }>;

const SERIES = /^dapr_runtime_workflow_activity_execution_latency_(sum|count)\{([^}]*)\} ([0-9.e+-]+)$/;

export async function activityTotals(metricsUrls: string[]): Promise<Totals> {
  const totals: Totals = new Map();
  for (const url of metricsUrls) {
    const text = await fetch(url, { signal: AbortSignal.timeout(5_000) }).then((r) => (r.ok ? r.text() : ''), () => '');
    for (const line of text.split('\n')) {
      const m = SERIES.exec(line);
      if (!m) continue;
      const name = /activity_name="([^"]*)"/.exec(m[2]!)?.[1] ?? '?';
      const t = totals.get(name) ?? { sum: 0, count: 0 };
      t[m[1] as 'sum' | 'count'] += Number(m[3]);
      totals.set(name, t);
    }
  }
  return totals;
}

/** `activity: mean ms × count` for every activity that ran between the two readings. */
export function perStep(before: Totals, after: Totals): string {
  const steps: string[] = [];
  for (const [name, t] of after) {
    const b = before.get(name) ?? { sum: 0, count: 0 };
    const count = t.count - b.count;
    if (count > 0) steps.push(`${name} ${Math.round((t.sum - b.sum) / count)} ms × ${count}`);
  }
  return steps.join(', ') || 'none recorded';
}
