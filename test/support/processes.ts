import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The repository root: the nearest folder above with a package.json (from test/support, or dist/test/support when compiled). */
export const ROOT = (() => {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
})();
const LOG_DIR = path.join(ROOT, '.data', 'logs', 'tests');

/** Polls `url` until it answers 2xx or the deadline passes. */
export async function waitForOk(url: string, timeoutMs = 60_000, what = url): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
      last = `${res.status} ${await res.text()}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} not ready after ${timeoutMs} ms: ${last}`);
}

/** Polls `probe` until it returns a truthy value. */
export async function eventually<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not hold within ${timeoutMs} ms${lastError ? `: ${(lastError as Error).message}` : ''}`);
}

/** The pub/sub topic policy (components/pubsub.yaml): it names the services' topics only. */
const TOPIC_POLICY = /^    - name: (allowedTopics|protectedTopics|publishingScopes|subscriptionScopes)\n      value: .*\n/gm;

/**
 * The project's components/, with `extraAppIds` added to the scopes that name `likeApp`: test
 * apps then load exactly the component definitions that app loads (e.g. the inventory's Redis
 * actor store), and nothing scoped to other apps. The topic policy is left out: test apps use
 * topics of their own.
 */
export function componentsLike(likeApp: string, extraAppIds: string[]): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'commerce-components-'));
  const source = path.join(ROOT, 'components');
  for (const file of readdirSync(source).filter((f) => f.endsWith('.yaml'))) {
    const text = readFileSync(path.join(source, file), 'utf8').replace(TOPIC_POLICY, '').replace(/^scopes: \[(.*)\]$/m, (line, list: string) => {
      const ids = list.split(',').map((id) => id.trim());
      return ids.includes(likeApp) ? `scopes: [${[...ids, ...extraAppIds].join(', ')}]` : line;
    });
    writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

export interface AppWithSidecar {
  appId: string;
  appUrl: string;
  daprUrl: string;
  stop(): Promise<void>;
}

function spawnLogged(name: string, command: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  mkdirSync(LOG_DIR, { recursive: true });
  const log = openSync(path.join(LOG_DIR, `${name}.log`), 'a');
  return spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', log, log] });
}

async function terminate(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts a compiled app (`dist/...js`) and a real daprd beside it, wired to the shared
 * placement and scheduler, and waits until both answer.
 */
export async function startAppWithSidecar(options: {
  appId: string;
  script: string;
  appPort: number;
  daprHttpPort: number;
  daprGrpcPort: number;
  metricsPort: number;
  resourcesPath: string;
  env?: Record<string, string>;
}): Promise<AppWithSidecar> {
  const { APP_API_TOKEN: _stackToken, ...inherited } = process.env;
  const env = {
    ...inherited,
    ...options.env,
    APP_ID: options.appId,
    APP_PORT: String(options.appPort),
    DAPR_HTTP_PORT: String(options.daprHttpPort),
    DAPR_GRPC_PORT: String(options.daprGrpcPort),
    DAPR_HOST_IP: '127.0.0.1',
  };
  const app = spawnLogged(options.appId, process.execPath, ['--enable-source-maps', path.join(ROOT, options.script)], env);
  const sidecar = spawnLogged(`${options.appId}-daprd`, path.join(ROOT, '.dapr/bin/daprd'), [
    '--app-id', options.appId,
    '--app-port', String(options.appPort),
    '--dapr-http-port', String(options.daprHttpPort),
    '--dapr-grpc-port', String(options.daprGrpcPort),
    '--metrics-port', String(options.metricsPort),
    '--resources-path', options.resourcesPath,
    '--config', path.join(ROOT, 'test/fixtures/probe/dapr-config.yaml'),
    // The stack's Sentry signs the probe's certificate (DAPR_TRUST_ANCHORS comes from scripts/stack-env.sh).
    '--enable-mtls', '--sentry-address', 'localhost:50001',
    '--placement-host-address', `127.0.0.1:${process.env.DAPR_PLACEMENT_PORT ?? 25005}`,
    '--scheduler-host-address', `127.0.0.1:${process.env.DAPR_SCHEDULER_PORT ?? 25006}`,
    '--enable-app-health-check', '--app-health-check-path', '/healthz', '--app-health-probe-interval', '1',
    '--log-level', 'info',
  ], env);
  const appUrl = `http://127.0.0.1:${options.appPort}`;
  const daprUrl = `http://127.0.0.1:${options.daprHttpPort}`;
  const stop = async () => {
    await Promise.all([terminate(sidecar), terminate(app)]);
  };
  try {
    await waitForOk(`${appUrl}/healthz`, 30_000, `${options.appId} app`);
    await waitForOk(`${daprUrl}/v1.0/healthz`, 60_000, `${options.appId} sidecar`);
  } catch (err) {
    await stop();
    throw err;
  }
  return { appId: options.appId, appUrl, daprUrl, stop };
}
