import type { Sidecar } from '../../../../kernel/dapr/sidecar';
import type { SkuStock } from '../domain/stock';

/**
 * The inventory's own figure for a SKU: its public availability route through Dapr (the
 * inventory's ACL lets search GET /inventory/*). `seq` orders reports (domain/stock.ts). An
 * unknown SKU is 0 available at seq 0. Throws when the inventory cannot be asked (the delivery
 * is then retried).
 */
export type InventoryRecord = (sku: string) => Promise<SkuStock>;

export function inventoryRecord(sidecar: Sidecar, inventoryAppId: string): InventoryRecord {
  return async (sku) => {
    const answer = await sidecar.invokeJson<{ available?: unknown; seq?: unknown }>(inventoryAppId, `/inventory/${encodeURIComponent(sku)}`);
    if (typeof answer?.available !== 'number' || typeof answer.seq !== 'number') {
      throw new Error(`the inventory answered ${sku} without available and seq (an older inventory version?)`);
    }
    return { available: answer.available, seq: answer.seq };
  };
}
