import { createHash } from 'node:crypto';

/** What a shopper asked for, validated and converted (prices in minor units). Pure data. */
export interface SearchCriteria {
  text?: string;
  /** A category id; matches products in it or in any category below it. */
  categoryId?: string;
  currency?: string;
  priceMinMinor?: number;
  priceMaxMinor?: number;
  /** Values of one attribute are alternatives (OR); different attributes must all match (AND). */
  attributes: AttributeFilter[];
  inStockOnly: boolean;
  sort: SortKey;
}

export interface AttributeFilter {
  name: string;
  values: string[];
}

export const SORT_KEYS = ['relevance', 'price_asc', 'price_desc', 'newest', 'name'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

/** Bounds on filters, so one request cannot build an arbitrarily large query. */
export const MAX_ATTRIBUTE_FILTERS = 10;
export const MAX_VALUES_PER_ATTRIBUTE = 20;

/**
 * A stable digest of everything that selects and orders results (not the page size): a cursor
 * carries it, so a cursor from one query cannot be replayed against another.
 */
export function fingerprintOf(criteria: SearchCriteria): string {
  const canonical = {
    text: criteria.text ?? null,
    category: criteria.categoryId ?? null,
    currency: criteria.currency ?? null,
    min: criteria.priceMinMinor ?? null,
    max: criteria.priceMaxMinor ?? null,
    attributes: [...criteria.attributes]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((a) => [a.name, [...new Set(a.values)].sort()]),
    in_stock: criteria.inStockOnly,
    sort: criteria.sort,
  };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url').slice(0, 22);
}
