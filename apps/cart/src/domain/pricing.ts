import { fromMinorUnits } from '../../../../kernel/domain/money';
import type { CartState } from './cart';
import { unitPriceOf, type CatalogProduct } from '../../../catalog/src/client';

/**
 * Prices a cart from the catalog's current products (same order as the lines; undefined =
 * no longer for sale). Integer minor units throughout (BigInt for the sums); decimal strings
 * only for display. A line that is not for sale (the product, or its variant, is gone), or is
 * now priced in another currency than the cart's, is marked unavailable and left out of the
 * subtotal. A variant's line shows its name and options (size, colour) as the catalog has them.
 */
export function priceCart(cart: CartState, products: Array<CatalogProduct | undefined>) {
  const currency = cart.currency ?? products.find(Boolean)?.currency ?? null;
  let subtotal = 0n;
  let count = 0;
  const items = cart.items.map((line, i) => {
    const product = products[i];
    const unit = product ? unitPriceOf(product, line.sku) : undefined;
    const variant = product?.variants?.find((v) => v.sku === line.sku);
    const shown = { name: product?.name ?? null, variant_name: variant?.name ?? null, options: variant?.options ?? {} };
    if (!product || unit === undefined || product.currency !== currency) {
      const reason = !product ? 'no longer for sale' : unit === undefined ? 'this variant is no longer for sale' : 'priced in another currency now';
      return { ...line, ...shown, available: false, reason };
    }
    const total = BigInt(unit) * BigInt(line.quantity);
    subtotal += total;
    count += line.quantity;
    return {
      ...line,
      ...shown,
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
