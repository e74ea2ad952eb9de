/**
 * Cart rules: pure functions over the cart state, no I/O. CartActor applies them inside one
 * actor turn (so a read-modify-write cannot interleave) and persists the result. They live with
 * the actor, which owns the state (actors/ never import apps/); the cart app's routes and
 * schemas read them through apps/cart/src/domain/cart.ts.
 */

/** Per-line quantity cap; a merge that would exceed it is capped, an add is refused. */
export const MAX_LINE_QUANTITY = 99;
/** Distinct products per cart. */
export const MAX_LINES = 100;
/** How many absorbed merge ids a cart remembers (idempotency of repeated merges). */
export const MERGE_MEMORY = 50;
/** How many checked-out order ids a cart remembers (idempotency of completeCheckout). */
export const CHECKOUT_MEMORY = 20;

/** One line per SKU: two variants of a product are two lines. */
export interface CartLine {
  product_id: string;
  /** The variant's SKU (the product's own SKU for a product without variants). */
  sku: string;
  quantity: number;
}

/** A checkout under way: the order placed from the cart holds it until it ends or `until` passes. */
export interface CartHold {
  order_id: string;
  until: string;
}

export interface CartState {
  items: CartLine[];
  /** Optimistic concurrency: every change increments it; writers send the version they saw. */
  version: number;
  /** The user owning the cart (`user-<id>` carts); null for guest carts. */
  owner: string | null;
  /** ISO 4217 currency of every line (set by the first add; null when empty). */
  currency: string | null;
  updated_at: string;
  /** Guest carts only: the user this cart was merged into (it is empty and read-only since). */
  merged_into?: string | null;
  /** Merge ids already absorbed into this cart (most recent last). */
  merges?: string[];
  /** When the cart expires (ISO); pushed forward by each change. */
  expires_at?: string;
  /** When the pending `expire` reminder fires (ISO); see CartActor. */
  reminder_due?: string;
  /** Per-cart TTL override in seconds (set only through the internal route; tests). */
  ttl_seconds?: number;
  /** The order being checked out from this cart: no change is taken while it holds the cart. */
  checkout?: CartHold | null;
  /** Orders whose lines already left the cart (most recent last). */
  checked_out?: string[];
  /** Requests (a digest of their Idempotency-Key) whose change this state already holds, most recent last; see CartActor. */
  applied_requests?: string[];
}

/** How many applied request ids a cart remembers: far more than one client repeats in flight. */
export const APPLIED_REQUESTS_KEPT = 32;

/** The state after `rule` applied request `requestId`: the id remembered with it, in the same write. */
export function rememberRequest(cart: CartState, requestId: string | undefined): CartState {
  if (!requestId) return cart;
  return { ...cart, applied_requests: [...(cart.applied_requests ?? []), requestId].slice(-APPLIED_REQUESTS_KEPT) };
}

/** Whether this state already holds the change of request `requestId`. */
export function alreadyApplied(cart: CartState, requestId: string | undefined): boolean {
  return requestId !== undefined && (cart.applied_requests ?? []).includes(requestId);
}

export type CartError =
  | 'quantity_cap' | 'line_cap' | 'currency_mismatch' | 'not_in_cart' | 'merged' | 'not_found'
  | 'checkout_in_progress' | 'empty' | 'ambiguous_line';

/** Every mutation answers one of these; conflicts and refusals are results, not exceptions. */
export type CartResult =
  | { ok: true; cart: CartState; changed: boolean; capped?: string[]; dropped?: string[] }
  | { conflict: true; cart: CartState }
  | { error: CartError; cart: CartState; detail: string };

export function emptyCart(owner: string | null, now: string): CartState {
  return { items: [], version: 0, owner, currency: null, updated_at: now };
}

/** The order holding the cart now (a hold past its `until` has lapsed: the order's saga died without giving it back). */
export function heldBy(cart: CartState, now: string): string | undefined {
  return cart.checkout && Date.parse(cart.checkout.until) > Date.parse(now) ? cart.checkout.order_id : undefined;
}

const heldRefusal = (cart: CartState, orderId: string): CartResult => ({
  error: 'checkout_in_progress',
  cart,
  detail: `Order ${orderId} is being checked out from this cart: it is emptied once the order is paid, or given back if it is not.`,
});

