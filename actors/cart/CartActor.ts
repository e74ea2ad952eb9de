import { AbstractActor, Temporal } from '@dapr/dapr';
import * as rules from './rules';
import type { CartLine, CartResult, CartState } from './rules';

export type { CartLine, CartResult, CartState } from './rules';

const STATE_KEY = 'cart';
const EXPIRE_REMINDER = 'expire';
/** Abandoned carts are removed this long after their last change (CART_TTL_SECONDS). */
export const DEFAULT_CART_TTL_SECONDS = 7 * 24 * 3600;

/** Read per call, so an operator can change it without a rebuild (and tests can shorten it). */
export function cartTtlSeconds(): number {
  const raw = Number(process.env.CART_TTL_SECONDS);
  return Number.isInteger(raw) && raw > 0 ? raw : DEFAULT_CART_TTL_SECONDS;
}

/** Actor ids: `user-<user id>` (created on first use) and `guest-<uuid>` (created by POST /cart). */
export const userCartId = (userId: string) => `user-${userId}`;
export const guestCartId = (uuid: string) => `guest-${uuid}`;

/**
 * One virtual actor per cart. Dapr runs one call at a time per actor (turn-based concurrency),
 * so each method's read-check-write cannot interleave with another; the rules are in
 * actors/cart/rules.ts. Every mutation answers a CartResult: a version mismatch is
 * `{ conflict: true, cart }` and changes nothing. The class name is the actor type name: do
 * not rename or minify.
 *
 * Expiry: each change moves `expires_at` to now + TTL. The `expire` reminder is registered
 * only when none is pending or the new expiry is earlier than the pending one (a scheduler
 * write per TTL, not per add); when it fires early (the cart changed since), it is
 * registered again for the rest, and when the cart really is idle, the state is removed.
 */
export class CartActor extends AbstractActor {
  private get cartId(): string {
    return this.getActorId().getId();
  }

  private get isGuest(): boolean {
    return this.cartId.startsWith('guest-');
  }

  private async read(): Promise<CartState | undefined> {
    const [found, state] = await this.getStateManager<CartState>().tryGetState(STATE_KEY);
    return found && state ? state : undefined;
  }

  /** A user's cart springs into being on first use; a guest cart must have been created. */
  private async current(): Promise<CartState | undefined> {
    const state = await this.read();
    if (state) return state;
    if (this.isGuest) return undefined;
    const owner = this.cartId.startsWith('user-') ? this.cartId.slice('user-'.length) : null;
    return rules.emptyCart(owner, new Date().toISOString());
  }

  private async write(state: CartState, now: Date): Promise<CartState> {
    const ttl = state.ttl_seconds ?? cartTtlSeconds();
    const expiresAt = rules.expiryAfter(now, ttl);
    const pending = state.reminder_due ? Date.parse(state.reminder_due) : undefined;
    const next: CartState = { ...state, expires_at: expiresAt };
    if (pending === undefined || pending > Date.parse(expiresAt) || pending < now.getTime()) {
      await this.remindAt(ttl);
      next.reminder_due = expiresAt;
    }
    await this.getStateManager<CartState>().setState(STATE_KEY, next);
    await this.getStateManager<CartState>().saveState();
    return next;
  }

  private async remindAt(seconds: number): Promise<void> {
    await this.registerActorReminder(EXPIRE_REMINDER, Temporal.Duration.from({ seconds: Math.max(1, Math.ceil(seconds)) }), undefined, undefined, EXPIRE_REMINDER);
  }

  /**
   * Runs one rule on the current state and persists the result if it changed anything.
   *
   * `requestId` (the customer's Idempotency-Key, digested by the app) is stored in the same
   * write as the change. The HTTP layer's idempotency record alone cannot cover a change whose
   * answer was lost: a cart app or sidecar killed after the actor saved, before the record was
   * finished, leaves the key free (or its lease runs out) and the repeat runs again — against a
   * version that has moved on, so the client that did get its line in would be told 409. With
   * the id in the state, a repeat is recognised here and answered with the cart as it is.
   */
  private async mutate(rule: (cart: CartState, now: string) => CartResult, requestId?: string): Promise<CartResult> {
    const cart = await this.current();
    const now = new Date();
    if (!cart) return { error: 'not_found', cart: rules.emptyCart(null, now.toISOString()), detail: 'No such cart.' };
    if (rules.alreadyApplied(cart, requestId)) return { ok: true, changed: false, cart };
    const result = rule(cart, now.toISOString());
    if ('ok' in result && result.changed) return { ...result, cart: await this.write(rules.rememberRequest(result.cart, requestId), now) };
    return result;
  }

  /** Creates a guest cart (idempotent). */
  async create(): Promise<CartResult> {
    const now = new Date();
    const existing = await this.read();
    if (existing) return { ok: true, changed: false, cart: existing };
    return { ok: true, changed: true, cart: await this.write(rules.emptyCart(null, now.toISOString()), now) };
  }

  async get(): Promise<{ found: boolean; cart: CartState }> {
    const cart = await this.current();
    return cart ? { found: true, cart } : { found: false, cart: rules.emptyCart(null, new Date().toISOString()) };
  }

  async addItem(input: { product_id: string; sku: string; currency: string; quantity: number; expected_version: number; request_id?: string }): Promise<CartResult> {
    return this.mutate((cart, now) => rules.addItem(cart, input, now), input.request_id);
  }

