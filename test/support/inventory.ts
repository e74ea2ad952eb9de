/** A SKU's stock as the tests compare it through the gateway. */
import { api } from './gateway';

export interface StockFigures {
  on_hand: number;
  reserved: number;
  available: number;
}

/**
 * GET /inventory/:sku without its `seq` (the SKU's newest ledger id): a reserve and its release
 * leave the figures as they were but move the seq on, and the tests compare figures.
 */
export async function stockFigures(sku: string): Promise<StockFigures> {
  const { seq: _seq, ...figures } = (await api('GET', `/inventory/${encodeURIComponent(sku)}`)).body;
  return figures;
}
