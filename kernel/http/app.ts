import { randomUUID, timingSafeEqual } from 'node:crypto';
import Koa, { type Context, type Middleware, type Next } from 'koa';
import Router from '@koa/router';
import type { Logger } from '../logger';
import { HttpProblem, PROBLEM_CONTENT_TYPE, outageOf, outageProblem, type Outage } from '../problem';
import { bodyParser } from './body';
import { httpDuration, registry } from './metrics';
import { checkRequestTarget, readInput, type Route } from './route';
import { API_VERSION, withApiDocument, type ApiInfo } from './openapi';
import type { Readiness } from '../health';
import { authorize } from '../auth/access';
import type { TokenVerifier } from '../auth/verifier';
import { idempotently, type IdempotencyStore } from './idempotency';
import { traceContextOf, withTrace } from '../trace';
import { CONSISTENCY_HEADER, isLsn, tokenAfterWrite, withConsistencyToken } from '../store/read-replica';

declare module 'koa' {
  interface DefaultState {
    requestId: string;
    traceId?: string;
    log: Logger;
  }
}

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function requestContext(logger: Logger) {
  return async function withRequestContext(ctx: Context, next: Next): Promise<void> {
    const incoming = ctx.get('x-request-id');
    const requestId = SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const trace = traceContextOf(ctx.get('traceparent'), ctx.get('tracestate'));
    const traceId = trace?.traceparent.split('-')[1];
    ctx.state.requestId = requestId;
    ctx.state.traceId = traceId;
    // Made on first use: most requests (a cache hit, a read) log nothing at the default level,
    // and a pino child per request is a measurable share of a cheap request's CPU.
    let log: Logger | undefined;
    Object.defineProperty(ctx.state, 'log', { get: () => (log ??= logger.child({ request_id: requestId, trace_id: traceId })), configurable: true, enumerable: true });
    ctx.set('x-request-id', requestId);
    // Calls made while serving this request continue its trace (kernel/trace.ts).
    await withTrace(trace, next);
  };
}

function renderProblem(ctx: Context, problem: HttpProblem): void {
  ctx.status = problem.status;
  for (const [name, value] of Object.entries(problem.headers)) ctx.set(name, value);
  ctx.type = PROBLEM_CONTENT_TYPE;
  ctx.body = problem.toBody(ctx.path);
}

/**
 * Turns every failure into problem+json; only unexpected errors are 500, and they are logged.
 * It also checks the request target first (`checkRequestTarget`: malformed percent-escapes,
 * control characters, NUL), so bad input in a URL is a 400 on every app before any router runs.
 */
/**
 * An outage fails many requests at once: each dependency's first failure is logged at warn,
 * then at most one warn per OUTAGE_LOG_EVERY_MS with the number of failures in between
 * (`suppressed`), the others at debug. Never an error with a stack: nothing is broken here.
 */
const OUTAGE_LOG_EVERY_MS = 5_000;
const outageLog = new Map<string, { at: number; suppressed: number }>();

function logOutage(ctx: Context, outage: Outage, err: unknown): void {
  const now = Date.now();
  const last = outageLog.get(outage.dependency);
  const fields = { dependency: outage.dependency, reason: outage.reason, error: (err as Error)?.message };
  if (last && now - last.at < OUTAGE_LOG_EVERY_MS) {
    last.suppressed += 1;
    ctx.state.log.debug(fields, 'dependency unavailable: 503');
    return;
  }
  outageLog.set(outage.dependency, { at: now, suppressed: 0 });
  ctx.state.log.warn({ ...fields, suppressed: last?.suppressed ?? 0 }, 'dependency unavailable: 503');
}

