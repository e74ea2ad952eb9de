import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './processes';

/** What it takes to start a process again exactly as it was started. */
export interface Captured {
  pid: number;
  argv: string[];
  env: Record<string, string>;
  cwd: string;
}

function capture(pid: number): Captured {
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  const env = Object.fromEntries(
    readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
  return { pid, argv, env, cwd: readlinkSync(`/proc/${pid}/cwd`) };
}

/** The app port a captured app (APP_PORT, set by `dapr run`) or sidecar (--app-port) serves. */
function appPortOf(c: Captured): number | undefined {
  const i = c.argv.indexOf('--app-port');
  const port = i >= 0 ? c.argv[i + 1] : c.env.APP_PORT;
  return port ? Number(port) : undefined;
}

/**
 * The app's process and its daprd, each when it is running. With replicas (SCALE), the replica
 * serving `appPort`; without it, the one with the lowest app port (replica 1: dapr.yaml's).
 */
export function runningParts(appId: string, appPort?: number): { app?: Captured; sidecar?: Captured } {
  const apps: Captured[] = [];
  const sidecars: Captured[] = [];
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const c = capture(Number(entry));
      if (c.argv.some((a) => a.endsWith(`dist/apps/${appId}/src/main.js`))) apps.push(c);
      const i = c.argv.indexOf('--app-id');
      if (c.argv[0]?.endsWith('daprd') && i >= 0 && c.argv[i + 1] === appId) sidecars.push(c);
    } catch {
      // the process ended while we looked
    }
  }
  const port = appPort ?? Math.min(...[...apps, ...sidecars].map((c) => appPortOf(c) ?? Infinity));
  const app = apps.find((c) => appPortOf(c) === port) ?? (appPort === undefined && apps.length === 1 ? apps[0] : undefined);
  const sidecar = sidecars.find((c) => appPortOf(c) === port) ?? (appPort === undefined && sidecars.length === 1 ? sidecars[0] : undefined);
  return { ...(app ? { app } : {}), ...(sidecar ? { sidecar } : {}) };
}

/** The running app and its daprd, as `dapr run -f dapr.yaml` started them. */
export function findApp(appId: string, appPort?: number): { app: Captured; sidecar: Captured } {
  const { app, sidecar } = runningParts(appId, appPort);
  if (!app || !sidecar) throw new Error(`${appId} and its sidecar are not running (is the stack up?)`);
  return { app, sidecar };
}

async function gone(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.split(' ')[2] === 'Z') return;
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  process.kill(pid, 'SIGKILL');
}

export async function stop(c: Captured, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  try {
    process.kill(c.pid, signal);
  } catch {
    return;
  }
  await gone(c.pid, 20_000);
}

/** Starts a captured process again (same argv, env and folder), detached, logging under .data/logs/tests. */
export function relaunch(c: Captured, logName: string): number {
  const dir = path.join(ROOT, '.data', 'logs', 'tests');
  mkdirSync(dir, { recursive: true });
  const log = openSync(path.join(dir, `${logName}.log`), 'a');
  const child = spawn(c.argv[0]!, c.argv.slice(1), { cwd: c.cwd, env: c.env, detached: true, stdio: ['ignore', log, log] });
  child.unref();
  return child.pid!;
}
