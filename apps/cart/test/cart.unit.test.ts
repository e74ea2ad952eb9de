import {
  absorb, addItem, alreadyApplied, APPLIED_REQUESTS_KEPT, clear, completeCheckout, emptyCart, holdForCheckout, MAX_LINES, MAX_LINE_QUANTITY, publicCart, releaseCheckout, rememberRequest, removeItem, setQuantity, type CartResult, type CartState,
} from '../src/domain/cart';
import { priceCart } from '../src/domain/pricing';

const NOW = '2026-01-01T00:00:00.000Z';
const line = (product_id: string, quantity: number) => ({ product_id, sku: `SKU-${product_id}`, quantity });
const cartWith = (items: CartState['items'], version = 1): CartState => ({ ...emptyCart('u1', NOW), items, version, currency: items.length ? 'USD' : null });

describe('cart rules', () => {
  test('a stale expected_version is a conflict carrying the current cart, and changes nothing', () => {
    const cart = cartWith([line('p1', 1)], 4);
    for (const result of [
      addItem(cart, { product_id: 'p2', sku: 's', currency: 'USD', quantity: 1, expected_version: 3 }, NOW),
      setQuantity(cart, { product_id: 'p1', quantity: 5, expected_version: 5 }, NOW),
      removeItem(cart, { product_id: 'p1', expected_version: 0 }, NOW),
      clear(cart, { expected_version: 2 }, NOW),
    ]) {
      expect(result).toEqual({ conflict: true, cart });
    }
  });

  test('add sums into an existing line and increments the version; caps are refusals', () => {
    const added = addItem(cartWith([line('p1', 2)]), { product_id: 'p1', sku: 'SKU-p1', currency: 'USD', quantity: 3, expected_version: 1 }, NOW);
    expect(added).toMatchObject({ ok: true, cart: { version: 2, items: [line('p1', 5)] } });
    expect(addItem(cartWith([line('p1', 98)]), { product_id: 'p1', sku: 'SKU-p1', currency: 'USD', quantity: 2, expected_version: 1 }, NOW)).toMatchObject({ error: 'quantity_cap' });
    const full = cartWith(Array.from({ length: MAX_LINES }, (_, i) => line(`p${i}`, 1)));
    expect(addItem(full, { product_id: 'new', sku: 's', currency: 'USD', quantity: 1, expected_version: 1 }, NOW)).toMatchObject({ error: 'line_cap' });
    expect(addItem(cartWith([line('p1', 1)]), { product_id: 'p2', sku: 's', currency: 'EUR', quantity: 1, expected_version: 1 }, NOW)).toMatchObject({ error: 'currency_mismatch' });
  });

  test('a request id is remembered with its change (the last few only, never shown), so its repeat is recognised', () => {
    const added = addItem(cartWith([]), { product_id: 'p1', sku: 'SKU-p1', currency: 'USD', quantity: 1, expected_version: 1 }, NOW);
    if (!('ok' in added)) throw new Error('add refused');
    const saved = rememberRequest(added.cart, 'r1');
    expect(alreadyApplied(saved, 'r1')).toBe(true);
    expect(alreadyApplied(saved, 'r2')).toBe(false);
    expect(alreadyApplied(saved, undefined)).toBe(false);
    expect(rememberRequest(saved, undefined)).toBe(saved);
    expect(publicCart(null, saved)).not.toHaveProperty('applied_requests');
    let many = saved;
    for (let i = 0; i < APPLIED_REQUESTS_KEPT; i++) many = rememberRequest(many, `x${i}`);
    expect(many.applied_requests).toHaveLength(APPLIED_REQUESTS_KEPT);
    expect(alreadyApplied(many, 'r1')).toBe(false);
  });

  test('quantity 0 removes a line; an empty cart has no currency', () => {
    const result = setQuantity(cartWith([line('p1', 2)]), { product_id: 'p1', quantity: 0, expected_version: 1 }, NOW);
    expect(result).toMatchObject({ ok: true, cart: { items: [], currency: null, version: 2 } });
  });

  test('absorb sums the same product up to the cap, is idempotent by merge id, and drops lines past the line cap', () => {
    const mine = cartWith([line('p1', 90), line('p2', 1)]);
    const first = absorb(mine, { from_items: [line('p1', 20), line('p3', 4)], from_currency: 'USD', merge_id: 'g1' }, NOW);
    expect(first).toMatchObject({ ok: true, changed: true, capped: ['p1'], dropped: [], cart: { version: 2, items: [line('p1', MAX_LINE_QUANTITY), line('p2', 1), line('p3', 4)] } });
    if (!('ok' in first)) throw new Error('expected ok');
    const repeat = absorb(first.cart, { from_items: [line('p1', 20), line('p3', 4)], from_currency: 'USD', merge_id: 'g1' }, NOW);
    expect(repeat).toEqual({ ok: true, changed: false, cart: first.cart });
    const full = cartWith(Array.from({ length: MAX_LINES }, (_, i) => line(`p${i}`, 1)));
    expect(absorb(full, { from_items: [line('new', 1)], from_currency: 'USD', merge_id: 'g2' }, NOW)).toMatchObject({ dropped: ['new'] });
  });

  test('prices with integer minor units; unavailable lines are left out of the subtotal', () => {
    const cart = cartWith([line('p1', 3), line('p2', 1), line('p3', 2)]);
    const priced = priceCart(cart, [
      { id: 'p1', sku: 'SKU-p1', name: 'One', base_price_minor: 10, currency: 'USD', status: 'active' },
      undefined,
      { id: 'p3', sku: 'SKU-p3', name: 'Three', base_price_minor: 1, currency: 'USD', status: 'active', variants: [{ sku: 'SKU-p3', price_minor: 1999 }] },
    ]);
    expect(priced).toMatchObject({ subtotal: '40.28', subtotal_minor: 4028, item_count: 5 });
    expect(priced.items[1]).toMatchObject({ available: false, reason: 'no longer for sale' });
    expect(priced.items[2]).toMatchObject({ unit_price: '19.99', line_total: '39.98' });
  });

  test('a variant is its own line: two sizes of one product are two lines, priced and shown from their variant', () => {
    const add = (cart: CartState, sku: string, quantity: number) => addItem(cart, { product_id: 'p1', sku, currency: 'USD', quantity, expected_version: cart.version }, NOW);
    const one = okCart(add(cartWith([]), 'TEE-M', 1));
    const two = okCart(add(one, 'TEE-L', 2));
    const three = okCart(add(two, 'TEE-M', 1));
    expect(three.items).toEqual([{ product_id: 'p1', sku: 'TEE-M', quantity: 2 }, { product_id: 'p1', sku: 'TEE-L', quantity: 2 }]);
    const priced = priceCart(three, [tee, tee]);
    expect(priced.items[0]).toMatchObject({ variant_name: 'Tee M', options: { size: 'M' }, unit_price_minor: 1500, line_total_minor: 3000, available: true });
    expect(priced.items[1]).toMatchObject({ variant_name: 'Tee L', options: { size: 'L' }, unit_price_minor: 1700 });
    expect(priced.subtotal_minor).toBe(6400);
    // A variant the catalog no longer has is not sold at the base price: it is unavailable.
    expect(priceCart(three, [{ ...tee, variants: [tee.variants![0]!] }, { ...tee, variants: [tee.variants![0]!] }]).items[1]).toMatchObject({ available: false, reason: 'this variant is no longer for sale' });
  });

  test('a product with two lines needs the SKU to change one; with it, only that line changes', () => {
    const cart = cartWith([{ product_id: 'p1', sku: 'TEE-M', quantity: 1 }, { product_id: 'p1', sku: 'TEE-L', quantity: 1 }]);
    expect(setQuantity(cart, { product_id: 'p1', quantity: 3, expected_version: 1 }, NOW)).toMatchObject({ error: 'ambiguous_line' });
    expect(okCart(setQuantity(cart, { product_id: 'p1', sku: 'TEE-L', quantity: 3, expected_version: 1 }, NOW)).items).toEqual([
      { product_id: 'p1', sku: 'TEE-M', quantity: 1 }, { product_id: 'p1', sku: 'TEE-L', quantity: 3 },
    ]);
    expect(okCart(removeItem(cart, { product_id: 'p1', sku: 'TEE-M', expected_version: 1 }, NOW)).items).toEqual([{ product_id: 'p1', sku: 'TEE-L', quantity: 1 }]);
    expect(removeItem(cart, { product_id: 'p1', sku: 'TEE-XL', expected_version: 1 }, NOW)).toMatchObject({ error: 'not_in_cart' });
  });

  test('checkout: a held cart refuses every change until the order ends; released, it is the shopper’s again with its lines', () => {
    const cart = cartWith([line('p1', 2), line('p2', 1)]);
    const held = okCart(holdForCheckout(cart, { order_id: 'o1', hold_seconds: 600 }, NOW));
    expect(held.checkout).toEqual({ order_id: 'o1', until: '2026-01-01T00:10:00.000Z' });
    expect(held.version).toBe(cart.version); // the lines did not change
    for (const refused of [
      addItem(held, { product_id: 'p3', sku: 'SKU-p3', currency: 'USD', quantity: 1, expected_version: 1 }, NOW),
      setQuantity(held, { product_id: 'p1', quantity: 5, expected_version: 1 }, NOW),
      clear(held, { expected_version: 1 }, NOW),
      absorb(held, { from_items: [line('p9', 1)], from_currency: 'USD', merge_id: 'g1', expected_version: 1 }, NOW),
      holdForCheckout(held, { order_id: 'o2', hold_seconds: 600 }, NOW),
    ]) {
      expect(refused).toMatchObject({ error: 'checkout_in_progress' });
    }
    expect(publicCart(null, held, NOW)).toMatchObject({ checkout: { order_id: 'o1' } });
    // A repeat by the same order renews the hold; the release gives the lines back untouched.
    expect(holdForCheckout(held, { order_id: 'o1', hold_seconds: 1200 }, NOW)).toMatchObject({ ok: true, cart: { checkout: { until: '2026-01-01T00:20:00.000Z' } } });
    const released = okCart(releaseCheckout(held, { order_id: 'o1' }));
    expect(released).toMatchObject({ items: cart.items, checkout: null });
    expect(okCart(addItem(released, { product_id: 'p3', sku: 'SKU-p3', currency: 'USD', quantity: 1, expected_version: 1 }, NOW)).items).toHaveLength(3);
    // Another order's release leaves the hold alone.
    expect(releaseCheckout(held, { order_id: 'o2' })).toEqual({ ok: true, changed: false, cart: held });
  });

  test('checkout: paid, the ordered lines leave the cart once (idempotent by order); a lapsed hold frees the cart', () => {
    const held = okCart(holdForCheckout(cartWith([line('p1', 2), line('p2', 1)]), { order_id: 'o1', hold_seconds: 600 }, NOW));
    const done = okCart(completeCheckout(held, { order_id: 'o1', lines: [{ sku: 'SKU-p1', quantity: 2 }, { sku: 'SKU-p2', quantity: 1 }] }, NOW));
    expect(done).toMatchObject({ items: [], checkout: null, checked_out: ['o1'], currency: null });
    expect(completeCheckout(done, { order_id: 'o1', lines: [{ sku: 'SKU-p1', quantity: 2 }] }, NOW)).toEqual({ ok: true, changed: false, cart: done });
    // An empty cart cannot be held (nothing to order).
    expect(holdForCheckout(done, { order_id: 'o2', hold_seconds: 60 }, NOW)).toMatchObject({ error: 'empty' });
    // A hold past its time has lapsed (the order's saga died without giving it back): changes are taken again.
    const later = '2026-01-01T00:11:00.000Z';
    expect(addItem(held, { product_id: 'p3', sku: 'SKU-p3', currency: 'USD', quantity: 1, expected_version: 1 }, later)).toMatchObject({ ok: true });
    // After a lapse the shopper added a line: completing the old order removes only what it bought.
    const after = okCart(addItem(held, { product_id: 'p3', sku: 'SKU-p3', currency: 'USD', quantity: 1, expected_version: 1 }, later));
    expect(okCart(completeCheckout(after, { order_id: 'o1', lines: [{ sku: 'SKU-p1', quantity: 2 }, { sku: 'SKU-p2', quantity: 1 }] }, later)).items).toEqual([line('p3', 1)]);
  });
});

const tee = {
  id: 'p1', sku: 'TEE', name: 'Tee', base_price_minor: 1000, currency: 'USD', status: 'active',
  variants: [{ sku: 'TEE-M', name: 'Tee M', options: { size: 'M' }, price_minor: 1500 }, { sku: 'TEE-L', name: 'Tee L', options: { size: 'L' }, price_minor: 1700 }],
};

function okCart(result: CartResult): CartState {
  if (!('ok' in result)) throw new Error(`expected ok, got ${JSON.stringify(result)}`);
  return result.cart;
}