  async setQuantity(input: { product_id: string; sku?: string; quantity: number; expected_version: number; request_id?: string }): Promise<CartResult> {
    return this.mutate((cart, now) => rules.setQuantity(cart, input, now), input.request_id);
  }

  async removeItem(input: { product_id: string; sku?: string; expected_version: number; request_id?: string }): Promise<CartResult> {
    return this.mutate((cart, now) => rules.removeItem(cart, input, now), input.request_id);
  }

  async clear(input: { expected_version: number; request_id?: string }): Promise<CartResult> {
    return this.mutate((cart, now) => rules.clear(cart, input, now), input.request_id);
  }

  /** Checkout (the order service): see rules.holdForCheckout, releaseCheckout, completeCheckout. */
  async holdCheckout(input: { order_id: string; hold_seconds: number }): Promise<CartResult> {
    return this.mutate((cart, now) => rules.holdForCheckout(cart, input, now));
  }

  async releaseCheckout(input: { order_id: string }): Promise<CartResult> {
    return this.mutate((cart) => rules.releaseCheckout(cart, input));
  }

  async completeCheckout(input: { order_id: string; lines: Array<{ sku: string; quantity: number }> }): Promise<CartResult> {
    return this.mutate((cart, now) => rules.completeCheckout(cart, input, now));
  }

  /** Takes another cart's lines in; idempotent by merge_id (see rules.absorb). */
  async absorb(input: { from_items: CartLine[]; from_currency: string | null; merge_id: string; expected_version?: number }): Promise<CartResult> {
    return this.mutate((cart, now) => rules.absorb(cart, input, now));
  }

  /**
   * Guest side of a merge, step 1: freezes the cart for `user_id` (no guest changes from now
   * on) and returns its lines. Repeats by the same user answer the same; another user gets
   * not_found, exactly like a missing cart.
   */
  async claimMerge(input: { user_id: string }): Promise<CartResult> {
    const cart = await this.read();
    const now = new Date();
    if (!cart || !this.isGuest || (cart.merged_into && cart.merged_into !== input.user_id)) {
      return { error: 'not_found', cart: rules.emptyCart(null, now.toISOString()), detail: 'No such guest cart.' };
    }
    if (cart.merged_into === input.user_id) return { ok: true, changed: false, cart };
    const held = rules.heldBy(cart, now.toISOString());
    if (held) return { error: 'checkout_in_progress', cart, detail: `Order ${held} is being checked out from this guest cart.` };
    const claimed = { ...cart, merged_into: input.user_id, version: cart.version + 1, updated_at: now.toISOString() };
    return { ok: true, changed: true, cart: await this.write(claimed, now) };
  }

  /** Step 3 (after the user's cart absorbed the lines): empties the guest cart. Idempotent. */
  async finishMerge(input: { user_id: string }): Promise<CartResult> {
    const cart = await this.read();
    const now = new Date();
    if (!cart || cart.merged_into !== input.user_id) return { error: 'not_found', cart: rules.emptyCart(null, now.toISOString()), detail: 'No such guest cart.' };
    if (!cart.items.length) return { ok: true, changed: false, cart };
    const emptied = { ...cart, items: [], currency: null, version: cart.version + 1, updated_at: now.toISOString() };
    return { ok: true, changed: true, cart: await this.write(emptied, now) };
  }

  /** Undoes step 1 when the user's cart refused the lines (e.g. another currency). */
  async releaseMerge(input: { user_id: string }): Promise<CartResult> {
    const cart = await this.read();
    const now = new Date();
    if (!cart || cart.merged_into !== input.user_id || !cart.items.length) return { ok: true, changed: false, cart: cart ?? rules.emptyCart(null, now.toISOString()) };
    const released = { ...cart, merged_into: null, version: cart.version + 1, updated_at: now.toISOString() };
    return { ok: true, changed: true, cart: await this.write(released, now) };
  }

  /** Internal (tests, operators): a per-cart TTL; the expiry is recomputed from now. */
  async setTtl(input: { ttl_seconds: number }): Promise<CartResult> {
    const cart = await this.read();
    const now = new Date();
    if (!cart) return { error: 'not_found', cart: rules.emptyCart(null, now.toISOString()), detail: 'No such cart.' };
    return { ok: true, changed: true, cart: await this.write({ ...cart, ttl_seconds: input.ttl_seconds }, now) };
  }

  override async receiveReminder(data: string): Promise<void> {
    if (data !== EXPIRE_REMINDER) return;
    const cart = await this.read();
    if (!cart) return;
    const left = cart.expires_at ? Date.parse(cart.expires_at) - Date.now() : 0;
    if (left > 1000) {
      // Changed since the reminder was set: wait for the rest of the (moved) expiry.
      await this.remindAt(left / 1000);
      await this.getStateManager<CartState>().setState(STATE_KEY, { ...cart, reminder_due: cart.expires_at });
      await this.getStateManager<CartState>().saveState();
      return;
    }
    await this.getStateManager<CartState>().removeState(STATE_KEY);
    await this.getStateManager<CartState>().saveState();
    await this.unregisterActorReminder(EXPIRE_REMINDER).catch(() => undefined);
  }
}
