import { appFor, matchRoute, ownerOfOperation, ROUTED_APP_IDS, ROUTES } from '../src/domain/routing';

const routeOf = (method: string, path: string) => {
  const match = matchRoute(method, path);
  return match.kind === 'route' ? `${match.route.appId} ${match.route.method} ${match.route.path}` : match.kind === 'method' ? `405 ${match.allow.join(',')}` : '404';
};

describe("the gateway's allowlist of public routes", () => {
  test.each([
    ['GET', '/products', 'catalog GET /products'],
    ['POST', '/products', 'catalog POST /products'],
    ['GET', '/products/4c7c3f6e-0b1a-4d2a-9a3e-2f1f1f1f1f1f', 'catalog GET /products/:id'],
    ['HEAD', '/products/x', 'catalog GET /products/:id'],
    ['DELETE', '/categories/x', 'catalog DELETE /categories/:id'],
    ['GET', '/search', 'search GET /search'],
    ['GET', '/search/suggest', 'search GET /search/suggest'],
    ['PATCH', '/cart/items/p%20q', 'cart PATCH /cart/items/:productId'],
    ['POST', '/cart/merge', 'cart POST /cart/merge'],
    ['POST', '/orders/o1/cancel', 'order POST /orders/:id/cancel'],
    ['POST', '/payments/webhook', 'payment POST /payments/webhook'],
    ['GET', '/payments/webhook', 'payment GET /payments/:id'], // what the payment service's router does too
    ['GET', '/inventory/SKU%20X/ledger', 'inventory GET /inventory/:sku/ledger'],
    ['POST', '/promotions/preview', 'promotions POST /promotions/preview'],
    ['GET', '/promotions/preview', 'promotions GET /promotions/:id'],
    ['GET', '/auth/.well-known/jwks.json', 'user GET /auth/.well-known/jwks.json'],
    ['PUT', '/users/u/addresses/a', 'user PUT /users/:id/addresses/:addressId'],
  ])('%s %s → %s', (method, path, expected) => {
    expect(routeOf(method, path)).toBe(expected);
  });

  test.each([
    ['DELETE', '/promotions', '405 GET,HEAD,POST'],
    ['PUT', '/products/x', '405 DELETE,GET,HEAD,PATCH'],
    ['DELETE', '/promotions/preview', '405 GET,HEAD,PATCH,POST'],
    ['GET', '/cart/merge', '405 POST'],
    ['OPTIONS', '/orders', '405 GET,HEAD,POST'],
    ['PROPFIND', '/cart', '405 DELETE,GET,HEAD,POST'],
    ['HEAD', '/auth/login', '405 POST'],
  ])('%s %s → %s', (method, path, expected) => {
    expect(routeOf(method, path)).toBe(expected);
  });

  test.each([
    '/', '/openapi.json', '/healthz', '/readyz', '/metrics', '/internal/products/export', '/internal/products/changes', '/internal/cart/ttl',
    '/internal/inventory/x/reservations', '/internal/payments/intents', '/internal/promotions/redeem', '/dapr/subscribe', '/dapr/config',
    '/dapr/events/pubsub/x', '/actors/CartActor/x/method/get', '/v1.0/metadata', '/v1.0/invoke/catalog/method/products', '/PRODUCTS',
    '/Products/x', '/INTERNAL/products/export', '/products2', '/products/x/y', '/products/x/v1.0/metadata', '/users', '/inventory', '/auth',
    '/search/suggest/x', '/cart/item', '/cart/items/x/y', '/auth/.well-known', '/auth/.WELL-KNOWN/jwks.json',
  ])('GET %s → 404', (path) => {
    expect(routeOf('GET', path)).toBe('404');
    expect(routeOf('POST', path)).toBe('404');
  });

  test('names nothing under another app\'s callbacks, probes, internal routes or the Dapr API', () => {
    for (const { path } of ROUTES) expect(path).not.toMatch(/^\/(internal|dapr|actors|v1\.0|healthz|readyz|metrics|openapi\.json)(\/|$)/i);
  });

  test('each first segment belongs to one app (operator routes name theirs), and every route matches itself', () => {
    const owners = new Map<string, Set<string>>();
    for (const route of ROUTES) {
      const [, first, area, app] = route.path.split('/');
      const concrete = route.path.replace(/:[A-Za-z_$][\w$]*/g, 'x1');
      expect(routeOf(route.method, concrete)).toBe(`${route.appId} ${route.method} ${route.path}`);
      // `/admin/<area>/<app>/...`: the kernel's operator routes, served by the app they name;
      // `/admin/<area>` alone (the shop manager's order search): the area belongs to one app.
      if (first === 'admin' && app !== undefined) expect(app).toBe(route.appId);
      else {
        const owner = first === 'admin' ? `admin/${area}` : first!;
        owners.set(owner, (owners.get(owner) ?? new Set()).add(route.appId));
      }
    }
    for (const [first, apps] of owners) expect({ first, apps: [...apps] }).toEqual({ first, apps: [expect.any(String)] });
    expect(Object.fromEntries([...owners].map(([first, apps]) => [first, [...apps][0]]))).toEqual({
      products: 'catalog', categories: 'catalog', search: 'search', cart: 'cart', orders: 'order', 'admin/orders': 'order', payments: 'payment',
      inventory: 'inventory', promotions: 'promotions', auth: 'user', users: 'user', 'shipping-methods': 'order', 'tax-rates': 'order',
    });
  });

  test('OpenAPI operations and paths map to the same apps', () => {
    expect(ownerOfOperation('GET', '/products/{id}')).toBe('catalog');
    expect(ownerOfOperation('get', '/users/{id}/addresses/{addressId}')).toBeUndefined();
    expect(ownerOfOperation('PUT', '/users/{id}/addresses/{addressId}')).toBe('user');
    expect(ownerOfOperation('PUT', '/products/{id}')).toBeUndefined();
    expect(ownerOfOperation('GET', '/openapi.json')).toBeUndefined();
    expect(appFor('/orders/x/refund')).toBe('order');
    expect(appFor('/internal/products/export')).toBeUndefined();
    expect([...ROUTED_APP_IDS].sort()).toEqual(['cart', 'catalog', 'inventory', 'order', 'payment', 'promotions', 'search', 'user']);
  });
});
