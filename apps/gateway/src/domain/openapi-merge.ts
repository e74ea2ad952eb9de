import { sharedComponents, type ApiInfo, type OpenApiDocument, type OpenApiOperation, type OpenApiPathItem } from '../../../../kernel/http/openapi';

/** One service's own document, as fetched from its `GET /openapi.json`. */
export interface ServiceDocument {
  appId: string;
  document: OpenApiDocument;
}

export interface MergeOptions {
  info: ApiInfo;
  servers: Array<{ url: string; description?: string }>;
  /**
   * Which app the gateway sends an operation to (`GET`, `/products/{id}`; routing.ts); an
   * operation it does not send there is not public.
   */
  ownerOf: (method: string, path: string) => string | undefined;
}

/**
 * The gateway's public description: each service's operations that the gateway actually routes
 * to that service, in one OpenAPI 3.1 document. An operation a service describes but the
 * gateway sends elsewhere (or nowhere, like the service's own /openapi.json) is left out:
 * clients cannot reach it through the gateway. Pure: the inputs are not changed.
 */
export function mergeApiDocuments(services: ServiceDocument[], options: MergeOptions): OpenApiDocument {
  const paths: Record<string, OpenApiPathItem> = {};
  const components = sharedComponents();
  for (const { appId, document } of services) {
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      for (const [method, operation] of Object.entries(item) as Array<[keyof OpenApiPathItem, OpenApiOperation]>) {
        if (options.ownerOf(method.toUpperCase(), path) !== appId) continue;
        const merged = (paths[path] ??= {});
        if (merged[method]) throw new Error(`${method.toUpperCase()} ${path} is described by two services`);
        merged[method] = { ...structuredClone(operation), 'x-service': appId };
      }
    }
    for (const part of ['schemas', 'securitySchemes'] as const) {
      for (const [name, value] of Object.entries(document.components?.[part] ?? {})) {
        // The kernel gives every service the same Problem and bearerAuth; a clash is a bug.
        const existing = components[part][name];
        if (existing !== undefined && !sameJson(existing, value)) throw new Error(`${appId} defines components.${part}.${name} differently`);
        components[part][name] = structuredClone(value);
      }
    }
  }
  const sorted = Object.fromEntries(Object.entries(paths).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const tags = [...new Set(Object.values(sorted).flatMap((item) => Object.values(item).flatMap((op) => op.tags ?? [])))].sort();
  return {
    openapi: '3.1.0',
    info: { ...options.info },
    servers: options.servers.map((s) => ({ ...s })),
    paths: sorted,
    components,
    tags: tags.map((name) => ({ name })),
  };
}

/** Equal as JSON, whatever the key order (documents arrive as JSON; prototypes do not matter). */
function sameJson(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) : v,
  );
}
