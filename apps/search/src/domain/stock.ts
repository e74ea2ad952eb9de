/**
 * Stock in the search document: what the inventory reported per SKU, and what a product shows.
 * Pure. A product's stock is the sum over its SKUs (the product's own and its variants'); each
 * SKU's figure is kept with the inventory's `seq` (its newest ledger id), so an older report
 * never replaces a newer one, whatever order the events and reads arrive in.
 */

/** One SKU's availability as the inventory reported it. */
export interface SkuStock {
  available: number;
  /** The inventory's sequence of this SKU's changes (0: never had stock). */
  seq: number;
}

/** SKU → its latest report. Stored unindexed in the document (`stock`). */
export type StockMap = Record<string, SkuStock>;

export const STOCK_BUCKETS = ['none', 'low', 'some', 'many'] as const;
export type StockBucket = (typeof STOCK_BUCKETS)[number];

/** For display and the facet: 0 → none, 1–9 → low, 10–99 → some, 100+ → many. */
export function bucketOf(available: number): StockBucket {
  if (available <= 0) return 'none';
  if (available < 10) return 'low';
  if (available < 100) return 'some';
  return 'many';
}

/** The stock fields of a product document, derived from the SKU reports. */
export interface StockFields {
  stock: StockMap | null;
  /** Sum over the product's SKUs that have a report; null while none has. */
  available: number | null;
  /** available > 0; null (unknown) until the inventory has reported any of its SKUs. */
  in_stock: boolean | null;
  stock_bucket: StockBucket | null;
}

export const UNKNOWN_STOCK: StockFields = { stock: null, available: null, in_stock: null, stock_bucket: null };

/**
 * The fields for a product with these SKUs. Reports of SKUs the product no longer has (a variant
 * removed) are dropped, so they no longer count.
 */
export function stockFieldsOf(stock: StockMap | null | undefined, skus: readonly string[]): StockFields {
  const kept: StockMap = {};
  for (const sku of skus) if (stock?.[sku]) kept[sku] = stock[sku]!;
  const reports = Object.values(kept);
  if (reports.length === 0) return UNKNOWN_STOCK;
  const available = reports.reduce((sum, r) => sum + Math.max(0, r.available), 0);
  return { stock: kept, available, in_stock: available > 0, stock_bucket: bucketOf(available) };
}

/** The SKUs of a product with no report yet (asked of the inventory after the product is indexed). */
export function unreportedSkus(stock: StockMap | null | undefined, skus: readonly string[]): string[] {
  return skus.filter((sku) => !stock?.[sku]);
}

/**
 * The stock map after a report of one SKU, or 'stale' when the document already holds this
 * report or a newer one (same or higher seq). An equal seq is stale too: the figures of one
 * seq never differ, so there is nothing to write.
 */
export function withReport(stock: StockMap | null | undefined, sku: string, report: SkuStock): StockMap | 'stale' {
  const held = stock?.[sku];
  if (held && held.seq >= report.seq) return 'stale';
  return { ...(stock ?? {}), [sku]: report };
}
