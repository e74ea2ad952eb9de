import type { Method } from '../../../../kernel/http/route';
import { openApiPath } from '../../../../kernel/http/openapi';

/**
 * The public API: every route a client may call through the gateway, and the app that answers
 * it. An allowlist, not prefixes: a path the table does not name is 404 at the edge and no
 * service hears of it, so a service's internal routes (`/internal/*`, `access: 'internal'`),
 * Dapr's callbacks (`/dapr/*`, `/actors/*`), probes and the sidecars' own API can never be
 * reached from outside, whatever a service mounts.
 *
 * Kept by hand from the services' `defineRoute(...)` definitions (every route whose access is
 * not `internal`); two tests keep it honest: public-api.unit.test.ts compares it with the routes
 * of every service, and test/security/edge-allowlist.test.ts with the merged OpenAPI document the
 * running gateway serves. Paths are Koa-router patterns; a `:param` is one whole segment.
 */
export interface PublicRoute {
  method: Method;
  path: string;
  appId: string;
}

export const ROUTES: readonly PublicRoute[] = [
  // catalog: apps/catalog/src/http/product-routes.ts, category-routes.ts
  { method: 'GET', path: '/products', appId: 'catalog' },
  { method: 'POST', path: '/products', appId: 'catalog' },
  { method: 'GET', path: '/products/:id', appId: 'catalog' },
  { method: 'PATCH', path: '/products/:id', appId: 'catalog' },
  { method: 'DELETE', path: '/products/:id', appId: 'catalog' },
  { method: 'GET', path: '/categories', appId: 'catalog' },
  { method: 'POST', path: '/categories', appId: 'catalog' },
  { method: 'GET', path: '/categories/:id', appId: 'catalog' },
  { method: 'PATCH', path: '/categories/:id', appId: 'catalog' },
  { method: 'DELETE', path: '/categories/:id', appId: 'catalog' },
  // search: apps/search/src/http/routes.ts
  { method: 'GET', path: '/search', appId: 'search' },
  { method: 'GET', path: '/search/suggest', appId: 'search' },
  { method: 'GET', path: '/search/reindex', appId: 'search' },
  { method: 'POST', path: '/search/reindex', appId: 'search' },
  // cart: apps/cart/src/http/routes.ts
  { method: 'GET', path: '/cart', appId: 'cart' },
  { method: 'POST', path: '/cart', appId: 'cart' },
  { method: 'DELETE', path: '/cart', appId: 'cart' },
  { method: 'POST', path: '/cart/items', appId: 'cart' },
  { method: 'PATCH', path: '/cart/items/:productId', appId: 'cart' },
  { method: 'DELETE', path: '/cart/items/:productId', appId: 'cart' },
  { method: 'POST', path: '/cart/merge', appId: 'cart' },
  // order: apps/order/src/http/routes.ts
  { method: 'GET', path: '/orders', appId: 'order' },
  { method: 'POST', path: '/orders', appId: 'order' },
  { method: 'GET', path: '/orders/:id', appId: 'order' },
  { method: 'POST', path: '/orders/:id/cancel', appId: 'order' },
  { method: 'POST', path: '/orders/:id/fulfill', appId: 'order' },
  { method: 'POST', path: '/orders/:id/refund', appId: 'order' },
  { method: 'POST', path: '/orders/:id/returns', appId: 'order' },
  // order: apps/order/src/http/shipping-routes.ts
  { method: 'GET', path: '/shipping-methods', appId: 'order' },
  { method: 'POST', path: '/shipping-methods', appId: 'order' },
  { method: 'PUT', path: '/shipping-methods/:code', appId: 'order' },
  { method: 'DELETE', path: '/shipping-methods/:code', appId: 'order' },
  { method: 'GET', path: '/tax-rates', appId: 'order' },
  { method: 'PUT', path: '/tax-rates', appId: 'order' },
  // operations: kernel/http/dead-letter-routes.ts, served by each consumer that parks events
  { method: 'GET', path: '/admin/dead-letters/search', appId: 'search' },
  { method: 'POST', path: '/admin/dead-letters/search/replay', appId: 'search' },
  { method: 'GET', path: '/admin/orders', appId: 'order' },
  { method: 'GET', path: '/admin/dead-letters/order', appId: 'order' },
  { method: 'POST', path: '/admin/dead-letters/order/replay', appId: 'order' },
  { method: 'GET', path: '/admin/dead-letters/user', appId: 'user' },
  { method: 'POST', path: '/admin/dead-letters/user/replay', appId: 'user' },
  // payment: apps/payment/src/http/routes.ts, webhook-route.ts
  { method: 'GET', path: '/payments', appId: 'payment' },
  { method: 'GET', path: '/payments/:id', appId: 'payment' },
  { method: 'POST', path: '/payments/webhook', appId: 'payment' },
  // inventory: apps/inventory/src/http/routes.ts
  { method: 'GET', path: '/inventory/:sku', appId: 'inventory' },
  { method: 'POST', path: '/inventory/:sku/adjustments', appId: 'inventory' },
  { method: 'GET', path: '/inventory/:sku/ledger', appId: 'inventory' },
  // promotions: apps/promotions/src/http/routes.ts
  { method: 'GET', path: '/promotions', appId: 'promotions' },
  { method: 'POST', path: '/promotions', appId: 'promotions' },
  { method: 'POST', path: '/promotions/preview', appId: 'promotions' },
  { method: 'GET', path: '/promotions/:id', appId: 'promotions' },
  { method: 'PATCH', path: '/promotions/:id', appId: 'promotions' },
  // user: apps/user/src/http/auth-routes.ts, user-routes.ts
  { method: 'POST', path: '/auth/register', appId: 'user' },
  { method: 'POST', path: '/auth/login', appId: 'user' },
  { method: 'POST', path: '/auth/refresh', appId: 'user' },
  { method: 'POST', path: '/auth/logout', appId: 'user' },
  { method: 'GET', path: '/auth/.well-known/jwks.json', appId: 'user' },
  { method: 'GET', path: '/auth/password-policy', appId: 'user' },
  { method: 'POST', path: '/auth/password-reset', appId: 'user' },
  { method: 'POST', path: '/auth/password-reset/confirm', appId: 'user' },
  { method: 'POST', path: '/auth/keys/rotate', appId: 'user' },
  { method: 'GET', path: '/users/:id', appId: 'user' },
  { method: 'PATCH', path: '/users/:id', appId: 'user' },
  { method: 'PUT', path: '/users/:id/role', appId: 'user' },
  { method: 'GET', path: '/users/:id/addresses', appId: 'user' },
  { method: 'POST', path: '/users/:id/addresses', appId: 'user' },
  { method: 'PUT', path: '/users/:id/addresses/:addressId', appId: 'user' },
  { method: 'DELETE', path: '/users/:id/addresses/:addressId', appId: 'user' },
];

