import { fromMinorUnits } from '../../../../kernel/domain/money';
import type { ProductRecord } from '../store/products';

/** A product on the wire: exact decimal strings beside the integer minor units. */
export function presentProduct(row: ProductRecord) {
  return {
    id: row.id,
    sku: row.sku,
    name: row.name,
    description: row.description,
    base_price: fromMinorUnits(row.base_price_minor, row.currency),
    base_price_minor: row.base_price_minor,
    currency: row.currency,
    category_id: row.category_id,
    attributes: row.attributes,
    status: row.status,
    variants: row.variants.map((v) => {
      const minor = v.price_minor ?? row.base_price_minor;
      return { sku: v.sku, name: v.name, options: v.options, price: fromMinorUnits(minor, row.currency), price_minor: minor };
    }),
    images: row.images ?? [],
    weight_grams: row.weight_grams ?? 0,
    tax_class: row.tax_class ?? 'standard',
    version: row.version,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
