/**
 * Which service answers which public path. The public paths are the services' own, so a
 * request is forwarded unchanged through Dapr service invocation to the owning app id.
 */
export const ROUTES: ReadonlyArray<{ prefix: string; appId: string }> = [
  { prefix: '/products', appId: 'catalog' },
  { prefix: '/categories', appId: 'catalog' },
  { prefix: '/search', appId: 'search' },
  { prefix: '/cart', appId: 'cart' },
  { prefix: '/orders', appId: 'order' },
  { prefix: '/payments', appId: 'payment' },
  { prefix: '/inventory', appId: 'inventory' },
  { prefix: '/promotions', appId: 'promotions' },
  { prefix: '/auth', appId: 'user' },
  { prefix: '/users', appId: 'user' },
];

/** The app id that owns `path`, matching whole segments (`/products2` is not `/products`). */
export function appFor(path: string): string | undefined {
  for (const { prefix, appId } of ROUTES) {
    if (path === prefix || path.startsWith(`${prefix}/`)) return appId;
  }
  return undefined;
}
