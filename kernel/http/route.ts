import type { Context } from 'koa';
import type { FromSchema, JSONSchema } from '../validation';
import { issuesOf, MAX_REPORTED_ISSUES, pointerToken, unstorable } from '../validation';
import type { Access, Caller } from '../auth/caller';
import { HttpProblem, validationProblem } from '../problem';

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
  // Every part is checked and every violation reported at once (path, query and body), so a
  // client fixes its request in one round trip and an odd id is named even beside a bad body.
  const parts = {
    params: route.params ? { ...params } : params,
    query: route.query ? { ...ctx.query } : ctx.query,
    body: route.body ? (body === undefined ? {} : body) : undefined,
  };
  const issues = [
    ...(route.params ? issuesOf(route.params, parts.params, 'params') : []),
    ...(route.query ? issuesOf(route.query, parts.query, 'query') : []),
    ...(route.body ? issuesOf(route.body, parts.body, 'body') : []),
  ];
  if (issues.length > 0) throw validationProblem(issues.slice(0, MAX_REPORTED_ISSUES));
  return { ...parts, caller, ctx };
}

/** Anything that needs a closer look in a request target: an escape or a control character. */
const SUSPECT_TARGET = /[%\x00-\x1f\x7f]/;
/** What a path segment may not contain once decoded: identifiers never hold C0 controls or DEL. */
const CONTROL = /[\x00-\x1f\x7f]/;

function targetProblem(detail: string, pointer: string, reason: string): HttpProblem {
  return new HttpProblem(400, detail, {
    type: 'https://problems.dapr-commerce.dev/malformed-url',
    title: 'Malformed request URL',
    extensions: { errors: [{ pointer, detail: reason }] },
  });
}

/**
 * The kernel's check of the request target, before any router or route sees it (called by the
 * error middleware, so every app, probe and Dapr callback gets it): every percent-escape of
 * the path and query must decode to UTF-8 (`%zz`, `%E0%A4%A` are a 400, where the router would
 * quietly keep the raw text and `decodeURIComponent` would throw), no path segment may decode
 * to a control character (NUL included), and no query name or value may hold a NUL or an
 * unpaired surrogate (other control characters are accepted in query values, as in JSON
 * strings: see `unstorable`). Cheap for the common case: a target with no `%` and no control
 * character is not looked at further.
 */
export function checkRequestTarget(ctx: Context): void {
  const url = ctx.url;
  if (!SUSPECT_TARGET.test(url)) return;
  const path = ctx.path;
  const segments = path.split('/');
  for (const [i, segment] of segments.entries()) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      throw targetProblem(`Path segment ${i} has a malformed percent-escape.`, `/path/${i}`, 'is not a valid percent-encoded UTF-8 string');
    }
    if (CONTROL.test(decoded)) throw targetProblem(`Path segment ${i} contains a control character.`, `/path/${i}`, 'contains a control character');
  }
  const query = ctx.querystring;
  if (!query) return;
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawName = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? '' : pair.slice(eq + 1);
    let name: string;
    let value: string;
    try {
      name = decodeURIComponent(rawName.replace(/\+/g, ' '));
    } catch {
      throw targetProblem('A query parameter name has a malformed percent-escape.', '/query', 'a parameter name is not a valid percent-encoded UTF-8 string');
    }
    const pointer = `/query/${pointerToken(name)}`;
    try {
      value = decodeURIComponent(rawValue.replace(/\+/g, ' '));
    } catch {
      throw targetProblem(`Query parameter ${JSON.stringify(name)} has a malformed percent-escape.`, pointer, 'is not a valid percent-encoded UTF-8 string');
    }
    const wrong = unstorable(name) ?? unstorable(value);
    if (wrong) throw targetProblem(`Query parameter ${JSON.stringify(name)} ${wrong}.`, pointer, wrong);
  }
}