function errorsAsProblems() {
  return async function problems(ctx: Context, next: Next): Promise<void> {
    try {
      checkRequestTarget(ctx);
      await next();
      if (ctx.status === 404 && ctx.body === undefined) renderProblem(ctx, new HttpProblem(404, `No route for ${ctx.method} ${ctx.path}.`));
    } catch (err) {
      if (err instanceof HttpProblem) return renderProblem(ctx, err);
      const status = (err as { status?: number; expose?: boolean }).status;
      if (status && status >= 400 && status < 500) {
        // Koa and the router throw http-errors for 405 and similar: still the client's problem.
        return renderProblem(ctx, new HttpProblem(status, (err as Error).message));
      }
      if (status === 501) {
        // The router's answer to a method it does not know (PROPFIND, …): the client's doing, not ours.
        return renderProblem(ctx, new HttpProblem(405, `Method ${ctx.method} is not supported.`));
      }
      if (err instanceof URIError) {
        // decodeURIComponent on client text somewhere past the kernel's own check: still bad input.
        return renderProblem(ctx, new HttpProblem(400, 'The request has a malformed percent-escape.', { type: 'https://problems.dapr-commerce.dev/malformed-url', title: 'Malformed request URL' }));
      }
      // PostgreSQL down or refusing connections, the sidecar unreachable, the state store failing:
      // the client may retry shortly (503 + Retry-After), and nothing here is a bug.
      const outage = outageOf(err);
      if (outage) {
        logOutage(ctx, outage, err);
        return renderProblem(ctx, outageProblem(outage));
      }
      ctx.state.log.error({ err }, 'unhandled error');
      renderProblem(ctx, new HttpProblem(500, 'An unexpected error occurred; it has been logged.'));
    }
  };
}

function accessLogAndMetrics(logger: Logger) {
  const logRequests = logger.isLevelEnabled('debug');
  return async function observe(ctx: Context, next: Next): Promise<void> {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = (ctx as unknown as { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
      httpDuration.observe({ method: ctx.method, route, status: String(ctx.status) }, seconds);
      if (logRequests && !ctx.path.startsWith('/healthz') && ctx.path !== '/metrics') {
        ctx.state.log.debug({ method: ctx.method, route, status: ctx.status, ms: Math.round(seconds * 1e4) / 10 }, 'request');
      }
    }
  };
}

/**
 * With APP_API_TOKEN set (the same value the sidecar has), every request but the probes must
 * carry it in `dapr-api-token`: only our own sidecar can then reach the app, so nobody can
 * bypass the gateway or forge `dapr-caller-app-id` by calling the app port directly.
 */
function onlyFromSidecar(appApiToken: string | undefined) {
  const expected = appApiToken ? Buffer.from(appApiToken) : undefined;
  return async function sidecarOnly(ctx: Context, next: Next): Promise<void> {
    if (expected) {
      const given = Buffer.from(ctx.get('dapr-api-token'));
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new HttpProblem(401, 'Requests reach this app only through its Dapr sidecar.');
      }
    }
    await next();
  };
}

/** Paths only the app's own sidecar calls: actor hosting, subscriptions, the app's Dapr config. */
const DAPR_CALLBACK = /^\/(dapr|actors)(\/|$)/;

/**
 * Dapr's callbacks (`/dapr/*`, `/actors/*`) are the sidecar's own calls into its app. A request
 * that another app made through service invocation arrives with `dapr-caller-app-id` (set by the
 * calling sidecar, never by a client) and is refused like an unknown route, even though it also
 * carries the app token: the access-control policies already deny such calls, and this keeps a
 * policy mistake from opening actor state or event delivery to another service. Actor calls
 * between replicas of the same app name the app itself.
 */
function callbacksOnlyFromOwnSidecar(appId: string | undefined) {
  return async function ownSidecarCallbacks(ctx: Context, next: Next): Promise<void> {
    if (DAPR_CALLBACK.test(ctx.path)) {
      const caller = ctx.get('dapr-caller-app-id');
      if (caller && caller !== appId) throw new HttpProblem(404, `No route for ${ctx.method} ${ctx.path}.`);
    }
    await next();
  };
}

/** Prometheus text for GET /metrics, on the app port or on a separate one (createMetricsApp). */
async function serveMetrics(ctx: Context): Promise<void> {
  ctx.type = registry.contentType;
  ctx.body = await registry.metrics();
}

/**
 * A server with only /metrics: the public edge keeps its metrics off the port clients reach
 * (they reveal routes, rates and internals); Prometheus scrapes this one instead.
 */
export function createMetricsApp(): Koa {
  const app = new Koa();
  const router = new Router();
  router.get('/metrics', serveMetrics);
  app.use(router.routes());
  return app;
}

