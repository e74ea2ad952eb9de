import type { ProductDeleted, ProductSnapshot } from '../../../catalog/src/events/contract';
import { UNKNOWN_STOCK, type StockBucket, type StockMap } from './stock';

/**
 * The shape of one product in the search index, built from the catalog's event-carried
 * snapshot. Pure: no I/O, so it is unit-tested on its own. Every write replaces the whole
 * document (the snapshot is complete), guarded by the product's `version`; the stock fields come
 * from the inventory and are carried over from the stored document (domain/write-plan.ts).
 */
export interface ProductDocument {
  id: string;
  sku: string;
  name: string | null;
  description: string | null;
  variant_skus: string[];
  category_id: string | null;
  /** This category and all its ancestors: a filter by any of them finds the product. */
  category_ids: string[];
  category_name: string | null;
  category_names: string[];
  /** The snapshot's category as it came (returned to clients; not indexed). */
  category: ProductSnapshot['category'];
  /** The snapshot's attributes as they came (returned to clients; not indexed). */
  attributes: ProductSnapshot['attributes'] | null;
  /** Indexed copy for filters and facets: one nested `{name, value}` per value (see store/layout.ts). */
  attribute_pairs: AttributePair[];
  price_minor: number | null;
  currency: string | null;
  status: ProductSnapshot['status'] | 'deleted';
  /** Shown in search results: active and not deleted. Every search filters on it. */
  visible: boolean;
  deleted: boolean;
  version: number;
  updated_at: string;
  /** The product's images in position order (shown: the first; not indexed). */
  images: Array<{ url: string; alt: string; position: number }>;
  /** Unknown (null) until the inventory has reported one of the product's SKUs (domain/stock.ts). */
  in_stock: boolean | null;
  /** Sum of the SKUs' available units; kept for the bucket, not shown. */
  available: number | null;
  stock_bucket: StockBucket | null;
  /** SKU → {available, seq}: the guard against older reports (unindexed). */
  stock: StockMap | null;
  suggest: { input: string[]; contexts: { visibility: Visibility[] } };
}

export interface AttributePair {
  name: string;
  value: string;
}

/** Completion-suggester context: suggestions are asked for `visible` only. */
export type Visibility = 'visible' | 'hidden';

/** Longest completion input the index keeps (Elasticsearch's default max_input_length is 50). */
const SUGGEST_INPUT_MAX = 50;
/** Suggest from the name and from the name minus its first words, so "pro" finds "MacBook Pro". */
const NAME_SUFFIXES_MAX = 4;

export function documentOf(product: ProductSnapshot): ProductDocument {
  const visible = product.status === 'active';
  const path = product.category?.path ?? [];
  const categoryIds = unique([...path.map((c) => c.id), ...(product.category ? [product.category.id] : [])]);
  const categoryNames = unique([...path.map((c) => c.name), ...(product.category ? [product.category.name] : [])]);
  const variantSkus = unique((product.variants ?? []).map((v) => v.sku));
  return {
    id: product.id,
    sku: product.sku,
    name: product.name,
    description: product.description,
    variant_skus: variantSkus,
    category_id: product.category?.id ?? null,
    category_ids: categoryIds,
    category_name: product.category?.name ?? null,
    category_names: categoryNames,
    category: product.category,
    attributes: product.attributes,
    attribute_pairs: attributePairsOf(product),
    price_minor: product.base_price_minor,
    currency: product.currency,
    status: product.status,
    visible,
    deleted: false,
    version: product.version,
    updated_at: product.updated_at,
    images: product.images ?? [],
    ...UNKNOWN_STOCK,
    suggest: { input: suggestInputs(product.name, [product.sku, ...variantSkus]), contexts: { visibility: [visible ? 'visible' : 'hidden'] } },
  };
}

/**
 * A delete is indexed as a tombstone, not removed: Elasticsearch forgets a deleted document's
 * version after `index.gc_deletes` (60 s), after which a late, older update would be accepted
 * and resurrect the product. A tombstone keeps the delete's version for as long as it exists.
 */
export function tombstoneOf(deleted: ProductDeleted): ProductDocument {
  return {
    id: deleted.product.id,
    sku: deleted.product.sku,
    name: null,
    description: null,
    variant_skus: [],
    category_id: null,
    category_ids: [],
    category_name: null,
    category_names: [],
    category: null,
    attributes: null,
    attribute_pairs: [],
    price_minor: null,
    currency: null,
    status: 'deleted',
    visible: false,
    deleted: true,
    version: deleted.product.version,
    updated_at: deleted.occurred_at,
    images: [],
    ...UNKNOWN_STOCK,
    suggest: { input: suggestInputs(null, [deleted.product.sku]), contexts: { visibility: ['hidden'] } },
  };
}

/** Every SKU the product sells (its own and its variants'): its stock is their sum. */
export function skusOf(doc: Pick<ProductDocument, 'sku' | 'variant_skus'>): string[] {
  return unique([doc.sku, ...doc.variant_skus]);
}

/** Product attributes and variant options, flattened to name/value strings for filters and facets. */
export function attributePairsOf(product: Pick<ProductSnapshot, 'attributes' | 'variants'>): AttributePair[] {
  const pairs: AttributePair[] = [];
  for (const [name, raw] of Object.entries(product.attributes ?? {})) {
    for (const value of Array.isArray(raw) ? raw : [raw]) pairs.push({ name, value: String(value) });
  }
  // Variant options (size, colour...) are what shoppers filter by, so they are facets too.
  for (const variant of product.variants ?? []) {
    for (const [name, value] of Object.entries(variant.options ?? {})) pairs.push({ name, value });
  }
  const seen = new Set<string>();
  return pairs.filter((p) => {
    const key = `${p.name}\u0000${p.value}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

function suggestInputs(name: string | null, skus: string[]): string[] {
  const inputs: string[] = [];
  if (name) {
    const words = name.trim().split(/\s+/);
    inputs.push(words.join(' '));
    // Later-word starts shorter than 3 characters ("0" of "Probe 0") would only add noise.
    for (let i = 1; i < Math.min(words.length, NAME_SUFFIXES_MAX); i++) {
      const suffix = words.slice(i).join(' ');
      if (suffix.length >= 3) inputs.push(suffix);
    }
  }
  inputs.push(...skus);
  return unique(inputs.map((s) => s.slice(0, SUGGEST_INPUT_MAX)).filter((s) => s.length > 0));
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}
