import type { Access } from '../auth/caller';
import { PROBLEM_CONTENT_TYPE } from '../problem';
import { defineRoute, type Method, type Route } from './route';

/**
 * The OpenAPI 3.1 document of a service, generated from its Route[] — the same objects the
 * HTTP layer validates with, so the description cannot drift from the behaviour. OpenAPI 3.1
 * takes JSON Schema as it is, so route schemas are copied in unchanged.
 */
export const OPENAPI_PATH = '/openapi.json';
/** The version of the HTTP API (not of the package); change it with a breaking change. */
export const API_VERSION = '0.1.0';

type JsonObject = Record<string, unknown>;

export interface ApiInfo {
  title: string;
  version: string;
  description?: string;
}

export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  description?: string;
  schema: unknown;
}

export interface OpenApiOperation {
  operationId: string;
  summary: string;
  tags?: string[];
  parameters?: OpenApiParameter[];
  requestBody?: JsonObject;
  responses: Record<string, JsonObject>;
  security: Array<Record<string, string[]>>;
  /** Who may call it, in this codebase's terms (public, customer, admin). */
  'x-access': Access;
  [extension: `x-${string}`]: unknown;
}

export type OpenApiPathItem = Partial<Record<Lowercase<Method>, OpenApiOperation>>;

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: ApiInfo;
  servers?: Array<{ url: string; description?: string }>;
  paths: Record<string, OpenApiPathItem>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
  tags?: Array<{ name: string; description?: string }>;
}

/** RFC 9457 problem details, the one error shape of every service and the gateway (kernel/problem.ts). */
export const PROBLEM_SCHEMA = {
  type: 'object',
  description: 'RFC 9457 problem details.',
  properties: {
    type: { type: 'string', format: 'uri-reference', description: 'Identifies the kind of problem; `about:blank` when the status says it all.' },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string', description: 'What went wrong for this request, for a human.' },
    instance: { type: 'string', description: 'The request path.' },
    errors: {
      type: 'array',
      description: 'Validation failures, one per violated rule.',
      items: {
        type: 'object',
        properties: { pointer: { type: 'string', description: 'JSON pointer into the request, e.g. `/body/items/0/quantity`.' }, detail: { type: 'string' } },
        required: ['pointer', 'detail'],
      },
    },
  },
  required: ['type', 'title', 'status'],
} as const;

export const BEARER_AUTH = 'bearerAuth';
export const BEARER_AUTH_SCHEME = {
  type: 'http',
  scheme: 'bearer',
  bearerFormat: 'JWT',
  description: 'An EdDSA-signed access token from `POST /auth/login`, sent as `Authorization: Bearer <token>`.',
} as const;

/** Components every document shares, so that merged documents agree on them. */
export function sharedComponents(): OpenApiDocument['components'] {
  return { schemas: { Problem: structuredClone(PROBLEM_SCHEMA) }, securitySchemes: { [BEARER_AUTH]: { ...BEARER_AUTH_SCHEME } } };
}

const PARAM = /:([A-Za-z_$][\w$]*)/g;

/** Koa-router `/products/:id` is OpenAPI `/products/{id}`. */
export function openApiPath(path: string): string {
  return path.replace(PARAM, '{$1}');
}

function pathParamNames(path: string): string[] {
  return [...path.matchAll(PARAM)].map((m) => m[1]!);
}

/** `GET /products/:id` → `getProductsById`: stable, readable, unique as long as paths are. */
export function operationIdOf(method: Method, path: string): string {
  const words = path.split('/').filter(Boolean).flatMap((segment) =>
    segment.startsWith(':') ? ['by', ...segment.slice(1).split(/[^A-Za-z0-9]+/)] : segment.split(/[^A-Za-z0-9]+/),
  );
  return method.toLowerCase() + words.filter(Boolean).map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}

function propertiesOf(schema: unknown): { properties: Record<string, JsonObject>; required: string[] } {
  if (typeof schema !== 'object' || schema === null) return { properties: {}, required: [] };
  const { properties, required } = schema as { properties?: Record<string, JsonObject>; required?: string[] };
  return { properties: properties ?? {}, required: required ?? [] };
}