/** The check every mutation starts with: a merged or held cart refuses, a version mismatch changes nothing. */
export function checkVersion(cart: CartState, expected: number | undefined, now: string): CartResult | undefined {
  if (cart.merged_into) return { error: 'merged', cart, detail: 'This guest cart was merged into an account.' };
  const held = heldBy(cart, now);
  if (held) return heldRefusal(cart, held);
  if (expected !== undefined && expected !== cart.version) return { conflict: true, cart };
  return undefined;
}

function changed(cart: CartState, items: CartLine[], now: string): CartResult {
  return {
    ok: true,
    changed: true,
    cart: { ...cart, items, currency: items.length ? cart.currency : null, version: cart.version + 1, updated_at: now },
  };
}

export function addItem(
  cart: CartState,
  input: { product_id: string; sku: string; currency: string; quantity: number; expected_version: number },
  now: string,
): CartResult {
  const refused = checkVersion(cart, input.expected_version, now);
  if (refused) return refused;
  if (cart.items.length && cart.currency && cart.currency !== input.currency) {
    return { error: 'currency_mismatch', cart, detail: `The cart is in ${cart.currency}; this product is priced in ${input.currency}.` };
  }
  const existing = cart.items.find((l) => l.sku === input.sku);
  const quantity = (existing?.quantity ?? 0) + input.quantity;
  if (quantity > MAX_LINE_QUANTITY) {
    return { error: 'quantity_cap', cart, detail: `At most ${MAX_LINE_QUANTITY} of one SKU per cart (${existing?.quantity ?? 0} already in it).` };
  }
  if (!existing && cart.items.length >= MAX_LINES) return { error: 'line_cap', cart, detail: `At most ${MAX_LINES} lines per cart.` };
  const items = existing
    ? cart.items.map((l) => (l.sku === input.sku ? { ...l, quantity } : l))
    : [...cart.items, { product_id: input.product_id, sku: input.sku, quantity }];
  return changed({ ...cart, currency: input.currency }, items, now);
}

/**
 * The line a request names: by product, and by SKU when given. A product with two variants in
 * the cart needs the SKU (which one is meant is not ours to guess).
 */
function lineOf(cart: CartState, input: { product_id: string; sku?: string }): CartLine | CartResult {
  const matching = cart.items.filter((l) => l.product_id === input.product_id && (input.sku === undefined || l.sku === input.sku));
  if (!matching.length) return { error: 'not_in_cart', cart, detail: `Product ${input.product_id}${input.sku ? ` (SKU ${input.sku})` : ''} is not in the cart.` };
  if (matching.length > 1) return { error: 'ambiguous_line', cart, detail: `Product ${input.product_id} is in the cart as ${matching.map((l) => l.sku).join(', ')}: name the SKU (sku).` };
  return matching[0]!;
}

export function setQuantity(cart: CartState, input: { product_id: string; sku?: string; quantity: number; expected_version: number }, now: string): CartResult {
  const refused = checkVersion(cart, input.expected_version, now);
  if (refused) return refused;
  if (input.quantity > MAX_LINE_QUANTITY) return { error: 'quantity_cap', cart, detail: `At most ${MAX_LINE_QUANTITY} of one SKU per cart.` };
  const line = lineOf(cart, input);
  if ('cart' in line) return line;
  const items = input.quantity === 0
    ? cart.items.filter((l) => l.sku !== line.sku)
    : cart.items.map((l) => (l.sku === line.sku ? { ...l, quantity: input.quantity } : l));
  return changed(cart, items, now);
}

export function removeItem(cart: CartState, input: { product_id: string; sku?: string; expected_version: number }, now: string): CartResult {
  return setQuantity(cart, { ...input, quantity: 0 }, now);
}

export function clear(cart: CartState, input: { expected_version: number }, now: string): CartResult {
  const refused = checkVersion(cart, input.expected_version, now);
  if (refused) return refused;
  return changed(cart, [], now);
}

/**
 * Checkout, step 1 (the order service, placing an order from the cart): the order holds the
 * cart until `hold_seconds` from now, and the lines it orders are the cart's lines as held.
 * Idempotent by order id (a repeat renews the hold). Another order's live hold refuses.
 */
export function holdForCheckout(cart: CartState, input: { order_id: string; hold_seconds: number }, now: string): CartResult {
  if (cart.merged_into) return { error: 'merged', cart, detail: 'This guest cart was merged into an account.' };
  if (cart.checked_out?.includes(input.order_id)) return { ok: true, changed: false, cart };
  const held = heldBy(cart, now);
  if (held && held !== input.order_id) return heldRefusal(cart, held);
  if (!held && !cart.items.length) return { error: 'empty', cart, detail: 'The cart is empty.' };
  const until = new Date(Date.parse(now) + input.hold_seconds * 1000).toISOString();
  return { ok: true, changed: true, cart: { ...cart, checkout: { order_id: input.order_id, until } } };
}

