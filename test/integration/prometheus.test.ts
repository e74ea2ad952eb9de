/**
 * The local Prometheus (scripts/infra/prometheus.sh, started by `npm run up`): every target the
 * stack has is scraped and up (9 apps and 9 sidecars, or every replica's with SCALE, placement, scheduler, sentry, RabbitMQ,
 * PostgreSQL's exporter, Prometheus itself); the rules file loads and every rule evaluates
 * without error; the series the alerts watch exist, so no alert is silent for want of its
 * metric; and the recording rules yield data once traffic flows.
 */
import { api } from '../support/gateway';
import { eventually } from '../support/processes';
import { prometheus, query } from '../support/prometheus';
import { currentPlan } from '../support/replicas';

interface Target {
  labels: Record<string, string>;
  health: string;
  lastError: string;
}

test('every target of the stack is scraped and up', async () => {
  const down = await eventually(
    async () => {
      const { activeTargets } = await prometheus<{ activeTargets: Target[] }>('/api/v1/targets');
      const notUp = activeTargets.filter((t) => t.health !== 'up');
      return activeTargets.length > 0 && notUp.length === 0 ? activeTargets : undefined;
    },
    90_000,
    'every target up',
  ).catch(async (err) => {
    const { activeTargets } = await prometheus<{ activeTargets: Target[] }>('/api/v1/targets');
    throw new Error(`${(err as Error).message}: ${activeTargets.filter((t) => t.health !== 'up').map((t) => `${t.labels.job} ${t.labels.instance} ${t.health} ${t.lastError}`).join('; ')}`);
  });
  const byJob = new Map<string, string[]>();
  for (const t of down) byJob.set(t.labels.job!, [...(byJob.get(t.labels.job!) ?? []), t.labels.app ?? t.labels.component ?? t.labels.instance!]);
  // One target per running instance: with replicas (SCALE), each app as often as it runs.
  const apps = currentPlan()?.instances.map((i) => i.app).sort() ?? ['cart', 'catalog', 'gateway', 'inventory', 'order', 'payment', 'promotions', 'search', 'user'];
  expect(Object.fromEntries([...byJob].map(([job, names]) => [job, names.sort()]))).toEqual({
    apps,
    sidecars: apps,
    'dapr-control-plane': ['placement', 'scheduler', 'sentry'],
    rabbitmq: [expect.any(String)],
    postgres: [expect.any(String)],
    prometheus: [expect.any(String)],
  });
});

test('the rules load and every rule evaluates without error; the series the alerts watch exist', async () => {
  type Rule = { name: string; health: string; lastError?: string; lastEvaluation: string; type: string };
  const rules = await eventually(
    async () => {
      const { groups } = await prometheus<{ groups: Array<{ name: string; rules: Rule[] }> }>('/api/v1/rules');
      const all = groups.flatMap((g) => g.rules);
      return all.length > 0 && all.every((r) => !r.lastEvaluation.startsWith('0001')) ? all : undefined;
    },
    60_000,
    'every rule evaluated once',
  );
  expect(rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`)).toEqual([]);
  expect(rules.filter((r) => r.type === 'alerting').map((r) => r.name).sort()).toEqual(
    ['CheckoutFailing', 'CheckoutSlow', 'EventsParked', 'MessagesHeldUnacknowledged', 'OrdersStuck', 'PgPoolSaturated', 'PostgresDown', 'ReplicaBehind', 'SearchBehind', 'ServerErrors', 'StockRefusalsHigh', 'TargetDown'],
  );
  // An alert over a metric nobody exports never fires: each watched series exists.
  for (const metric of ['pg_up', 'rabbitmq_queue_messages_unacked', 'http_server_request_duration_seconds_count', 'orders_moved_total', 'orders_open_oldest_seconds', 'pg_stat_replication_pg_wal_lsn_diff', 'pg_pool_clients']) {
    expect({ metric, series: (await query(`count(${metric})`)).length }).toEqual({ metric, series: 1 });
  }
  expect((await query('pg_up'))[0]!.value[1]).toBe('1');
});

test('the recording rules yield data once requests flow', async () => {
  // Two scrapes with traffic between them give rate() something to work on.
  const traffic = (async () => {
    for (let i = 0; i < 60; i += 1) {
      await api('GET', `/products?page_size=1&i=${i}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  const series = await eventually(async () => {
    const result = await query('commerce:http_requests:rate5m');
    return result.some((s) => s.metric.service === 'catalog' && Number(s.value[1]) > 0) ? result : undefined;
  }, 90_000, 'commerce:http_requests:rate5m for the catalog');
  await traffic;
  expect(series.map((s) => s.metric.service)).toEqual(expect.arrayContaining(['catalog', 'gateway']));
});
