/**
 * Replicas of the running stack (SCALE, scripts/replicas.ts): which run, and starting more for a
 * test that needs them, the way an operator does (`SCALE=… npm run up`), then stopping them again.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Instance } from '../../scripts/lib/replicas';
import { sidecarHeaders } from './gateway';
import { ROOT, eventually } from './processes';
import { runningParts, stop } from './relaunch';

const run = promisify(execFile);
const RUN_DIR = path.join(ROOT, '.data', 'run');

export interface Plan {
  scale: Record<string, number>;
  instances: Instance[];
}

/** The plan the stack was last started with (a stack without one runs each app once). */
export function currentPlan(): Plan | undefined {
  const file = path.join(RUN_DIR, 'replicas', 'plan.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Plan) : undefined;
}

/** The SCALE string of a plan's apps that run more than once. */
export function scaleOf(scale: Record<string, number>): string {
  return Object.entries(scale)
    .filter(([, n]) => n > 1)
    .map(([app, n]) => `${app}=${n}`)
    .join(',');
}

export function instance(app: string, replica: number): Instance {
  const found = currentPlan()?.instances.find((i) => i.app === app && i.replica === replica);
  if (!found) throw new Error(`no replica ${replica} of ${app} in the plan`);
  return found;
}

/** The sidecar's view of the actors its app hosts: type → active count. */
export async function activeActors(i: Instance): Promise<Record<string, number>> {
  const res = await fetch(`http://127.0.0.1:${i.daprHttpPort}/v1.0/metadata`, { headers: sidecarHeaders(), signal: AbortSignal.timeout(3000) });
  const body = (await res.json()) as { actorRuntime?: { activeActors?: Array<{ type: string; count?: number }> }; actors?: Array<{ type: string; count?: number }> };
  const list = body.actorRuntime?.activeActors ?? body.actors ?? [];
  return Object.fromEntries(list.map((a) => [a.type, a.count ?? 0]));
}

/**
 * Makes sure every app in `apps` runs at least twice: when some does not, `npm run up` again
 * with the stack's SCALE raised (the running replicas stay as they are). Returns the SCALE to go
 * back to with `restoreScale`, or undefined when nothing had to be started.
 */
export async function ensureTwoReplicas(apps: string[]): Promise<string | undefined> {
  const before = currentPlan()?.scale ?? {};
  if (apps.every((a) => (before[a] ?? 1) >= 2)) return undefined;
  const scale = { ...before, ...Object.fromEntries(apps.map((a) => [a, Math.max(2, before[a] ?? 1)])) };
  await run('bash', [path.join(ROOT, 'scripts', 'up.sh')], { cwd: ROOT, env: { ...process.env, SCALE: scaleOf(scale) }, maxBuffer: 16 * 1024 * 1024 });
  return scaleOf(before);
}

/** Stops replica 2 of `apps` (what ensureTwoReplicas started) and writes the plan of `scale` again. */
export async function restoreScale(scale: string, apps: string[]): Promise<void> {
  const cli = path.join(RUN_DIR, 'dapr-run-2.pid');
  if (existsSync(cli)) {
    try {
      process.kill(Number(readFileSync(cli, 'utf8')), 'SIGTERM');
    } catch {
      // already gone
    }
  }
  for (const app of apps) {
    const port = instance(app, 2).appPort;
    const { app: proc, sidecar } = runningParts(app, port);
    if (proc) await stop(proc);
    if (sidecar) await stop(sidecar);
  }
  await run('node', [path.join(ROOT, 'dist', 'scripts', 'replicas.js'), 'plan'], { cwd: ROOT, env: { ...process.env, SCALE: scale } });
  await run('bash', ['-c', `echo "$SCALE" > "${RUN_DIR}/scale"; rm -f "${cli}"`], { env: { ...process.env, SCALE: scale } });
}

/** Waits until the sidecar of `i` and its app answer as ready. */
export async function waitReady(i: Instance, timeoutMs = 120_000): Promise<void> {
  await eventually(
    async () => {
      const res = await fetch(`http://127.0.0.1:${i.appPort}/readyz`, { signal: AbortSignal.timeout(2000) });
      return res.ok;
    },
    timeoutMs,
    `${i.app} replica ${i.replica} ready`,
  );
}
