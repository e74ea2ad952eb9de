import { createHash, randomUUID } from 'node:crypto';
import type { Context } from 'koa';
import { defineRoute, type Route } from '../../../../kernel/http/route';
import { idempotencyKeyOf } from '../../../../kernel/http/idempotency';
import type { Sidecar } from '../../../../kernel/dapr/sidecar';
import type { Caller } from '../../../../kernel/auth/caller';
import { HttpProblem } from '../../../../kernel/problem';
import { guestCartId, userCartId, type CartResult, type CartState } from '../../../../actors/cart/CartActor';
import { publicCart } from '../domain/cart';
import { priceCart } from '../domain/pricing';
import { ProductReader, unitPriceOf } from '../../../catalog/src/client';
import { addItemBody, cartIdParams, cartSchema, completeBody, expectedVersionQuery, holdBody, mergeBody, productIdParams, releaseBody, setQuantityBody, ttlBody } from './schemas';

const ACTOR_TYPE = 'CartActor';
const CART_ID_HEADER = 'x-cart-id';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Which cart a request means, and the id the client knows it by. */
interface CartRef {
  actorId: string;
  /** The guest cart's UUID; null for a signed-in customer's own cart. */
  cartId: string | null;
}

/**
 * A signed-in customer always uses their own cart (`user-<id>`); nothing in the request can
 * name another. A guest names a cart by the UUID from POST /cart in `X-Cart-Id` (the UUID is
 * the capability). Both at once is refused: a guest cart joins an account through
 * POST /cart/merge, never by being addressed with a token.
 */
export function resolveCart(caller: Caller | null, ctx: Context): CartRef {
  const header = ctx.get(CART_ID_HEADER).trim();
  if (caller) {
    if (header) throw new HttpProblem(400, 'Signed-in customers use their own cart; move a guest cart into it with POST /cart/merge.');
    return { actorId: userCartId(caller.id), cartId: null };
  }
  if (!header) throw new HttpProblem(400, 'Send X-Cart-Id (from POST /cart), or sign in.');
  if (!UUID.test(header)) throw new HttpProblem(400, 'X-Cart-Id must be the UUID returned by POST /cart.');
  const uuid = header.toLowerCase();
  return { actorId: guestCartId(uuid), cartId: uuid };
}

/**
 * The request's id for the cart actor (CartActor.mutate keeps it with the change): a digest of
 * its Idempotency-Key, so the key itself is never stored in the cart. Nothing without a key.
 */
function requestIdOf(ctx: Context): { request_id?: string } {
  const key = idempotencyKeyOf(ctx);
  return key ? { request_id: createHash('sha256').update(key).digest('base64url').slice(0, 22) } : {};
}

/** Turns an actor's result into the HTTP answer: conflicts are 409 with the current cart. */
function answer(ref: CartRef, result: CartResult, status = 200) {
  if ('conflict' in result) {
    throw new HttpProblem(409, `The cart changed: it is at version ${result.cart.version}. Re-read it and retry with that expected_version.`, {
      extensions: { cart: publicCart(ref.cartId, result.cart), version: result.cart.version },
    });
  }
  if ('error' in result) {
    const statuses = {
      not_found: 404, not_in_cart: 404, merged: 410, quantity_cap: 422, line_cap: 422, currency_mismatch: 422, checkout_in_progress: 409, empty: 422, ambiguous_line: 422,
    } as const;
    const held = result.cart.checkout?.order_id;
    const extensions = result.error === 'not_found' ? {} : { code: result.error, version: result.cart.version, ...(result.error === 'checkout_in_progress' && held ? { order_id: held } : {}) };
    throw new HttpProblem(statuses[result.error], result.error === 'not_found' ? 'No such cart.' : result.detail, { extensions });
  }
  return { status, body: publicCart(ref.cartId, result.cart) };
}

type ActorCall = (actorId: string, method: string, body?: unknown) => Promise<CartResult>;

/** The id a client knows an actor's cart by (guest carts: their UUID; a user's own cart: none). */
const refOf = (actorId: string): CartRef => ({ actorId, cartId: actorId.startsWith('guest-') ? actorId.slice('guest-'.length) : null });

/**
 * The order service's side of a cart: placing an order from it holds it (the lines it answers
 * are the ones ordered), the saga empties it once the order is paid or releases it. Internal:
 * only the order service may call them (accessControl and `internalCallers`).
 */
