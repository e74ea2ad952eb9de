/**
 * How the order service uses a cart: through Dapr service invocation of the cart's internal
 * checkout routes (only the order service is allowed them). Placing an order from a cart holds
 * it; the lines held are the lines ordered.
 */
import type { Sidecar } from '../../../kernel/dapr/sidecar';
import { HttpProblem } from '../../../kernel/problem';
import { guestCartId, userCartId } from '../../../actors/cart/CartActor';
import type { CartLine } from '../../../actors/cart/rules';

export const CART_APP_ID = 'cart';

/** The actor id of the cart an order is placed from: a guest cart by its UUID, else the customer's own. */
export function cartActorOf(source: { cart_id?: string; user_id: string }): string {
  return source.cart_id ? guestCartId(source.cart_id.toLowerCase()) : userCartId(source.user_id);
}

const checkoutPath = (cartId: string, verb?: 'release') => `/internal/carts/${encodeURIComponent(cartId)}/checkout${verb ? `/${verb}` : ''}`;

/** What the cart's refusals mean to the customer placing the order. */
const REFUSALS: Record<number, { status: number; code: string; detail: string }> = {
  404: { status: 422, code: 'cart_not_found', detail: 'No such cart.' },
  409: { status: 409, code: 'cart_in_checkout', detail: 'Another order is being checked out from this cart; wait for it to end (it is emptied once paid, given back otherwise).' },
  410: { status: 422, code: 'cart_merged', detail: 'This guest cart was merged into an account: check out that account’s cart (from_cart).' },
  422: { status: 422, code: 'cart_empty', detail: 'The cart is empty.' },
};

/** Holds the cart for the order (idempotent by order id) and answers its lines; a refusal is the customer's 4xx problem. */
export async function holdCart(sidecar: Sidecar, cartId: string, orderId: string, holdSeconds: number): Promise<{ items: CartLine[]; currency: string | null }> {
  try {
    return await sidecar.invokeJson(CART_APP_ID, checkoutPath(cartId), { method: 'POST', body: JSON.stringify({ order_id: orderId, hold_seconds: holdSeconds }) });
  } catch (err) {
    const refusal = err instanceof HttpProblem ? REFUSALS[err.status] : undefined;
    if (!refusal) throw err;
    throw new HttpProblem(refusal.status, refusal.detail, { extensions: { code: refusal.code, errors: [{ pointer: '/body/cart_id', detail: refusal.detail }] } });
  }
}

/** Gives the cart back (the order was not placed after all); idempotent. */
export async function releaseCart(sidecar: Sidecar, cartId: string, orderId: string): Promise<void> {
  await sidecar.invokeJson(CART_APP_ID, checkoutPath(cartId, 'release'), { method: 'POST', body: JSON.stringify({ order_id: orderId }) });
}
