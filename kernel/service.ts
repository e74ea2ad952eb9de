import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type { AbstractActor } from '@dapr/dapr';
import type { ActorRuntimeOptions } from '@dapr/dapr/types/actors/ActorRuntimeOptions';
import { baseConfig, envInt, envString, type BaseConfig } from './config';
import { createLogger, type Logger } from './logger';
import { addPlatformChecks, Readiness } from './health';
import http from 'node:http';
import { createHttpApp, createMetricsApp } from './http/app';
import { setServiceLabel } from './http/metrics';
import type { Route } from './http/route';
import { Sidecar } from './dapr/sidecar';
import { actorHost } from './dapr/actors';
import { parkedGauge, subscriptionRouter, type Subscription } from './dapr/subscriptions';
import type { DeadLetterStore } from './store/dead-letters';
import { deadLetterRoutes } from './http/dead-letter-routes';
import { serve, type RunningService } from './lifecycle';
import { TokenVerifier, type JwksSource } from './auth/verifier';
import { IDEMPOTENCY_STORE, sidecarIdempotencyStore } from './http/idempotency';
import { API_VERSION } from './http/openapi';

/** The user service publishes its token-signing public keys here. */
export const USER_APP_ID = 'user';
export const JWKS_PATH = '/auth/.well-known/jwks.json';

/** What every service's start-up gets to build its routes from. */
export interface ServiceContext {
  config: BaseConfig;
  logger: Logger;
  sidecar: Sidecar;
  readiness: Readiness;
  /** Verifies access tokens against the user service's keys (fetched lazily, on first use). */
  verifier: TokenVerifier;
  /** Register a release hook (pool.end, client.close); run in reverse order on shutdown. */
  onClose(hook: () => Promise<void>): void;
}

export interface ServiceDefinition {
  name: string;
  defaultPort: number;
  /** The public edge (gateway) takes traffic from clients, not only from its sidecar. */
  publicEdge?: boolean;
  /** Connect stores, run migrations, register readiness checks; returns the service's parts. */
  setup(ctx: ServiceContext): Promise<{
    routes: Route[];
    subscriptions?: Subscription[];
    actors?: Array<new (...args: never[]) => AbstractActor>;
    actorOptions?: ActorRuntimeOptions;
    /** Routers mounted after Dapr's callbacks and before `routes` (the gateway's proxy). */
    extraRouters?: Router[];
    /** Request policies run before the body is read and any route runs (the gateway's edge policies). */
    middleware?: Middleware[];
    /** Where token-verification keys come from; the user service's JWKS through Dapr unless set. */
    jwks?: JwksSource;
    /**
     * Where this consumer parks the messages it cannot process (its schema's `dead_letters`,
     * with DEAD_LETTER_MIGRATION): it then consumes its own dead-letter topics into it and serves
     * the operator's `/admin/dead-letters/<app>` routes.
     */
    deadLetters?: DeadLetterStore;
  }>;
}

/** Starts a service the same way every time; main.ts files are one call to this. */
export async function startService(definition: ServiceDefinition): Promise<RunningService & ServiceContext> {
  const config = baseConfig(definition.name, definition.defaultPort);
  const logger = createLogger(definition.name, config.logLevel);
  setServiceLabel(definition.name);
  const readiness = new Readiness();
  const sidecar = new Sidecar(config.daprHttpPort, '127.0.0.1', config.daprApiToken);
  // Every service stands on its sidecar; all but the public edge (whose sidecar loads no
  // components) also on the state store behind it, which keeps their Idempotency-Key records.
  addPlatformChecks(readiness, sidecar, { stateStore: definition.publicEdge ? undefined : IDEMPOTENCY_STORE });
  const closers: Array<() => Promise<void>> = [];
  // Built before setup so setup can use it; keys are fetched on first use, from `parts.jwks` once known.
  let jwks: JwksSource = () => sidecar.invokeJson(USER_APP_ID, JWKS_PATH);
  const verifier = new TokenVerifier(() => jwks());
  const ctx: ServiceContext = { config, logger, sidecar, readiness, verifier, onClose: (hook) => closers.push(hook) };

  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));

  const parts = await definition.setup(ctx);
  const extraRouters: Router[] = [];
  if (parts.actors?.length) {
    extraRouters.push(actorHost(config.daprHttpPort, parts.actors as never, parts.actorOptions));
  }
  const routes = [...parts.routes];
  if (parts.subscriptions?.length) {
    extraRouters.push(subscriptionRouter(parts.subscriptions, sidecar, parts.deadLetters));
    if (parts.deadLetters) {
      parkedGauge(parts.deadLetters);
      routes.push(...deadLetterRoutes(definition.name, parts.deadLetters, parts.subscriptions, logger));
    }
  }
  extraRouters.push(...(parts.extraRouters ?? []));

  if (parts.jwks) jwks = parts.jwks;
  const app = createHttpApp({
    logger,
    bodyLimitBytes: config.bodyLimitBytes,
    routes,
    readiness,
    extraRouters,
    middleware: parts.middleware,
    apiInfo: { title: `dapr-commerce ${definition.name}`, version: API_VERSION },
    verifier,
    appApiToken: definition.publicEdge ? undefined : config.appApiToken,
    appId: process.env.APP_ID || definition.name,
    serveMetrics: !definition.publicEdge,
    idempotency: sidecarIdempotencyStore(sidecar),
  });
  if (definition.publicEdge) {
    // Metrics of the public edge on their own port (METRICS_PORT, loopback unless METRICS_HOST).
    const metricsServer = http.createServer(createMetricsApp().callback());
    const metricsPort = envInt('METRICS_PORT', 9190);
    await new Promise<void>((resolve) => metricsServer.listen(metricsPort, envString('METRICS_HOST', '127.0.0.1'), resolve));
    closers.push(() => new Promise<void>((resolve) => metricsServer.close(() => resolve())));
    logger.info({ port: metricsPort }, 'metrics on their own port');
  }
  const running = await serve({ app, port: config.port, host: config.listenHost, logger, readiness, graceMs: config.shutdownGraceMs, onClose: closers });
  return { ...running, ...ctx };
}

/** Entry point of every main.ts: start, or log why not and exit non-zero (the supervisor restarts us). */
export function runService(definition: ServiceDefinition): void {
  startService(definition).catch((err) => {
    createLogger(definition.name, 'info').fatal({ err }, 'start-up failed');
    process.exit(1);
  });
}