function parametersOf(route: Route): OpenApiParameter[] {
  const parameters: OpenApiParameter[] = [];
  const params = propertiesOf(route.params);
  for (const name of pathParamNames(route.path)) {
    // A path parameter without a schema is still a parameter; OpenAPI requires each one declared.
    const schema = params.properties[name] ?? { type: 'string' };
    parameters.push(withDescription({ name, in: 'path', required: true, schema }, schema));
  }
  const query = propertiesOf(route.query);
  for (const [name, schema] of Object.entries(query.properties)) {
    parameters.push(withDescription({ name, in: 'query', required: query.required.includes(name), schema }, schema));
  }
  return parameters;
}

function withDescription(parameter: OpenApiParameter, schema: JsonObject): OpenApiParameter {
  return typeof schema.description === 'string' ? { ...parameter, description: schema.description } : parameter;
}

const problemContent = { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } };

function responsesOf(route: Route, access: Access): Record<string, JsonObject> {
  const responses: Record<string, JsonObject> = {};
  for (const [status, spec] of Object.entries(route.responses)) {
    if (Number(status) >= 400) responses[status] = { description: spec.description, content: problemContent };
    else responses[status] = spec.schema === undefined ? { description: spec.description } : { description: spec.description, content: { 'application/json': { schema: spec.schema } } };
  }
  // The answers the kernel gives on its own (validation, access), unless the route says more.
  const implied: Array<[string, string, boolean]> = [
    ['400', 'The request does not match the schema (`errors` lists each violation).', Boolean(route.body || route.query || route.params)],
    ['401', 'No valid access token.', access === 'customer' || access === 'admin'],
    ['403', 'Only administrators may do this.', access === 'admin'],
  ];
  for (const [status, description, applies] of implied) {
    if (applies && !responses[status]) responses[status] = { description, content: problemContent };
  }
  responses.default = { description: 'Any other error, as RFC 9457 problem details.', content: problemContent };
  return responses;
}

function operationOf(route: Route, access: Access): OpenApiOperation {
  const parameters = parametersOf(route);
  return {
    operationId: route.operationId ?? operationIdOf(route.method, route.path),
    summary: route.summary,
    ...(route.tags?.length ? { tags: [...route.tags] } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: route.body } } } } : {}),
    responses: responsesOf(route, access),
    // Public routes need no token (a valid one is still recognised); the rest need a bearer token.
    security: access === 'public' ? [] : [{ [BEARER_AUTH]: [] }],
    'x-access': access,
  };
}

/** The public description of `routes`; `internal` routes (service to service) are left out. */
export function openApiDocument(routes: Route[], info: ApiInfo): OpenApiDocument {
  const paths: Record<string, OpenApiPathItem> = {};
  for (const route of routes) {
    const access = route.access ?? 'customer';
    if (access === 'internal') continue;
    const item = (paths[openApiPath(route.path)] ??= {});
    item[route.method.toLowerCase() as Lowercase<Method>] = operationOf(route, access);
  }
  const tags = [...new Set(Object.values(paths).flatMap((item) => Object.values(item).flatMap((op) => op.tags ?? [])))].sort();
  // A copy, so that nobody holding the document can change a schema the validator uses.
  return structuredClone({ openapi: '3.1.0', info, paths, components: sharedComponents(), tags: tags.map((name) => ({ name })) });
}

/** `GET /openapi.json`: the service's own document, built once on first request. */
export function apiDocumentRoute(document: () => OpenApiDocument): Route {
  return defineRoute({
    method: 'GET',
    path: OPENAPI_PATH,
    summary: 'This API as an OpenAPI 3.1 document',
    access: 'public',
    tags: ['meta'],
    responses: { 200: { description: 'An OpenAPI 3.1 document' } },
    handler: async () => ({ body: document(), headers: { 'cache-control': 'public, max-age=60' } }),
  });
}

/**
 * `routes` plus `GET /openapi.json` describing them, unless the service serves that path itself
 * (the gateway answers it with the merged document of all services).
 */
export function withApiDocument(routes: Route[], info: ApiInfo): Route[] {
  if (routes.some((r) => r.method === 'GET' && r.path === OPENAPI_PATH)) return routes;
  let document: OpenApiDocument | undefined;
  const all: Route[] = [...routes, apiDocumentRoute(() => (document ??= openApiDocument(all, info)))];
  return all;
}