export interface HttpAppOptions {
  logger: Logger;
  bodyLimitBytes: number;
  routes: Route[];
  readiness: Readiness;
  /** Extra routers mounted before the service's routes (Dapr callbacks: actors, subscriptions). */
  extraRouters?: Router[];
  /** Verifies access tokens; without one, only public and internal routes can succeed. */
  verifier?: TokenVerifier;
  /** Shared secret with the sidecar (Dapr's APP_API_TOKEN); unset in development and tests. */
  appApiToken?: string;
  /** This app's Dapr app id: only its own sidecar (or replicas of it) may call its Dapr callbacks. */
  appId?: string;
  /** false: no /metrics on this app (the public edge serves it on a separate port). */
  serveMetrics?: boolean;
  /** Keeps Idempotency-Key records; without it the header is ignored. */
  idempotency?: IdempotencyStore;
  /** Title and version of the generated `GET /openapi.json`. */
  apiInfo?: ApiInfo;
  /**
   * Policies run on every request but the probes, after request context, metrics and problem
   * rendering (so their refusals are logged, counted and problem+json) and before the body is
   * read and any route runs: the gateway's CORS, edge token check and rate limit.
   */
  middleware?: Middleware[];
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function mountRoutes(router: Router, routes: Route[], verifier?: TokenVerifier, idempotency?: IdempotencyStore): void {
  for (const route of routes) {
    router.register(route.path, [route.method], async (ctx: Context) => {
      // Who first, then what: an anonymous caller learns nothing about a route's schema.
      const caller = await authorize(ctx, route.access ?? 'customer', verifier, route.internalCallers);
      const handle = () => route.handler(readInput(route, ctx, caller));
      const kernelKeeps = idempotency && MUTATING.has(route.method) && route.idempotency !== 'route';
      const reply = kernelKeeps ? await idempotently(ctx, idempotency, caller, handle) : await handle();
      ctx.status = reply.status ?? (reply.body === undefined ? 204 : 200);
      if (reply.body !== undefined) ctx.body = reply.body;
      // After the body: Koa sets Content-Type when a body is assigned; a replayed problem keeps its own.
      for (const [name, value] of Object.entries(reply.headers ?? {})) ctx.set(name, value);
    });
  }
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Read-your-writes with a read replica (kernel/store/read-replica.ts): a request's
 * X-Consistency-Token is the WAL position its reads must have replayed (a malformed one is a
 * 400, not ignored: the client would believe it is honoured); a successful write answers the
 * primary's position after it. Apps without a replica neither need nor send one.
 */
function consistencyTokens() {
  return async function withConsistency(ctx: Context, next: Next): Promise<void> {
    const token = ctx.get(CONSISTENCY_HEADER).trim() || undefined;
    if (token !== undefined && !isLsn(token)) throw new HttpProblem(400, `${CONSISTENCY_HEADER} must be a token this API returned (a WAL position such as 0/3A1B2C8).`);
    await withConsistencyToken(token, next);
    if (!READS.has(ctx.method) && ctx.status < 400) {
      const after = await tokenAfterWrite().catch(() => undefined);
      if (after) ctx.set(CONSISTENCY_HEADER, after);
    }
  };
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
  if (options.serveMetrics !== false) probes.get('/metrics', serveMetrics);

  const router = new Router();
  // Every service describes itself at GET /openapi.json, generated from the same routes.
  const routes = withApiDocument(options.routes, options.apiInfo ?? { title: 'API', version: API_VERSION });
  mountRoutes(router, routes, options.verifier, options.idempotency);

  app.use(requestContext(options.logger));
  app.use(accessLogAndMetrics(options.logger));
  app.use(errorsAsProblems());
  app.use(probes.routes());
  app.use(consistencyTokens());
  app.use(onlyFromSidecar(options.appApiToken));
  app.use(callbacksOnlyFromOwnSidecar(options.appId));
  for (const policy of options.middleware ?? []) app.use(policy);
  app.use(bodyParser(options.bodyLimitBytes));
  for (const extra of options.extraRouters ?? []) app.use(extra.routes());
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: true }));
  return app;
}
