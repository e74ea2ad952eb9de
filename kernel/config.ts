/**
 * Configuration from the environment, read in one place per service.
 * Every variable has a documented default (README, "Configuration"), so a bare `node main.js`
 * works on a developer machine started with `npm run up`.
 */
export function envString(name: string, fallback: string): string {
  const value = process.env[name];
  return value === undefined || value === '' ? fallback : value;
}

export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value)) throw new Error(`${name} must be an integer, got "${raw}"`);
  return value;
}

export function envBool(name: string, fallback: boolean): boolean {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  return ['1', 'true', 'yes', 'on'].includes(raw.toLowerCase());
}

/** Settings every service shares; each service adds its own beside these. */
export interface BaseConfig {
  service: string;
  /** Port the app listens on; the sidecar calls it here (APP_PORT is set by `dapr run`). */
  port: number;
  /** Interface to listen on: loopback by default (the sidecar is local); 0.0.0.0 in a pod. */
  listenHost: string;
  /** Dapr's APP_API_TOKEN: when set, only requests from our own sidecar are served. */
  appApiToken: string | undefined;
  /** Dapr's DAPR_API_TOKEN: the sidecar serves its API only to callers that send it (our app). */
  daprApiToken: string | undefined;
  /** The sidecar's HTTP API (DAPR_HTTP_PORT is set by `dapr run`). */
  daprHttpPort: number;
  daprGrpcPort: number;
  logLevel: string;
  /** Largest request body accepted, in bytes. */
  bodyLimitBytes: number;
  /** How long graceful shutdown waits for in-flight requests before closing anyway. */
  shutdownGraceMs: number;
}

export function baseConfig(service: string, defaultPort: number): BaseConfig {
  return {
    service,
    port: envInt('APP_PORT', defaultPort),
    listenHost: envString('APP_LISTEN_HOST', '127.0.0.1'),
    appApiToken: process.env.APP_API_TOKEN || undefined,
    daprApiToken: process.env.DAPR_API_TOKEN || undefined,
    daprHttpPort: envInt('DAPR_HTTP_PORT', 3500),
    daprGrpcPort: envInt('DAPR_GRPC_PORT', 50001),
    logLevel: envString('LOG_LEVEL', 'info'),
    bodyLimitBytes: envInt('HTTP_BODY_LIMIT_BYTES', 1024 * 1024),
    shutdownGraceMs: envInt('SHUTDOWN_GRACE_MS', 10_000),
  };
}

export interface PgConfig {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  poolSize: number;
}

/** The read replica (a hot standby of the primary); absent when PG_REPLICA_PORT is not set. */
export interface PgReplicaConfig {
  host: string;
  port: number;
  /** How long a read waits for the replica to replay what it must see before it reads the primary. */
  waitMs: number;
  /** Reads without a consistency token: `fresh` (past the primary's position as they begin) or `replica` (as it is). */
  tokenless: 'fresh' | 'replica';
}

export function pgReplicaConfig(): PgReplicaConfig | undefined {
  const port = envInt('PG_REPLICA_PORT', 0);
  if (port === 0) return undefined;
  const tokenless = envString('PG_REPLICA_TOKENLESS', 'fresh');
  if (tokenless !== 'fresh' && tokenless !== 'replica') throw new Error('PG_REPLICA_TOKENLESS must be fresh or replica');
  return { host: envString('PG_REPLICA_HOST', envString('PG_HOST', '127.0.0.1')), port, waitMs: envInt('PG_REPLICA_WAIT_MS', 200), tokenless };
}

export function pgConfig(): PgConfig {
  return {
    host: envString('PG_HOST', '127.0.0.1'),
    port: envInt('PG_PORT', 15432),
    user: envString('PG_USER', 'commerce'),
    password: envString('PG_PASSWORD', 'commerce'),
    database: envString('PG_DATABASE', 'commerce'),
    poolSize: envInt('PG_POOL_SIZE', 10),
  };
}
