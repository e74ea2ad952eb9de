import { skusOf, type ProductDocument } from './document';
import { stockFieldsOf, withReport, type SkuStock } from './stock';

/**
 * How a write of a product document is guarded. Pure: the store reads the stored document
 * (realtime), asks here what to write and with which Elasticsearch version, and writes with
 * `version_type: external`; Elasticsearch refuses (409) a version not above the stored one, and
 * the store then reads again and asks again.
 *
 * Two writers change one document: product events (the whole product, carrying the stored stock
 * fields over) and stock reports (the stock fields only). Our node has no painless, so a partial
 * update could only be `_update` with `doc`, which bumps the internal version: the next product
 * event's external version would then look stale. And a version that is the product version
 * cannot guard the stock: a report written between a product write's read and its write would
 * be overwritten. So every write is a compare-and-set: version = the stored version + 1 (1 for a
 * new document), so it lands only if nothing was written since its read. Whether the write is
 * newer at all is decided here, from the document's own `version` (the product's) and the
 * reports' `seq`. Documents written before this scheme hold _version = product version: the
 * same rule applies to them.
 */
/** A document as Elasticsearch holds it, with its `_version`. */
export interface Stored {
  doc: ProductDocument;
  esVersion: number;
}

export type WritePlan =
  | { kind: 'write'; doc: ProductDocument; esVersion: number }
  | { kind: 'stale' }
  | { kind: 'rejected'; reason: string };

/** The version a write planned on `current` carries: exactly one above what it read. */
export function nextVersionOf(current: Stored | undefined): number {
  return (current?.esVersion ?? 0) + 1;
}

/** A product event's document over what is stored: newer product versions only, stock carried over. */
export function planProductWrite(incoming: ProductDocument, current: Stored | undefined): WritePlan {
  if (!current) return { kind: 'write', doc: incoming, esVersion: nextVersionOf(current) };
  if (current.doc.version >= incoming.version) return { kind: 'stale' };
  // A deleted product sells nothing: a tombstone keeps no stock.
  const stock = incoming.deleted ? {} : stockFieldsOf(current.doc.stock, skusOf(incoming));
  return { kind: 'write', doc: { ...incoming, ...stock }, esVersion: nextVersionOf(current) };
}

/**
 * One SKU's report over what is stored: only a higher seq than the document holds for the SKU,
 * only for a product that still sells the SKU, never for a tombstone.
 */
export function planStockWrite(current: Stored | undefined, sku: string, report: SkuStock): WritePlan | { kind: 'absent' } {
  if (!current) return { kind: 'absent' };
  if (current.doc.deleted || !skusOf(current.doc).includes(sku)) return { kind: 'stale' };
  const stock = withReport(current.doc.stock, sku, report);
  if (stock === 'stale') return { kind: 'stale' };
  return { kind: 'write', doc: { ...current.doc, ...stockFieldsOf(stock, skusOf(current.doc)) }, esVersion: nextVersionOf(current) };
}
