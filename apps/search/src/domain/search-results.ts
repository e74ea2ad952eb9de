import type { estypes } from '@elastic/elasticsearch';
import { fromMinorUnits } from '../../../../kernel/domain/money';
import type { ProductDocument } from './document';
import type { SortValue } from './cursor';

/** One product in the response of GET /search. */
export interface SearchItem {
  id: string;
  sku: string;
  name: string | null;
  description: string | null;
  /** Decimal string, exact ("12.99"). */
  price: string | null;
  price_minor: number | null;
  currency: string | null;
  category: ProductDocument['category'];
  attributes: ProductDocument['attributes'];
  in_stock: boolean | null;
  stock_bucket: ProductDocument['stock_bucket'];
  /** The first image (lowest position), for the result list. */
  image: { url: string; alt: string } | null;
  /** Relevance score; null when sorted by something else without a text query. */
  score: number | null;
}

export interface FacetValue {
  value: string;
  count: number;
}

export interface Facets {
  category: Array<FacetValue & { name: string | null }>;
  attributes: Record<string, FacetValue[]>;
  /** Products per stock bucket. */
  stock: FacetValue[];
  price: { currency: string; ranges: Array<{ from: string | null; to: string | null; count: number }> };
}

export interface SearchPage {
  total: number;
  items: SearchItem[];
  facets: Facets;
  /** search_after values of the last item shown, when another page exists. */
  nextAfter: SortValue[] | null;
}

type Source = Partial<ProductDocument>;

export function itemOf(hit: estypes.SearchHit<Source>): SearchItem {
  const s = hit._source ?? {};
  const priced = typeof s.price_minor === 'number' && typeof s.currency === 'string';
  return {
    id: s.id ?? hit._id ?? '',
    sku: s.sku ?? '',
    name: s.name ?? null,
    description: s.description ?? null,
    price: priced ? fromMinorUnits(s.price_minor!, s.currency!) : null,
    price_minor: s.price_minor ?? null,
    currency: s.currency ?? null,
    category: s.category ?? null,
    attributes: s.attributes ?? null,
    in_stock: s.in_stock ?? null,
    stock_bucket: s.stock_bucket ?? null,
    image: firstImage(s.images),
    score: typeof hit._score === 'number' && Number.isFinite(hit._score) ? hit._score : null,
  };
}

export function pageOf(response: estypes.SearchResponse<Source>, pageSize: number, facetCurrency: string): SearchPage {
  const hits = response.hits.hits;
  const shown = hits.slice(0, pageSize);
  const last = shown[shown.length - 1];
  const total = typeof response.hits.total === 'number' ? response.hits.total : (response.hits.total?.value ?? 0);
  return {
    total,
    items: shown.map(itemOf),
    facets: facetsOf(response.aggregations, facetCurrency),
    nextAfter: hits.length > pageSize && last?.sort ? (last.sort as SortValue[]) : null,
  };
}

interface Bucket {
  key: string | number;
  doc_count: number;
  [sub: string]: unknown;
}

function bucketsOf(agg: unknown): Bucket[] {
  const buckets = (agg as { buckets?: unknown } | undefined)?.buckets;
  return Array.isArray(buckets) ? (buckets as Bucket[]) : [];
}

export function facetsOf(aggs: Record<string, unknown> | undefined, facetCurrency: string): Facets {
  const category = bucketsOf(aggs?.category).map((b) => ({
    value: String(b.key),
    name: bucketsOf(b.name)[0] ? String(bucketsOf(b.name)[0]!.key) : null,
    count: b.doc_count,
  }));
  const attributes: Record<string, FacetValue[]> = {};
  for (const name of bucketsOf((aggs?.attributes as Record<string, unknown> | undefined)?.names)) {
    attributes[String(name.key)] = bucketsOf(name.values).map((v) => ({
      value: String(v.key),
      count: (v.products as { doc_count?: number } | undefined)?.doc_count ?? v.doc_count,
    }));
  }
  const ranges = bucketsOf((aggs?.price as Record<string, unknown> | undefined)?.ranges as unknown)
    .filter((b) => b.doc_count > 0)
    .map((b) => {
      const { from, to } = b as unknown as { from?: number; to?: number };
      return {
        from: from === undefined ? null : fromMinorUnits(from, facetCurrency),
        to: to === undefined ? null : fromMinorUnits(to, facetCurrency),
        count: b.doc_count,
      };
    });
  const stock = bucketsOf(aggs?.stock).map((b) => ({ value: String(b.key), count: b.doc_count }));
  return { category, attributes, stock, price: { currency: facetCurrency, ranges } };
}

/** The document keeps the images in position order (domain/document.ts), so the first is first. */
function firstImage(images: ProductDocument['images'] | undefined): SearchItem['image'] {
  const first = images?.[0];
  return first ? { url: first.url, alt: first.alt } : null;
}
