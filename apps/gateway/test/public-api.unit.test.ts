import type { Route } from '../../../kernel/http/route';
import { openApiDocument, openApiPath, withApiDocument, API_VERSION } from '../../../kernel/http/openapi';
import { mergeApiDocuments } from '../src/domain/openapi-merge';
import { matchRoute, ownerOfOperation, ROUTES } from '../src/domain/routing';
import { ROUTED_APP_IDS } from '../src/http/api-document';
import { operation, semanticProblems, validateOpenApi } from '../../../test/support/openapi';
import { productRoutes } from '../../catalog/src/http/product-routes';
import { categoryRoutes } from '../../catalog/src/http/category-routes';
import { reindexRoutes, searchRoutes } from '../../search/src/http/routes';
import { cartRoutes } from '../../cart/src/http/routes';
import { orderRoutes } from '../../order/src/http/routes';
import { shippingRoutes } from '../../order/src/http/shipping-routes';
import { paymentRoutes } from '../../payment/src/http/routes';
import { internalPaymentRoutes } from '../../payment/src/http/internal-routes';
import { webhookRoutes } from '../../payment/src/http/webhook-route';
import { inventoryRoutes } from '../../inventory/src/http/routes';
import { promotionRoutes } from '../../promotions/src/http/routes';
import { authRoutes } from '../../user/src/http/auth-routes';
import { userRoutes } from '../../user/src/http/user-routes';
import { deadLetterRoutes } from '../../../kernel/http/dead-letter-routes';

/**
 * Every service's real routes, built without a database or sidecar: each routes factory gets
 * a stand-in for its stores and clients (handlers are never called, so the stand-in only has
 * to survive being passed around). The stand-in answers any property or call with itself,
 * so a factory keeps working here when its dependencies change.
 */
function standIn(): never {
  const target = function standInFunction() {};
  const proxy: unknown = new Proxy(target, {
    get: (_t, property) => (property === 'then' ? undefined : proxy),
    apply: () => proxy,
    construct: () => proxy as object,
  });
  return proxy as never;
}

type RoutesFactory = (...deps: never[]) => Route[];
/** Each app and every routes factory its main.ts passes to runService (internal ones too), and
 * the kernel's operator routes of the apps that park events (kernel/service.ts adds them). */
const SERVICES: Array<[appId: string, factories: RoutesFactory[]]> = [
  ['catalog', [productRoutes, categoryRoutes]],
  ['search', [searchRoutes, reindexRoutes, (store, subscriptions, logger) => deadLetterRoutes('search', store, subscriptions, logger)]],
  ['cart', [cartRoutes]],
  ['order', [orderRoutes, shippingRoutes, (store, subscriptions, logger) => deadLetterRoutes('order', store, subscriptions, logger)]],
  ['payment', [webhookRoutes, paymentRoutes, internalPaymentRoutes]],
  ['inventory', [inventoryRoutes]],
  ['promotions', [promotionRoutes]],
  ['user', [authRoutes, userRoutes, (store, subscriptions, logger) => deadLetterRoutes('user', store, subscriptions, logger)]],
];

const services = SERVICES.map(([appId, factories]) => {
  const routes = factories.flatMap((factory) => factory(...Array.from({ length: factory.length }, standIn)));
  const info = { title: `dapr-commerce ${appId}`, version: API_VERSION };
  // What the service's GET /openapi.json serves (kernel/http/app.ts mounts it the same way).
  return { appId, routes, document: openApiDocument(withApiDocument(routes, info), info) };
});
const merged = mergeApiDocuments(services, { info: { title: 'dapr-commerce API', version: API_VERSION }, servers: [{ url: '/' }], ownerOf: ownerOfOperation });

describe('the public API of every service', () => {
  test('covers every app the gateway routes to', () => {
    expect(services.map((s) => s.appId).sort()).toEqual([...ROUTED_APP_IDS].sort());
  });

  test('each service\'s own document is valid OpenAPI 3.1', () => {
    const results = validateOpenApi(services.map((s) => s.document));
    services.forEach((s, i) => expect({ app: s.appId, ...results[i] }).toMatchObject({ app: s.appId, valid: true, version: '3.1' }));
  });

  test('the gateway\'s merged document is valid OpenAPI 3.1 with unique operation ids', () => {
    expect(validateOpenApi([merged])[0]).toMatchObject({ valid: true, version: '3.1' });
    expect(semanticProblems(merged)).toEqual([]);
  });

  test.each(SERVICES.map(([appId]) => appId))('every non-internal route of %s is in the merged document, answered by it', (appId) => {
    const { routes } = services.find((s) => s.appId === appId)!;
    for (const route of routes.filter((r) => (r.access ?? 'customer') !== 'internal')) {
      const path = openApiPath(route.path);
      // A public route the gateway does not send to its service could never be called.
      expect({ route: `${route.method} ${route.path}`, routedTo: ownerOfOperation(route.method, path) }).toEqual({ route: `${route.method} ${route.path}`, routedTo: appId });
      expect(operation(merged, route.method, path)).toMatchObject({ 'x-service': appId, summary: route.summary });
    }
  });

  test('the gateway\'s allowlist is exactly the non-internal routes of the services (their own /openapi.json aside)', () => {
    const publicRoutes = services.flatMap(({ appId, routes }) =>
      routes.filter((r) => (r.access ?? 'customer') !== 'internal' && r.path !== '/openapi.json').map((r) => `${r.method} ${r.path} → ${appId}`),
    );
    expect(ROUTES.map((r) => `${r.method} ${r.path} → ${r.appId}`).sort()).toEqual(publicRoutes.sort());
  });

  test('no internal route of any service is in the allowlist, or reachable through a pattern of it', () => {
    for (const { appId, routes } of services) {
      for (const route of routes.filter((r) => r.access === 'internal')) {
        // The route's own path, with a plausible value in each parameter.
        const concrete = route.path.replace(/:[A-Za-z_$][\w$]*/g, 'x1');
        expect({ app: appId, route: `${route.method} ${route.path}`, match: matchRoute(route.method, concrete).kind }).toEqual({ app: appId, route: `${route.method} ${route.path}`, match: expect.not.stringMatching(/^route$/) });
      }
    }
    for (const route of ROUTES) expect(route.path).not.toMatch(/^\/(internal|dapr|actors|v1\.0|healthz|readyz|metrics|openapi\.json)(\/|$)/);
  });

  test('no internal route of any service is described', () => {
    for (const { routes } of services) {
      for (const route of routes.filter((r) => r.access === 'internal')) {
        expect(merged.paths[openApiPath(route.path)]?.[route.method.toLowerCase() as 'get']).toBeUndefined();
      }
    }
  });
});
