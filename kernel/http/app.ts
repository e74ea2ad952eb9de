import { randomUUID } from 'node:crypto';
import Koa, { type Context, type Next } from 'koa';
import Router from '@koa/router';
import type { Logger } from '../logger';
import { HttpProblem, PROBLEM_CONTENT_TYPE } from '../problem';
import { bodyParser } from './body';
import { httpDuration, registry } from './metrics';
import { readInput, type Route } from './route';
import type { Readiness } from '../health';

declare module 'koa' {
  interface DefaultState {
    requestId: string;
    traceId?: string;
    log: Logger;
  }
}

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** W3C traceparent: version-traceid-parentid-flags. Dapr propagates it between sidecars. */
function traceIdOf(traceparent: string): string | undefined {
  const parts = traceparent.split('-');
  return parts.length === 4 && /^[0-9a-f]{32}$/.test(parts[1]!) ? parts[1] : undefined;
}

function requestContext(logger: Logger) {
  return async function withRequestContext(ctx: Context, next: Next): Promise<void> {
    const incoming = ctx.get('x-request-id');
    const requestId = SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const traceId = traceIdOf(ctx.get('traceparent'));
    ctx.state.requestId = requestId;
    ctx.state.traceId = traceId;
    ctx.state.log = logger.child({ request_id: requestId, trace_id: traceId });
    ctx.set('x-request-id', requestId);
    await next();
  };
}

function renderProblem(ctx: Context, problem: HttpProblem): void {
  ctx.status = problem.status;
  for (const [name, value] of Object.entries(problem.headers)) ctx.set(name, value);
  ctx.type = PROBLEM_CONTENT_TYPE;
  ctx.body = problem.toBody(ctx.path);
}

/** Turns every failure into problem+json; only unexpected errors are 500, and they are logged. */
function errorsAsProblems() {
  return async function problems(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) renderProblem(ctx, new HttpProblem(404, `No route for ${ctx.method} ${ctx.path}.`));
    } catch (err) {
      if (err instanceof HttpProblem) return renderProblem(ctx, err);
      const status = (err as { status?: number; expose?: boolean }).status;
      if (status && status >= 400 && status < 500) {
        // Koa and the router throw http-errors for 405/501 and similar: still the client's problem.
        return renderProblem(ctx, new HttpProblem(status, (err as Error).message));
      }
      ctx.state.log.error({ err }, 'unhandled error');
      renderProblem(ctx, new HttpProblem(500, 'An unexpected error occurred; it has been logged.'));
    }
  };
}

function accessLogAndMetrics() {
  return async function observe(ctx: Context, next: Next): Promise<void> {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = (ctx as unknown as { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
      httpDuration.observe({ method: ctx.method, route, status: String(ctx.status) }, seconds);
      if (!ctx.path.startsWith('/healthz') && ctx.path !== '/metrics') {
        ctx.state.log.debug({ method: ctx.method, route, status: ctx.status, ms: Math.round(seconds * 1e4) / 10 }, 'request');
      }
    }
  };
}

export interface HttpAppOptions {
  logger: Logger;
  bodyLimitBytes: number;
  routes: Route[];
  readiness: Readiness;
  /** Extra routers mounted before the service's routes (Dapr callbacks: actors, subscriptions). */
  extraRouters?: Router[];
}

export function mountRoutes(router: Router, routes: Route[]): void {
  for (const route of routes) {
    router.register(route.path, [route.method], async (ctx: Context) => {
      const reply = await route.handler(readInput(route, ctx));
      for (const [name, value] of Object.entries(reply.headers ?? {})) ctx.set(name, value);
      ctx.status = reply.status ?? (reply.body === undefined ? 204 : 200);
      if (reply.body !== undefined) ctx.body = reply.body;
    });
  }
}

/** The Koa app every service runs: the same middleware, probes and error shape everywhere. */
export function createHttpApp(options: HttpAppOptions): Koa {
  const app = new Koa();
  app.proxy = false;
  app.silent = true; // errors are logged by errorsAsProblems, with the request id

  const probes = new Router();
  probes.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  probes.get('/readyz', async (ctx) => {
    const report = await options.readiness.check();
    ctx.status = report.ready ? 200 : 503;
    ctx.body = report;
  });
  probes.get('/metrics', async (ctx) => {
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  });

  const router = new Router();
  mountRoutes(router, options.routes);

  app.use(requestContext(options.logger));
  app.use(accessLogAndMetrics());
  app.use(errorsAsProblems());
  app.use(probes.routes());
  app.use(bodyParser(options.bodyLimitBytes));
  for (const extra of options.extraRouters ?? []) app.use(extra.routes());
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: true }));
  return app;
}