/** What a request's method and canonical path resolve to. */
export type RouteMatch =
  | { kind: 'route'; route: PublicRoute }
  /** The path is public, but not with this method: 405 with `allow`. */
  | { kind: 'method'; allow: string[] }
  | { kind: 'none' };

interface Pattern {
  /** Segments after the first; `null` stands for a `:param` (any one non-empty segment). */
  rest: Array<string | null>;
  /** Methods this pattern answers, each with its route. */
  routes: Map<string, PublicRoute>;
}

/** Patterns by `<segment count> <first segment>`, literal ones before parameterised ones. */
const PATTERNS = new Map<string, Pattern[]>();
for (const route of ROUTES) {
  const [first, ...rest] = route.path.slice(1).split('/');
  if (!first || first.startsWith(':') || rest.some((s) => s === '')) throw new Error(`routing: ${route.path} must start with a literal segment and have no empty one`);
  const key = `${rest.length + 1} ${first}`;
  const patterns = PATTERNS.get(key) ?? [];
  const segments = rest.map((s) => (s.startsWith(':') ? null : s));
  let pattern = patterns.find((p) => p.rest.every((s, i) => s === segments[i]));
  if (!pattern) {
    pattern = { rest: segments, routes: new Map() };
    patterns.push(pattern);
    patterns.sort((a, b) => a.rest.filter((s) => s === null).length - b.rest.filter((s) => s === null).length);
  }
  if (pattern.routes.has(route.method)) throw new Error(`routing: ${route.method} ${route.path} is listed twice`);
  pattern.routes.set(route.method, route);
  PATTERNS.set(key, patterns);
}

/**
 * The route for `method` and a canonical path (canonical-path.ts: no empty or dot-segment, no
 * encoded `/`): literal segments must match exactly (case included: Koa's routers would match
 * `/INTERNAL/...` too), a `:param` takes any one segment. HEAD is answered by GET routes.
 */
export function matchRoute(method: string, path: string): RouteMatch {
  const segments = path.slice(1).split('/');
  const patterns = PATTERNS.get(`${segments.length} ${segments[0]}`);
  if (!patterns) return { kind: 'none' };
  const wanted = method === 'HEAD' ? 'GET' : method;
  let allowed: Set<string> | undefined;
  for (const pattern of patterns) {
    if (!matches(pattern.rest, segments)) continue;
    const route = pattern.routes.get(wanted);
    if (route) return { kind: 'route', route };
    allowed ??= new Set();
    for (const m of pattern.routes.keys()) allowed.add(m);
  }
  if (!allowed) return { kind: 'none' };
  if (allowed.has('GET')) allowed.add('HEAD');
  return { kind: 'method', allow: [...allowed].sort() };
}

function matches(rest: Array<string | null>, segments: string[]): boolean {
  for (let i = 0; i < rest.length; i += 1) {
    const literal = rest[i];
    if (literal !== null && literal !== segments[i + 1]) return false;
  }
  return true;
}

/** The app answering some method of `path` (a concrete path, `{param}`s filled in), if any. */
export function appFor(path: string): string | undefined {
  for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
    const match = matchRoute(method, path);
    if (match.kind === 'route') return match.route.appId;
  }
  return undefined;
}

const BY_OPERATION = new Map(ROUTES.map((r) => [`${r.method} ${openApiPath(r.path)}`, r.appId]));
/** `GET /products/{id}` (OpenAPI form) → the app the gateway sends it to; undefined when it is not public. */
export function ownerOfOperation(method: string, path: string): string | undefined {
  return BY_OPERATION.get(`${method.toUpperCase()} ${path}`);
}

/** Every app the gateway routes to, once each. */
export const ROUTED_APP_IDS: readonly string[] = [...new Set(ROUTES.map((r) => r.appId))];