function checkoutRoutes(call: ActorCall, tags: string[]): Route[] {
  const internal = { access: 'internal' as const, internalCallers: ['order'], tags, params: cartIdParams };
  return [
    defineRoute({
      ...internal,
      method: 'POST',
      path: '/internal/carts/:cartId/checkout',
      summary: 'Hold a cart for the order placed from it (idempotent by order id; a repeat renews the hold)',
      body: holdBody,
      responses: { 200: { description: 'The cart as held: its lines are what the order buys', schema: cartSchema }, 404: { description: 'No such cart' }, 409: { description: 'Another order holds it' }, 410: { description: 'A guest cart merged into an account' }, 422: { description: 'The cart is empty' } },
      handler: async ({ params, body }) => answer(refOf(params.cartId), await call(params.cartId, 'holdCheckout', body)),
    }),
    defineRoute({
      ...internal,
      method: 'POST',
      path: '/internal/carts/:cartId/checkout/release',
      summary: 'The order did not go through: the cart is the shopper’s again, lines untouched (idempotent)',
      body: releaseBody,
      responses: { 200: { description: 'The cart', schema: cartSchema }, 404: { description: 'No such cart' } },
      handler: async ({ params, body }) => answer(refOf(params.cartId), await call(params.cartId, 'releaseCheckout', body)),
    }),
    defineRoute({
      ...internal,
      method: 'POST',
      path: '/internal/carts/:cartId/checkout/complete',
      summary: 'The order is paid: its lines leave the cart and the hold ends (idempotent by order id)',
      body: completeBody,
      responses: { 200: { description: 'The cart', schema: cartSchema }, 404: { description: 'No such cart' } },
      handler: async ({ params, body }) => answer(refOf(params.cartId), await call(params.cartId, 'completeCheckout', body)),
    }),
  ];
}

