import type Router from '@koa/router';
import type { AbstractActor } from '@dapr/dapr';
import type { ActorRuntimeOptions } from '@dapr/dapr/types/actors/ActorRuntimeOptions';
import { baseConfig, type BaseConfig } from './config';
import { createLogger, type Logger } from './logger';
import { Readiness } from './health';
import { createHttpApp } from './http/app';
import { setServiceLabel } from './http/metrics';
import type { Route } from './http/route';
import { Sidecar } from './dapr/sidecar';
import { actorHost } from './dapr/actors';
import { subscriptionRouter, type Subscription } from './dapr/subscriptions';
import { serve, type RunningService } from './lifecycle';

/** What every service's start-up gets to build its routes from. */
export interface ServiceContext {
  config: BaseConfig;
  logger: Logger;
  sidecar: Sidecar;
  readiness: Readiness;
  /** Register a release hook (pool.end, client.close); run in reverse order on shutdown. */
  onClose(hook: () => Promise<void>): void;
}

export interface ServiceDefinition {
  name: string;
  defaultPort: number;
  /** Connect stores, run migrations, register readiness checks; returns the service's parts. */
  setup(ctx: ServiceContext): Promise<{
    routes: Route[];
    subscriptions?: Subscription[];
    actors?: Array<new (...args: never[]) => AbstractActor>;
    actorOptions?: ActorRuntimeOptions;
    /** Routers mounted after Dapr's callbacks and before `routes` (the gateway's proxy). */
    extraRouters?: Router[];
  }>;
}

/** Starts a service the same way every time; main.ts files are one call to this. */
export async function startService(definition: ServiceDefinition): Promise<RunningService & ServiceContext> {
  const config = baseConfig(definition.name, definition.defaultPort);
  const logger = createLogger(definition.name, config.logLevel);
  setServiceLabel(definition.name);
  const readiness = new Readiness();
  const sidecar = new Sidecar(config.daprHttpPort);
  const closers: Array<() => Promise<void>> = [];
  const ctx: ServiceContext = { config, logger, sidecar, readiness, onClose: (hook) => closers.push(hook) };

  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));

  const parts = await definition.setup(ctx);
  const extraRouters: Router[] = [];
  if (parts.actors?.length) {
    extraRouters.push(actorHost(config.daprHttpPort, parts.actors as never, parts.actorOptions));
  }
  if (parts.subscriptions?.length) extraRouters.push(subscriptionRouter(parts.subscriptions));
  extraRouters.push(...(parts.extraRouters ?? []));

  const app = createHttpApp({ logger, bodyLimitBytes: config.bodyLimitBytes, routes: parts.routes, readiness, extraRouters });
  const running = await serve({ app, port: config.port, logger, readiness, graceMs: config.shutdownGraceMs, onClose: closers });
  return { ...running, ...ctx };
}

/** Entry point of every main.ts: start, or log why not and exit non-zero (the supervisor restarts us). */
export function runService(definition: ServiceDefinition): void {
  startService(definition).catch((err) => {
    createLogger(definition.name, 'info').fatal({ err }, 'start-up failed');
    process.exit(1);
  });
}
