import { fromMinorUnits } from '../../../../kernel/domain/money';
import type { CartState } from './cart';
import { unitPriceOf, type CatalogProduct } from '../../../catalog/src/client';

/**
 * Prices a cart from the catalog's current products (same order as the lines; undefined =
 * no longer for sale). Integer minor units throughout (BigInt for the sums); decimal strings
 * only for display. A line that is not for sale, or is now priced in another currency than the
 * cart's, is marked unavailable and left out of the subtotal.
 */
export function priceCart(cart: CartState, products: Array<CatalogProduct | undefined>) {
  const currency = cart.currency ?? products.find(Boolean)?.currency ?? null;
  let subtotal = 0n;
  let count = 0;
  const items = cart.items.map((line, i) => {
    const product = products[i];
    if (!product || product.currency !== currency) {
      return { ...line, name: product?.name ?? null, available: false, reason: product ? 'priced in another currency now' : 'no longer for sale' };
    }
    const unit = unitPriceOf(product, line.sku) ?? product.base_price_minor;
    const total = BigInt(unit) * BigInt(line.quantity);
    subtotal += total;
    count += line.quantity;
    return {
      ...line,
      name: product.name,
      available: true,
      unit_price: fromMinorUnits(unit, product.currency),
      unit_price_minor: unit,
      line_total: fromMinorUnits(Number(total), product.currency),
      line_total_minor: Number(total),
    };
  });
  return {
    items,
    currency,
    item_count: count,
    subtotal: currency ? fromMinorUnits(Number(subtotal), currency) : '0',
    subtotal_minor: Number(subtotal),
  };
}
