import { toMinorUnits } from '../../../../kernel/domain/money';
import { validationProblem } from '../../../../kernel/problem';

export type ProductStatus = 'draft' | 'active' | 'archived';
export type TaxClass = 'standard' | 'reduced' | 'zero';
export type AttributeValue = string | number | boolean | string[];

/** A product image as stored and shown: positions explicit, in position order. */
export interface ProductImage {
  url: string;
  alt: string;
  position: number;
}

export interface VariantInput {
  sku: string;
  name?: string;
  options: Record<string, string>;
  /** Decimal in the product's currency; absent = the product's base price. */
  price?: number | string;
}

export interface ProductFields {
  sku: string;
  name: string;
  description: string;
  base_price_minor: number;
  currency: string;
  category_id: string | null;
  attributes: Record<string, AttributeValue>;
  status: ProductStatus;
  /** Shipping weight of one unit, grams (0: not given). */
  weight_grams: number;
  /** Which tax rate applies (the order service's rate table by country and class). */
  tax_class: TaxClass;
  variants: Array<{ sku: string; name: string; options: Record<string, string>; price_minor: number | null }>;
  images: ProductImage[];
}

/**
 * Images in the order they are shown: by position, then as given (a missing position is the
 * image's index), so equal positions keep the client's order and the first is the main image.
 */
export function imagesToFields(images: Array<{ url: string; alt: string; position?: number }>): ProductImage[] {
  return images
    .map((image, index) => ({ url: image.url, alt: image.alt, position: image.position ?? index, index }))
    .sort((a, b) => a.position - b.position || a.index - b.index)
    .map(({ url, alt, position }) => ({ url, alt, position }));
}

/** Exact conversion of an incoming decimal price; a bad amount is a 400 that names the field. */
export function priceToMinor(amount: number | string, currency: string, pointer: string): number {
  const minor = toMinorUnits(amount, currency);
  if (minor === undefined) {
    throw validationProblem([{ pointer, detail: `must be a non-negative amount with at most the minor digits ${currency} has` }]);
  }
  return minor;
}

/** Rules a schema cannot say: variant SKUs distinct from each other and from the product's. */
export function checkVariants(productSku: string, variants: VariantInput[]): void {
  const seen = new Set([productSku]);
  variants.forEach((variant, index) => {
    if (seen.has(variant.sku)) {
      throw validationProblem([{ pointer: `/body/variants/${index}/sku`, detail: 'repeats another SKU of this product' }]);
    }
    seen.add(variant.sku);
  });
}

export function variantsToFields(variants: VariantInput[], currency: string): ProductFields['variants'] {
  return variants.map((v, i) => ({
    sku: v.sku,
    name: v.name ?? '',
    options: v.options,
    price_minor: v.price === undefined ? null : priceToMinor(v.price, currency, `/body/variants/${i}/price`),
  }));
}

export { etagOf, requireMatch } from '../../../../kernel/http/concurrency';