export function cartRoutes(sidecar: Sidecar): Route[] {
  const call = (actorId: string, method: string, body?: unknown) => sidecar.callActor<CartResult>(ACTOR_TYPE, actorId, method, body);

  const products = new ProductReader(sidecar);
  const product = (id: string) => products.read(id);

  const tags = ['cart'];
  const cartResponses = { 200: { description: 'The cart and its new version', schema: cartSchema }, 409: { description: 'Version mismatch: the current cart in `cart`' } };
  const whichCart = 'A signed-in customer: their own cart. A guest: header X-Cart-Id (from POST /cart).';

  return [
    defineRoute({
      method: 'POST',
      path: '/cart',
      summary: 'Create a guest cart; send its cart_id as header X-Cart-Id afterwards',
      access: 'public',
      tags,
      responses: { 201: { description: '{ cart_id }' } },
      handler: async () => {
        const uuid = randomUUID();
        const result = await call(guestCartId(uuid), 'create');
        if (!('ok' in result)) throw new Error('guest cart creation failed');
        return { status: 201, body: { cart_id: uuid, version: result.cart.version, expires_at: result.cart.expires_at } };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/cart',
      summary: `Read the cart, priced from the catalog now. ${whichCart}`,
      access: 'public',
      tags,
      responses: { 200: { description: 'Lines with names, unit prices, line totals and the subtotal' }, 404: { description: 'No such guest cart' } },
      handler: async ({ caller, ctx }) => {
        const ref = resolveCart(caller, ctx);
        const { found, cart } = await sidecar.callActor<{ found: boolean; cart: CartState }>(ACTOR_TYPE, ref.actorId, 'get');
        if (!found) throw new HttpProblem(404, 'No such cart.');
        const products = await Promise.all(cart.items.map((line) => product(line.product_id)));
        return { body: { ...publicCart(ref.cartId, cart), ...priceCart(cart, products) } };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/cart/items',
      summary: `Add a product, or one of its variants by sku (adds to the line of that SKU). ${whichCart}`,
      access: 'public',
      tags,
      body: addItemBody,
      responses: { ...cartResponses, 422: { description: 'Unknown or inactive product, a SKU that is not one of its variants, another currency, or a cap' } },
      handler: async ({ body, caller, ctx }) => {
        const ref = resolveCart(caller, ctx);
        const found = await product(body.product_id);
        if (!found) throw new HttpProblem(422, `Product ${body.product_id} does not exist or is not for sale.`);
        const sku = body.sku ?? found.sku;
        if (unitPriceOf(found, sku) === undefined) {
          throw new HttpProblem(422, `${sku} is not a SKU of product ${found.id}.`, { extensions: { code: 'unknown_sku', skus: [found.sku, ...(found.variants ?? []).map((v) => v.sku)] } });
        }
        const result = await call(ref.actorId, 'addItem', { product_id: found.id, sku, currency: found.currency, quantity: body.quantity, expected_version: body.expected_version, ...requestIdOf(ctx) });
        return answer(ref, result);
      },
    }),
    defineRoute({
      method: 'PATCH',
      path: '/cart/items/:productId',
      summary: `Set a line's quantity (0 removes it); sku names the line when two variants of the product are in the cart. ${whichCart}`,
      access: 'public',
      tags,
      params: productIdParams,
      body: setQuantityBody,
      responses: { ...cartResponses, 404: { description: 'Not in the cart' } },
      handler: async ({ params, body, caller, ctx }) => {
        const ref = resolveCart(caller, ctx);
        return answer(ref, await call(ref.actorId, 'setQuantity', { product_id: params.productId.toLowerCase(), sku: body.sku, quantity: body.quantity, expected_version: body.expected_version, ...requestIdOf(ctx) }));
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/cart/items/:productId',
      summary: `Remove a line (?sku= names it when two variants of the product are in the cart). ${whichCart}`,
      access: 'public',
      tags,
      params: productIdParams,
      query: expectedVersionQuery,
      responses: { ...cartResponses, 404: { description: 'Not in the cart' } },
      handler: async ({ params, query, caller, ctx }) => {
        const ref = resolveCart(caller, ctx);
        return answer(ref, await call(ref.actorId, 'removeItem', { product_id: params.productId.toLowerCase(), sku: query.sku, expected_version: Number(query.expected_version), ...requestIdOf(ctx) }));
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/cart',
      summary: `Empty the cart. ${whichCart}`,
      access: 'public',
      tags,
      query: expectedVersionQuery,
      responses: cartResponses,
      handler: async ({ query, caller, ctx }) => {
        const ref = resolveCart(caller, ctx);
        return answer(ref, await call(ref.actorId, 'clear', { expected_version: Number(query.expected_version), ...requestIdOf(ctx) }));
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/cart/merge',
      summary: 'Move a guest cart into your cart (same product: quantities summed, capped per line); idempotent',
      access: 'customer',
      tags,
      body: mergeBody,
      responses: { 200: { description: '{ cart, merged, capped, dropped }' }, 404: { description: 'No such guest cart' }, 422: { description: 'The guest cart is in another currency' } },
      handler: async ({ body, caller }) => {
        const guest = guestCartId(body.guest_cart_id.toLowerCase());
        const mine = userCartId(caller.id);
        const ref: CartRef = { actorId: mine, cartId: null };
        // 1. Freeze the guest cart for this user (a stranger's or missing cart: 404).
        const claimed = await call(guest, 'claimMerge', { user_id: caller.id });
        if ('error' in claimed && claimed.error === 'checkout_in_progress') return answer({ actorId: guest, cartId: body.guest_cart_id.toLowerCase() }, claimed);
        if (!('ok' in claimed)) throw new HttpProblem(404, 'No such guest cart.');
        // 2. Take its lines in; the guest cart id is the merge id, so a repeat adds nothing.
        const absorbed = await call(mine, 'absorb', { from_items: claimed.cart.items, from_currency: claimed.cart.currency, merge_id: guest });
        if (!('ok' in absorbed)) {
          await call(guest, 'releaseMerge', { user_id: caller.id });
          return answer(ref, absorbed);
        }
        // 3. Empty the guest cart (a crash before this is finished by a repeat).
        await call(guest, 'finishMerge', { user_id: caller.id });
        return {
          body: { cart: publicCart(null, absorbed.cart), merged: absorbed.changed, capped: absorbed.capped ?? [], dropped: absorbed.dropped ?? [] },
        };
      },
    }),
    ...checkoutRoutes(call, tags),
    defineRoute({
      method: 'POST',
      path: '/internal/cart/ttl',
      summary: 'Give one cart its own time to live (tests and operators)',
      access: 'internal',
      tags,
      body: ttlBody,
      responses: { 200: { description: 'The cart with its new expires_at' }, 404: { description: 'No such cart' } },
      handler: async ({ body }) => {
        return answer(refOf(body.cart_id), await call(body.cart_id, 'setTtl', { ttl_seconds: body.ttl_seconds }));
      },
    }),
  ];
}