/** The order did not go through: the cart is the shopper's again, lines untouched. Another order's hold is left alone. */
export function releaseCheckout(cart: CartState, input: { order_id: string }): CartResult {
  if (cart.checkout?.order_id !== input.order_id) return { ok: true, changed: false, cart };
  return { ok: true, changed: true, cart: { ...cart, checkout: null } };
}

/**
 * The order is paid: its lines leave the cart (by SKU, the quantities ordered: a line the
 * shopper added after a lapsed hold stays), the hold ends. Idempotent by order id.
 */
export function completeCheckout(cart: CartState, input: { order_id: string; lines: Array<{ sku: string; quantity: number }> }, now: string): CartResult {
  if (cart.checked_out?.includes(input.order_id)) return { ok: true, changed: false, cart };
  const ordered = new Map(input.lines.map((l) => [l.sku, l.quantity]));
  const items = cart.items
    .map((l) => ({ ...l, quantity: l.quantity - (ordered.get(l.sku) ?? 0) }))
    .filter((l) => l.quantity > 0);
  const checked_out = [...(cart.checked_out ?? []), input.order_id].slice(-CHECKOUT_MEMORY);
  const checkout = cart.checkout?.order_id === input.order_id ? null : cart.checkout;
  return changed({ ...cart, checkout, checked_out }, items, now);
}

/**
 * Merges another cart's lines in (guest → user). The same SKU in both: quantities summed,
 * capped at MAX_LINE_QUANTITY (listed in `capped`). New products past MAX_LINES are left out
 * (listed in `dropped`). Idempotent by merge_id: a repeat changes nothing. A currency other
 * than the cart's is refused (when both carts have lines).
 */
export function absorb(
  cart: CartState,
  input: { from_items: CartLine[]; from_currency: string | null; merge_id: string; expected_version?: number },
  now: string,
): CartResult {
  if (cart.merges?.includes(input.merge_id) || input.from_items.length === 0) return { ok: true, changed: false, cart };
  const refused = checkVersion(cart, input.expected_version, now);
  if (refused) return refused;
  if (input.from_items.length && cart.items.length && cart.currency && input.from_currency && cart.currency !== input.from_currency) {
    return { error: 'currency_mismatch', cart, detail: `The cart is in ${cart.currency}; the guest cart is in ${input.from_currency}.` };
  }
  const items = cart.items.map((l) => ({ ...l }));
  const capped: string[] = [];
  const dropped: string[] = [];
  for (const line of input.from_items) {
    const existing = items.find((l) => l.sku === line.sku);
    if (existing) {
      const sum = existing.quantity + line.quantity;
      if (sum > MAX_LINE_QUANTITY) capped.push(line.product_id);
      existing.quantity = Math.min(sum, MAX_LINE_QUANTITY);
    } else if (items.length < MAX_LINES) {
      items.push({ ...line, quantity: Math.min(line.quantity, MAX_LINE_QUANTITY) });
    } else {
      dropped.push(line.product_id);
    }
  }
  const merges = [...(cart.merges ?? []), input.merge_id].slice(-MERGE_MEMORY);
  const currency = cart.items.length ? cart.currency : input.from_currency;
  const result = changed({ ...cart, currency, merges }, items, now);
  return { ...result, capped, dropped } as CartResult;
}

/** Expiry: the next moment the cart may be removed. */
export function expiryAfter(now: Date, ttlSeconds: number): string {
  return new Date(now.getTime() + ttlSeconds * 1000).toISOString();
}

/** The wire shape of a cart (internal bookkeeping left out); `checkout` names the order holding it. */
export function publicCart(cartId: string | null, cart: CartState, now = new Date().toISOString()) {
  const held = heldBy(cart, now);
  return {
    cart_id: cartId,
    items: cart.items,
    version: cart.version,
    currency: cart.currency,
    updated_at: cart.updated_at,
    ...(cart.expires_at ? { expires_at: cart.expires_at } : {}),
    ...(cart.merged_into ? { merged: true } : {}),
    ...(held ? { checkout: { order_id: held, until: cart.checkout!.until } } : {}),
  };
}
