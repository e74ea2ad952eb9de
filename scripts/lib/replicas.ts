/**
 * Replicas on one machine: what `SCALE=cart=2,order=2 npm run up` starts besides dapr.yaml.
 *
 * Replica k (k >= 2) of an app runs under the same app id with every port of dapr.yaml moved by
 * 100 * (k - 1): app 80NN → 81NN, sidecar HTTP 35NN → 36NN, gRPC 310NN → 311NN, metrics 91NN →
 * 92NN (and the gateway's own metrics 9190 → 9290). Placement then spreads the actors (carts,
 * stock items, the workflow's) over every host of a type; mDNS name resolution spreads service
 * invocation over every sidecar of an app id; RabbitMQ spreads an app's subscriptions over its
 * consumers (one queue per app id and topic).
 *
 * With more than one gateway, nginx takes the public :8000 and balances over them; replica 1 of
 * the gateway then listens on 8090. Pure: no I/O (scripts/replicas.ts reads and writes the files).
 */

/** The most replicas an app may have here: replica 4's ports would reach Elasticsearch's. */
export const MAX_REPLICAS = 3;
/** Where the first gateway replica listens when nginx owns the public port. */
export const GATEWAY_BEHIND_NGINX_PORT = 8090;
const PORT_STEP = 100;
const GATEWAY_METRICS_PORT = 9190;

export interface RunFileApp {
  appID: string;
  appPort: number;
  daprHTTPPort: number;
  daprGRPCPort: number;
  metricsPort: number;
  appDirPath: string;
  configFilePath: string;
  env?: Record<string, string>;
  [key: string]: unknown;
}

export interface RunFile {
  version: number;
  common: { resourcesPaths: string[]; [key: string]: unknown };
  apps: RunFileApp[];
}

/** One running copy of an app, with the ports a caller (a test, Prometheus, nginx) needs. */
export interface Instance {
  app: string;
  replica: number;
  appPort: number;
  daprHttpPort: number;
  sidecarMetricsPort: number;
  /** Where the app serves /metrics: its own port, the gateway's METRICS_PORT. */
  appMetricsPort: number;
}

export interface ReplicaPlan {
  /** Replicas per app id (1 for every app not named in SCALE). */
  scale: Record<string, number>;
  /** The run files, replica 1 first; each for `dapr run -f`. */
  runFiles: RunFile[];
  instances: Instance[];
  /** The gateway replicas nginx balances over; empty when one gateway serves :8000 itself. */
  gatewayUpstreams: number[];
}

export class ScaleError extends Error {}

/** Parses `gateway=2,cart=2` (spaces allowed; an app named twice, an unknown app or a count outside 1..3 is refused). */
export function parseScale(spec: string | undefined, appIds: readonly string[]): Record<string, number> {
  const scale: Record<string, number> = Object.fromEntries(appIds.map((id) => [id, 1]));
  const seen = new Set<string>();
  for (const part of (spec ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const match = /^([a-z][a-z0-9-]*)\s*=\s*(\d+)$/.exec(part);
    if (!match) throw new ScaleError(`SCALE: "${part}" is not app=count`);
    const [, app, count] = match as unknown as [string, string, string];
    if (!appIds.includes(app)) throw new ScaleError(`SCALE: no app "${app}" (apps: ${appIds.join(', ')})`);
    if (seen.has(app)) throw new ScaleError(`SCALE: "${app}" is named twice`);
    const n = Number(count);
    if (n < 1 || n > MAX_REPLICAS) throw new ScaleError(`SCALE: ${app}=${n}: replicas must be 1 to ${MAX_REPLICAS}`);
    seen.add(app);
    scale[app] = n;
  }
  return scale;
}

function shifted(app: RunFileApp, replica: number, behindNginx: boolean): RunFileApp {
  const step = PORT_STEP * (replica - 1);
  const gatewayEnv: Record<string, string> =
    app.appID === 'gateway' && behindNginx
      ? // Behind nginx the socket peer is nginx: the client is the X-Forwarded-For entry it wrote.
        { GATEWAY_TRUST_PROXY: 'true', METRICS_PORT: String(GATEWAY_METRICS_PORT + step) }
      : {};
  const env = { ...(app.env ?? {}), ...gatewayEnv };
  return {
    ...app,
    appPort: app.appID === 'gateway' && behindNginx && replica === 1 ? GATEWAY_BEHIND_NGINX_PORT : app.appPort + step,
    daprHTTPPort: app.daprHTTPPort + step,
    daprGRPCPort: app.daprGRPCPort + step,
    metricsPort: app.metricsPort + step,
    ...(Object.keys(env).length > 0 ? { env } : {}),
  };
}

function instanceOf(app: RunFileApp, replica: number): Instance {
  const step = PORT_STEP * (replica - 1);
  return {
    app: app.appID,
    replica,
    appPort: app.appPort,
    daprHttpPort: app.daprHTTPPort,
    sidecarMetricsPort: app.metricsPort,
    appMetricsPort: app.appID === 'gateway' ? GATEWAY_METRICS_PORT + step : app.appPort,
  };
}

/** The run files and instances for `scale`, from dapr.yaml's own (replica 1) entries. */
export function planReplicas(base: RunFile, scale: Record<string, number>): ReplicaPlan {
  const behindNginx = (scale.gateway ?? 1) > 1;
  const most = Math.max(1, ...Object.values(scale));
  const runFiles: RunFile[] = [];
  const instances: Instance[] = [];
  for (let replica = 1; replica <= most; replica++) {
    const apps = base.apps.filter((a) => (scale[a.appID] ?? 1) >= replica).map((a) => shifted(a, replica, behindNginx));
    runFiles.push({ ...base, apps });
    instances.push(...apps.map((a) => instanceOf(a, replica)));
  }
  const gatewayUpstreams = behindNginx ? instances.filter((i) => i.app === 'gateway').map((i) => i.appPort) : [];
  return { scale, runFiles, instances, gatewayUpstreams };
}
