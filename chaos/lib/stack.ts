/**
 * Breaking the running stack the way a machine breaks: SIGKILL an app or its sidecar and start
 * it again exactly as `dapr run` started it, stop and start a backing service with the
 * project's own infra scripts, hold a PostgreSQL lock to make it slow.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { pgConfig } from '../../kernel/config';
import { survivesLostConnections } from '../../kernel/store/pg';
import { sidecarHeaders } from '../../test/support/gateway';
import { ROOT, eventually } from '../../test/support/processes';
import { findApp, relaunch, stop, type Captured } from '../../test/support/relaunch';

const run = promisify(execFile);

export const APP_PORTS: Record<string, { app: number; dapr: number }> = {
  gateway: { app: 8000, dapr: 3500 },
  catalog: { app: 8001, dapr: 3501 },
  search: { app: 8002, dapr: 3502 },
  cart: { app: 8003, dapr: 3503 },
  order: { app: 8004, dapr: 3504 },
  payment: { app: 8005, dapr: 3505 },
  inventory: { app: 8006, dapr: 3506 },
  promotions: { app: 8007, dapr: 3507 },
  user: { app: 8008, dapr: 3508 },
};

export type Part = 'app' | 'sidecar';

async function answers(url: string, headers: Record<string, string> = {}): Promise<boolean> {
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(2000) });
    return res.ok;
  } catch {
    return false;
  }
}

/** The app ready and its sidecar healthy (the app's /readyz includes its sidecar and workflow stream). */
export async function waitUntilReady(appId: string, timeoutMs = 120_000): Promise<void> {
  const ports = APP_PORTS[appId]!;
  await eventually(
    async () => (await answers(`http://127.0.0.1:${ports.dapr}/v1.0/healthz`, sidecarHeaders())) && (await answers(`http://127.0.0.1:${ports.app}/readyz`)),
    timeoutMs,
    `${appId} ready again`,
  );
}

/**
 * SIGKILL one part of an app (the other part left running), wait `downMs`, start it again as it
 * was started, and wait until the app is ready. Returns how long it took to be ready again.
 */
export async function killAndRestart(appId: string, part: Part, downMs: number, label: string): Promise<number> {
  const found = findApp(appId);
  const victim: Captured = part === 'app' ? found.app : found.sidecar;
  const t0 = Date.now();
  await stop(victim, 'SIGKILL');
  if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
  relaunch(victim, `chaos-${label}`);
  await waitUntilReady(appId);
  return Date.now() - t0;
}

export type Service = 'postgres' | 'redis' | 'rabbitmq' | 'elasticsearch' | 'stripe-mock';

/** `scripts/infra/<service>.sh stop|start`: the project's own way of running it. */
export async function infra(service: Service, action: 'stop' | 'start'): Promise<void> {
  await run('bash', [path.join(ROOT, 'scripts', 'infra', `${service}.sh`), action], { cwd: ROOT, timeout: 180_000, maxBuffer: 4 * 1024 * 1024 });
}

/** Messages each RabbitMQ queue has handed to a consumer and not had acknowledged yet. */
export async function unacknowledged(): Promise<Map<string, number>> {
  const { stdout } = await run('bash', [path.join(ROOT, 'scripts', 'infra', 'rabbitmq.sh'), 'ctl', 'list_queues', '--quiet', '--no-table-headers', 'name', 'messages_unacknowledged'], { cwd: ROOT, timeout: 120_000 });
  const held = new Map<string, number>();
  for (const line of stdout.split('\n')) {
    const [name, count] = line.trim().split(/\s+/);
    if (name && Number(count) > 0) held.set(name, Number(count));
  }
  return held;
}

/** Every app ready (after a backing service came back), but those in `except` (e.g. search while another scenario holds Elasticsearch down). */
export async function allReady(timeoutMs = 180_000, except: string[] = []): Promise<void> {
  await Promise.all(Object.keys(APP_PORTS).filter((id) => !except.includes(id)).map((id) => waitUntilReady(id, timeoutMs)));
}

/** A pool for reading the stores when checking invariants (an operator's view, not a client's). */
export function storePool(): pg.Pool {
  const pool = new pg.Pool({ ...pgConfig(), max: 4 });
  survivesLostConnections(pool, () => undefined); // the scenario restarts PostgreSQL itself
  return pool;
}

/** A random whole number of milliseconds in [min, max). */
export function between(minMs: number, maxMs: number): number {
  return Math.floor(minMs + Math.random() * (maxMs - minMs));
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A counter from an app's sidecar metrics (ports 9100-9108 in app order), summed over the series whose labels include `labels`. */
export async function sidecarCounter(appId: string, metric: string, labels: Record<string, string>): Promise<number> {
  const port = 9100 + Object.keys(APP_PORTS).indexOf(appId);
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
