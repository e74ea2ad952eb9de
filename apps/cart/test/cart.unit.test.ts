import { absorb, addItem, clear, emptyCart, MAX_LINES, MAX_LINE_QUANTITY, removeItem, setQuantity, type CartState } from '../src/domain/cart';
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
});
