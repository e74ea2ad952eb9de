/**
 * How other services read the catalog: through Dapr service invocation of its public
 * `GET /products/:id` (active products only). Cart prices lines with it, order prices checkouts.
 */
import type { Sidecar } from '../../../kernel/dapr/sidecar';
import { HttpProblem } from '../../../kernel/problem';
import { MicroCache } from '../../../kernel/cache/micro-cache';
import { envInt } from '../../../kernel/config';

export const CATALOG_APP_ID = 'catalog';

/** What buyers' services read of a product. */
export interface CatalogProduct {
  id: string;
  sku: string;
  name: string;
  base_price_minor: number;
  currency: string;
  status: string;
  variants?: Array<{ sku: string; price_minor: number; name?: string | null; options?: Record<string, string> }>;
  /** Shipping weight per unit, grams (absent from catalogs older than the field: 0). */
  weight_grams?: number;
  /** 'standard' | 'reduced' | 'zero' (absent: standard). */
  tax_class?: string;
}

/** The catalog's view of a product, or undefined when it is unknown or not for sale (404). */
export async function readProduct(sidecar: Sidecar, id: string): Promise<CatalogProduct | undefined> {
  try {
    return await sidecar.invokeJson<CatalogProduct>(CATALOG_APP_ID, `/products/${encodeURIComponent(id)}`);
  } catch (err) {
    if (err instanceof HttpProblem && err.status === 404) return undefined;
    throw err;
  }
}

/** The unit price of a SKU of the product: its variant's price, else the base price for the product's own SKU. */
export function unitPriceOf(product: CatalogProduct, sku: string): number | undefined {
  const variant = product.variants?.find((v) => v.sku === sku);
  if (variant) return variant.price_minor;
  return sku === product.sku ? product.base_price_minor : undefined;
}

/**
 * Product lookups with a short in-process cache (L1): a hot product is read from the catalog
 * once per `ttlMs` per replica instead of on every cart change or checkout, and a price change
 * still reaches buyers within `ttlMs` (CATALOG_READ_CACHE_MS, 500 by default; 0 = off).
 */
export class ProductReader {
  private readonly cache = new MicroCache<CatalogProduct | null>(20_000);

  constructor(
    private readonly sidecar: Sidecar,
    private readonly ttlMs = envInt('CATALOG_READ_CACHE_MS', 500),
  ) {}

  async read(id: string): Promise<CatalogProduct | undefined> {
    if (this.ttlMs <= 0) return readProduct(this.sidecar, id);
    const cached = this.cache.get(id);
    if (cached) return cached.value ?? undefined;
    await this.cache.once(id, async () => this.cache.set(id, (await readProduct(this.sidecar, id)) ?? null, this.ttlMs)).catch(() => undefined);
    const filled = this.cache.get(id);
    return filled ? (filled.value ?? undefined) : readProduct(this.sidecar, id);
  }
}
