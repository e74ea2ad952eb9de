import type { AddressInfo } from 'node:net';
import http from 'node:http';
import { createHttpApp } from '../../kernel/http/app';
import { defineRoute, type Route } from '../../kernel/http/route';
import { Readiness } from '../../kernel/health';
import { createLogger } from '../../kernel/logger';
import { openApiDocument, openApiPath, operationIdOf, type OpenApiDocument } from '../../kernel/http/openapi';
import { operation, operationsOf, semanticProblems, validateOpenApi } from '../support/openapi';

const itemBody = {
  type: 'object',
  properties: { sku: { type: 'string', minLength: 1 }, quantity: { type: 'integer', minimum: 1 }, note: { type: ['string', 'null'] } },
  required: ['sku', 'quantity'],
  additionalProperties: false,
} as const;
const item = { type: 'object', properties: { id: { type: 'string', format: 'uuid' }, sku: { type: 'string' } }, required: ['id', 'sku'] } as const;
const noop = async () => ({});

const sampleRoutes: Route[] = [
  defineRoute({
    method: 'GET', path: '/items', summary: 'List items', access: 'public', tags: ['items'],
    query: { type: 'object', properties: { limit: { type: 'string', pattern: '^[0-9]+$', description: 'page size' }, q: { type: 'string' } }, required: ['q'], additionalProperties: false } as const,
    responses: { 200: { description: 'Items', schema: { type: 'object', properties: { items: { type: 'array', items: item } } } } },
    handler: noop,
  }),
  defineRoute({
    method: 'PUT', path: '/items/:id', summary: 'Replace an item', tags: ['items'],
    params: { type: 'object', properties: { id: { type: 'string', format: 'uuid' } }, required: ['id'], additionalProperties: false } as const,
    body: itemBody,
    responses: { 200: { description: 'The item', schema: item }, 404: { description: 'No such item' }, 409: { description: 'Version conflict' } },
    handler: noop,
  }),
  defineRoute({ method: 'DELETE', path: '/items/:id/notes/:noteId', summary: 'Delete a note', access: 'admin', responses: { 204: { description: 'Deleted' } }, handler: noop }),
  defineRoute({ method: 'POST', path: '/items/:id/reserve', summary: 'Saga step', access: 'internal', responses: { 200: { description: 'Reserved' } }, handler: noop }),
];

describe('the OpenAPI document generated from routes', () => {
  const document = openApiDocument(sampleRoutes, { title: 'sample', version: '1.2.3' });

  test('is a valid OpenAPI 3.1 document with unique operation ids and declared path parameters', () => {
    const [result] = validateOpenApi([document]);
    expect(result).toMatchObject({ valid: true, version: '3.1' });
    expect(semanticProblems(document)).toEqual([]);
    expect(document).toMatchObject({ openapi: '3.1.0', info: { title: 'sample', version: '1.2.3' } });
  });

  test('the validator does refuse a broken document (so a pass means something)', () => {
    const broken = { ...document, paths: { '/x': { get: { responses: { 200: { content: {} } } } } } };
    expect(validateOpenApi([broken])[0]!.valid).toBe(false);
  });

  test('describes every route but the internal ones, with {param} paths', () => {
    expect(operationsOf(document)).toEqual(['DELETE /items/{id}/notes/{noteId}', 'GET /items', 'PUT /items/{id}']);
    expect(JSON.stringify(document)).not.toContain('reserve');
    expect(openApiPath('/a/:b/c/:d_e')).toBe('/a/{b}/c/{d_e}');
    expect(operationIdOf('GET', '/auth/.well-known/jwks.json')).toBe('getAuthWellKnownJwksJson');
    expect(operation(document, 'PUT', '/items/{id}').operationId).toBe('putItemsById');
  });

  test('takes parameters from the params and query schemas, the body from the body schema', () => {
    expect(operation(document, 'GET', '/items').parameters).toEqual([
      { name: 'limit', in: 'query', required: false, description: 'page size', schema: { type: 'string', pattern: '^[0-9]+$', description: 'page size' } },
      { name: 'q', in: 'query', required: true, schema: { type: 'string' } },
    ]);
    const put = operation(document, 'PUT', '/items/{id}');
    expect(put.parameters).toEqual([{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }]);
    expect(put.requestBody).toEqual({ required: true, content: { 'application/json': { schema: itemBody } } });
    // A path parameter with no schema is still declared, as a string.
    expect(operation(document, 'DELETE', '/items/{id}/notes/{noteId}').parameters?.map((p) => p.name)).toEqual(['id', 'noteId']);
  });

  test('success answers carry their schema; errors are problem+json; security follows access', () => {
    const put = operation(document, 'PUT', '/items/{id}');
    expect(put.responses['200']).toEqual({ description: 'The item', content: { 'application/json': { schema: item } } });
    for (const status of ['400', '401', '404', '409', 'default']) {
      expect(put.responses[status]).toMatchObject({ content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });
    }
    expect(put.responses['403']).toBeUndefined();
    expect(put.security).toEqual([{ bearerAuth: [] }]);
    expect(put.tags).toEqual(['items']);

    const remove = operation(document, 'DELETE', '/items/{id}/notes/{noteId}');
    expect(Object.keys(remove.responses).sort()).toEqual(['204', '401', '403', 'default']);
    expect(remove['x-access']).toBe('admin');

    const list = operation(document, 'GET', '/items');
    expect(list.security).toEqual([]);
    expect(list.responses['401']).toBeUndefined();
    expect(document.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(document.components.schemas.Problem).toMatchObject({ required: ['type', 'title', 'status'] });
  });

  test('a route without declared responses still gets a valid responses object', () => {
    const bare = openApiDocument([defineRoute({ method: 'GET', path: '/bare', summary: 'bare', responses: {}, handler: noop })], { title: 't', version: '1' });
    expect(Object.keys(operation(bare, 'GET', '/bare').responses)).toEqual(['401', 'default']);
    expect(validateOpenApi([bare])[0]!.valid).toBe(true);
  });

  test('does not share schema objects with the routes the validator uses', () => {
    const copy = openApiDocument(sampleRoutes, { title: 'sample', version: '1' });
    (operation(copy, 'PUT', '/items/{id}').requestBody as { content: Record<string, { schema: { required: string[] } }> }).content['application/json']!.schema.required.push('x');
    expect(itemBody.required).toEqual(['sku', 'quantity']);
  });
});

describe('GET /openapi.json on every service', () => {
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    const app = createHttpApp({ logger: createLogger('openapi-test', 'silent'), bodyLimitBytes: 1024, routes: sampleRoutes, readiness: new Readiness(), apiInfo: { title: 'sample', version: '9.9.9' } });
    server = http.createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  test('is mounted by the kernel, public, and describes the service and itself', async () => {
    const res = await fetch(`${base}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    const served = (await res.json()) as OpenApiDocument;
    expect(served.info).toEqual({ title: 'sample', version: '9.9.9' });
    expect(operationsOf(served)).toEqual(['DELETE /items/{id}/notes/{noteId}', 'GET /items', 'GET /openapi.json', 'PUT /items/{id}']);
    expect(validateOpenApi([served])[0]!.valid).toBe(true);
  });
});
