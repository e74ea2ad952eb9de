import type { Context } from 'koa';
import type { FromSchema, JSONSchema } from '../validation';
import { validateUntyped as check } from '../validation';
import type { Access, Caller } from '../auth/caller';
import { HttpProblem } from '../problem';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What a handler gets: validated, typed parts of the request, and Koa's context for the rest. */
export interface RouteInput<B, Q, P, C = Caller | null> {
  body: B;
  query: Q;
  params: P;
  /** The verified caller; always set on `customer` and `admin` routes. */
  caller: C;
  ctx: Context;
}

/** A handler's answer; `undefined` body means 204. */
export interface Reply {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ResponseSpec {
  description: string;
  schema?: JSONSchema;
}

/**
 * A route is data: method, path, schemas and handler. The HTTP layer validates with the
 * schemas and the OpenAPI document is generated from the same objects, so they cannot drift.
 */
export interface Route {
  method: Method;
  /** Koa-router path, e.g. `/products/:id`. */
  path: string;
  summary: string;
  /** OpenAPI operationId; derived from method and path (`getProductsById`) when not said. */
  operationId?: string;
  tags?: string[];
  /** Who may call it; `customer` (any signed-in user) when not said. */
  access?: Access;
  /**
   * `internal` routes: the app ids that may call it. Default: any app but the gateway (whatever
   * reaches a service through the gateway arrives from it, so only a route that names the
   * gateway serves the gateway's own calls; the gateway never routes `/internal/` paths).
   */
  internalCallers?: string[];
  body?: JSONSchema;
  query?: JSONSchema;
  params?: JSONSchema;
  responses: Record<number, ResponseSpec>;
  /**
   * Who honours `Idempotency-Key`: the kernel's record store (the default), or the route itself
   * (`route`), when the key must be part of its own transaction so that concurrent repeats all
   * get the one result instead of 409 (orders derive their id from it).
   */
  idempotency?: 'kernel' | 'route';
  handler: (input: RouteInput<unknown, unknown, unknown>) => Promise<Reply>;
}

type Parsed<S, Otherwise> = S extends JSONSchema ? FromSchema<S> : Otherwise;
type RawQuery = Record<string, string | string[] | undefined>;
type RawParams = Record<string, string>;
type CallerOf<A extends Access> = A extends 'customer' | 'admin' ? Caller : Caller | null;

export function defineRoute<
  const B extends JSONSchema | undefined = undefined,
  const Q extends JSONSchema | undefined = undefined,
  const P extends JSONSchema | undefined = undefined,
  const A extends Access = 'customer',
>(spec: {
  method: Method;
  path: string;
  summary: string;
  operationId?: string;
  tags?: string[];
  access?: A;
  internalCallers?: string[];
  body?: B;
  query?: Q;
  params?: P;
  responses: Record<number, ResponseSpec>;
  idempotency?: 'kernel' | 'route';
  handler: (input: RouteInput<Parsed<B, undefined>, Parsed<Q, RawQuery>, Parsed<P, RawParams>, CallerOf<A>>) => Promise<Reply>;
}): Route {
  return spec as unknown as Route;
}

/** Validates each declared part of the request; parts without a schema pass through untouched. */
export function readInput(route: Route, ctx: Context, caller: Caller | null): RouteInput<unknown, unknown, unknown> {
  const params = (ctx as unknown as { params?: Record<string, string> }).params ?? {};
  const body = ctx.request.body;
  if (route.body === undefined && body !== undefined && ['POST', 'PUT', 'PATCH'].includes(route.method)) {
    // A route that takes no body refuses one rather than ignoring it.
    throw new HttpProblem(400, 'This route takes no request body.');
  }
  return {
    body: route.body ? check(route.body, body === undefined ? {} : body, 'body') : undefined,
    query: route.query ? check(route.query, { ...ctx.query }, 'query') : ctx.query,
    params: route.params ? check(route.params, { ...params }, 'params') : params,
    caller,
    ctx,
  };
}
