import { unitPriceOf, type CatalogProduct } from '../../../catalog/src/client';
import { taxClassOf, type TaxClass } from './tax';

export interface RequestedItem {
  product_id: string;
  /** A variant's SKU; the product's own SKU when absent. */
  sku?: string;
  quantity: number;
}

export interface OrderLine {
  product_id: string;
  sku: string;
  name: string;
  quantity: number;
  unit_price_minor: number;
  line_total_minor: number;
  /** The line's weight (unit weight × quantity), grams; 0 when the catalog gives none. */
  weight_grams?: number;
  /** The product's tax class when the order was placed ('standard' when the catalog gives none). */
  tax_class?: TaxClass | null;
  /** The rate the line is taxed at, basis points; null for an order placed before tax existed. */
  tax_rate_bp?: number | null;
  /** The line's tax (after its share of the discount once promotions are redeemed). */
  tax_minor?: number;
}

export type Priced =
  | { ok: true; lines: OrderLine[]; currency: string; subtotal_minor: number }
  | { ok: false; detail: string; item: number };

/**
 * Prices an order from the catalog as it is now (products in the same order as the items;
 * undefined = not for sale). Integer minor units, sums in BigInt. One currency per order.
 */
export function priceOrder(items: RequestedItem[], products: Array<CatalogProduct | undefined>): Priced {
  const lines: OrderLine[] = [];
  let subtotal = 0n;
  let currency: string | undefined;
  for (const [i, item] of items.entries()) {
    const product = products[i];
    if (!product) return { ok: false, item: i, detail: `Product ${item.product_id} does not exist or is not for sale.` };
    const sku = item.sku ?? product.sku;
    const unit = unitPriceOf(product, sku);
    if (unit === undefined) return { ok: false, item: i, detail: `SKU ${sku} is not a variant of product ${product.id}.` };
    currency ??= product.currency;
    if (product.currency !== currency) return { ok: false, item: i, detail: `Product ${product.id} is priced in ${product.currency}; this order is in ${currency}.` };
    const total = BigInt(unit) * BigInt(item.quantity);
    if (total > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, item: i, detail: 'The line total is too large.' };
    subtotal += total;
    const weight = (product.weight_grams ?? 0) * item.quantity;
    lines.push({
      product_id: product.id, sku, name: product.name, quantity: item.quantity, unit_price_minor: unit, line_total_minor: Number(total),
      weight_grams: Number.isSafeInteger(weight) ? weight : 0, tax_class: taxClassOf(product.tax_class),
    });
  }
  return { ok: true, lines, currency: currency!, subtotal_minor: Number(subtotal) };
}

/** One reservation per SKU (the inventory keeps one per order and SKU), in SKU order. */
export function reservationsOf(lines: Array<Pick<OrderLine, 'sku' | 'quantity'>>): Array<{ sku: string; quantity: number }> {
  const bySku = new Map<string, number>();
  for (const line of lines) bySku.set(line.sku, (bySku.get(line.sku) ?? 0) + line.quantity);
  return [...bySku.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([sku, quantity]) => ({ sku, quantity }));
}

/** The order id of a (customer, Idempotency-Key) pair: every repeat of the request names the same order. */
export function orderIdFor(userId: string, idempotencyKey: string, hash: (text: string) => string): string {
  const h = hash(`order\0${userId}\0${idempotencyKey}`);
  // Shaped as a version-8 (custom) UUID so it fits the uuid column and every id check.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
