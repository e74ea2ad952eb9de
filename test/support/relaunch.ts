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

/** The app's process and its daprd, each when it is running. */
export function runningParts(appId: string): { app?: Captured; sidecar?: Captured } {
  let app: Captured | undefined;
  let sidecar: Captured | undefined;
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const c = capture(Number(entry));
      if (c.argv.some((a) => a.endsWith(`dist/apps/${appId}/src/main.js`))) app = c;
      const i = c.argv.indexOf('--app-id');
      if (c.argv[0]?.endsWith('daprd') && i >= 0 && c.argv[i + 1] === appId) sidecar = c;
    } catch {
      // the process ended while we looked
    }
  }
  return { ...(app ? { app } : {}), ...(sidecar ? { sidecar } : {}) };
}

/** The running app and its daprd, as `dapr run -f dapr.yaml` started them. */
export function findApp(appId: string): { app: Captured; sidecar: Captured } {
  const { app, sidecar } = runningParts(appId);
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
