/**
 * Every string a client may send is bounded by its schema (maxLength, a bounded pattern, an
 * enum or a format of fixed shape), so a huge string is a 400 naming the field rather than a
 * row of megabytes; and every integer has both bounds (no bigint overflow in PostgreSQL).
 * Checked over the real routes of every service, internal ones included.
 */
import type { Route } from '../../kernel/http/route';
import { productRoutes } from '../../apps/catalog/src/http/product-routes';
import { categoryRoutes } from '../../apps/catalog/src/http/category-routes';
import { reindexRoutes, searchRoutes } from '../../apps/search/src/http/routes';
import { cartRoutes } from '../../apps/cart/src/http/routes';
import { orderRoutes } from '../../apps/order/src/http/routes';
import { shippingRoutes } from '../../apps/order/src/http/shipping-routes';
import { paymentRoutes } from '../../apps/payment/src/http/routes';
import { internalPaymentRoutes } from '../../apps/payment/src/http/internal-routes';
import { webhookRoutes } from '../../apps/payment/src/http/webhook-route';
import { inventoryRoutes } from '../../apps/inventory/src/http/routes';
import { promotionRoutes } from '../../apps/promotions/src/http/routes';
import { authRoutes } from '../../apps/user/src/http/auth-routes';
import { userRoutes } from '../../apps/user/src/http/user-routes';

/** Answers any property or call with itself: route factories only store their dependencies. */
function standIn(): never {
  const target = function standInFunction() {};
  const proxy: unknown = new Proxy(target, { get: (_t, p) => (p === 'then' ? undefined : proxy), apply: () => proxy, construct: () => proxy as object });
  return proxy as never;
}

const factories: Array<(...deps: never[]) => Route[]> = [
  productRoutes, categoryRoutes, searchRoutes, reindexRoutes, cartRoutes, orderRoutes, shippingRoutes, paymentRoutes, internalPaymentRoutes,
  webhookRoutes, inventoryRoutes, promotionRoutes, authRoutes, userRoutes,
];
const routes = factories.flatMap((factory) => factory(...Array.from({ length: factory.length }, standIn)));

type Schema = Record<string, any>;
const FIXED_FORMATS = new Set(['uuid', 'date-time', 'date', 'email']);

/** A pattern anchored at both ends whose repetitions are all bounded (`{m,n}`, `?`). */
function boundedPattern(pattern: string): boolean {
  const outsideClasses = pattern.replace(/\\./g, '_').replace(/\[[^\]]*\]/g, '_');
  return pattern.startsWith('^') && pattern.endsWith('$') && !/[*+]|\{\d+,\}/.test(outsideClasses);
}

function unbounded(schema: Schema | boolean | undefined, pointer: string, out: string[]): string[] {
  if (!schema || typeof schema !== 'object') return out;
  const types: string[] = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (types.includes('string') && !('maxLength' in schema || schema.enum || 'const' in schema || FIXED_FORMATS.has(schema.format) || (schema.pattern && boundedPattern(schema.pattern)))) {
    out.push(`${pointer}: string without a bound`);
  }
  // Integers land in integer or bigint columns; (decimal) numbers are converted and checked by the routes.
  if (types.includes('integer') && !('maximum' in schema && 'minimum' in schema)) out.push(`${pointer}: integer without both bounds`);
  for (const key of ['properties', 'patternProperties'] as const) for (const [name, sub] of Object.entries(schema[key] ?? {})) unbounded(sub as Schema, `${pointer}/${name}`, out);
  for (const key of ['items', 'additionalProperties'] as const) unbounded(schema[key], `${pointer}/*`, out);
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) for (const sub of schema[key] ?? []) unbounded(sub, pointer, out);
  return out;
}

test('every string and integer a request may carry is bounded by its schema', () => {
  const problems = routes.flatMap((route) => [
    ...unbounded(route.params as Schema, `${route.method} ${route.path} /params`, []),
    ...unbounded(route.query as Schema, `${route.method} ${route.path} /query`, []),
    ...unbounded(route.body as Schema, `${route.method} ${route.path} /body`, []),
  ]);
  expect(problems).toEqual([]);
});
