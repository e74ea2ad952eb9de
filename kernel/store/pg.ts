import pg from 'pg';
import { Gauge } from 'prom-client';
import { registry } from '../http/metrics';
import { pgReplicaConfig, type PgConfig } from '../config';
import { primaryPosition, ReadRouter, setWriteTokenSource } from './read-replica';
import type { Logger } from '../logger';
import type { ServiceContext } from '../service';

// NUMERIC and BIGINT arrive as strings by default; money is integer minor units in BIGINT,
// which fits a JS number exactly up to 2^53, so parse BIGINT (int8) as number and keep NUMERIC a string.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new Error(`bigint ${v} exceeds the exact range of a JS number`);
  return n;
});

/** Every pool this process opened, by application name (one per service and role: `order`, `order-reads`). */
const pools = new Map<string, pg.Pool>();

/**
 * Connections per pool: `waiting` above zero means queries queue for a connection, the first
 * thing to look at when a service is slow while PostgreSQL is not busy.
 */
new Gauge({
  name: 'pg_pool_clients',
  help: 'PostgreSQL pool clients by state (total, idle, waiting for a connection)',
  labelNames: ['pool', 'state'] as const,
  registers: [registry],
  collect() {
    for (const [name, pool] of pools) {
      this.set({ pool: name, state: 'total' }, pool.totalCount);
      this.set({ pool: name, state: 'idle' }, pool.idleCount);
      this.set({ pool: name, state: 'waiting' }, pool.waitingCount);
    }
  },
});

/**
 * A pool bound to the service's own schema. Every service owns one PostgreSQL schema (named
 * after the service) and never reads another's: the database is shared for operations, the
 * data is not.
 */
export function createPool(config: PgConfig, schema: string, applicationName: string, connectTimeoutMs = 5_000): pg.Pool {
  const pool = new pg.Pool({
    host: config.host,
    port: config.port,
    user: config.user,
    password: config.password,
    database: config.database,
    max: config.poolSize,
    application_name: applicationName,
    options: `-c search_path=${schema},public`,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: connectTimeoutMs,
  });
  pools.set(applicationName, pool);
  return pool;
}

/**
 * A connection that PostgreSQL drops (a restart, a failover) makes its client emit `error`. The
 * pool listens on idle clients only: it removes its listener while a client is checked out, so a
 * client held across the drop (a transaction, an advisory lock, the outbox drain) would emit an
 * unhandled `error` and end the process — seen under `npm run chaos` (infra-restarts). Every
 * client gets its own listener when it connects; the failed query still rejects to its caller.
 */
export function survivesLostConnections(pool: pg.Pool, onLost: (err: Error) => void): void {
  pool.on('error', onLost);
  pool.on('connect', (client) => client.on('error', onLost));
}

/** A pool or a client inside a transaction: store methods that can join a caller's transaction take this. */
export type Queryable = pg.Pool | pg.PoolClient;

/**
 * A read as a named statement outside any transaction: each connection parses and plans it once.
 * When a migration changes a table's columns while this process runs (a rolling deploy),
 * PostgreSQL refuses a prepared statement whose result type changed (0A000, "cached plan must
 * not change result type"); the read is then sent unnamed, so a deploy costs a round trip, not
 * an error. (Inside a transaction that error would abort it: there, send the query unnamed.)
 */
export async function preparedRead<R extends pg.QueryResultRow>(pool: pg.Pool, name: string, text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
  try {
    return await pool.query<R>({ name, text, values });
  } catch (err) {
    if ((err as { code?: string }).code === '0A000') return pool.query<R>(text, values);
    throw err;
  }
}

/** Runs fn in one transaction; rolls back on any error. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** One schema change, kept in code (compiled with the service, so nothing is copied at build). */
export interface Migration {
  /** Sortable and unique within the service, e.g. `001_products`. Never renamed once released. */
  version: string;
  sql: string;
}

/**
 * Applies the migrations in order, each once, each in its own transaction.
 * An advisory lock serialises replicas starting together, so a migration never runs twice.
 */
export async function migrate(pool: pg.Pool, schema: string, migrations: Migration[], logger: Logger): Promise<string[]> {
  const applied: string[] = [];
  const table = `${pg.escapeIdentifier(schema)}.schema_migrations`;
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [`migrate:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(schema)}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${table} (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await client.query<{ version: string }>(`SELECT version FROM ${table}`)).rows.map((r) => r.version));
    for (const migration of [...migrations].sort((a, b) => a.version.localeCompare(b.version))) {
      if (done.has(migration.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(`SET LOCAL search_path = ${pg.escapeIdentifier(schema)}, public`);
        await client.query(migration.sql);
        await client.query(`INSERT INTO ${table} (version) VALUES ($1)`, [migration.version]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${schema}/${migration.version} failed: ${(err as Error).message}`);
      }
      applied.push(migration.version);
      logger.info({ migration: migration.version }, 'migration applied');
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`migrate:${schema}`]).catch(() => undefined);
    client.release();
  }
  return applied;
}

/** Runs fn while holding a PostgreSQL advisory lock on one connection (locks are per session). */
export async function withAdvisoryLock<T>(pool: pg.Pool, name: string, fn: () => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [name]);
    try {
      return await fn();
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [name]);
    }
  } finally {
    client.release();
  }
}

/**
 * The usual start-up of a service that owns a PostgreSQL schema: pool, migrations,
 * a `postgres` readiness check and a close hook (the platform's checks, `dapr` and the state
 * store, every service gets from kernel/service.ts).
 */
export async function connectPostgres(
  ctx: ServiceContext,
  config: PgConfig,
  schema: string,
  migrations: Migration[],
): Promise<pg.Pool> {
  const pool = createPool(config, schema, ctx.config.service);
  survivesLostConnections(pool, (err) => ctx.logger.warn({ err: err.message }, 'PostgreSQL connection lost'));
  await migrate(pool, schema, migrations, ctx.logger);
  ctx.readiness.add('postgres', async () => {
    await pool.query('SELECT 1');
  });
  ctx.onClose(() => pool.end());
  return pool;
}

/**
 * The read side of a service whose reads may go to the hot standby (PG_REPLICA_PORT): a router
 * over `primary` and a pool on the replica, and the write token every successful write answers.
 * The replica is no readiness check: without it, reads go to the primary.
 */
export function connectReadReplica(ctx: ServiceContext, config: PgConfig, schema: string, primary: pg.Pool): ReadRouter {
  const replica = pgReplicaConfig();
  if (!replica) return new ReadRouter(primary, undefined, { waitMs: 0 });
  const pool = createPool({ ...config, host: replica.host, port: replica.port }, schema, `${ctx.config.service}-reads`, 1_000);
  survivesLostConnections(pool, (err) => ctx.logger.warn({ err: err.message }, 'read replica connection lost'));
  ctx.onClose(() => pool.end());
  setWriteTokenSource(() => primaryPosition(primary));
  let warned = 0;
  return new ReadRouter(primary, pool, {
    waitMs: replica.waitMs,
    tokenless: replica.tokenless,
    onReplicaError: (err) => {
      // Once a minute at most: a replica down sends every read to the primary, and says so once.
      if (Date.now() - warned < 60_000) return;
      ctx.logger.warn({ err: err.message }, 'read replica unavailable: reading from the primary');
      warned = Date.now();
    },
  });
}
